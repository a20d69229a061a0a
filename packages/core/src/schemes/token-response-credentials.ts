import type * as oauth from 'oauth4webapi';
import type { Credentials } from '../model.js';

/** Credentials from a token response (RFC 6749 §5.1); the expiry is computed on the server's clock. */
export function tokenResponseCredentials(response: oauth.TokenEndpointResponse, now: Date): Credentials {
  const credentials: Credentials = { accessToken: response.access_token, tokenType: response.token_type };
  if (typeof response.expires_in === 'number') {
    credentials.expiresAt = new Date(now.getTime() + response.expires_in * 1000).toISOString();
  }
  if (response.scope) credentials.scope = response.scope;
  return credentials;
}
