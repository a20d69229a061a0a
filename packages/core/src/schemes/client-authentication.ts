import * as oauth from 'oauth4webapi';
import type { OAuthClient, ResolvedScheme } from './auth-scheme.js';

/**
 * How the client authenticates at the token endpoint. RFC 6749 §2.3.1: basic is what every server
 * must accept, so it is the default; `client_secret_post` when the app or discovery says so.
 */
export function clientAuthentication(scheme: ResolvedScheme, client: OAuthClient): oauth.ClientAuth {
  if (client.clientSecret === null) return oauth.None();
  return scheme.tokenEndpointAuthMethod === 'client_secret_post'
    ? oauth.ClientSecretPost(client.clientSecret)
    : oauth.ClientSecretBasic(client.clientSecret);
}
