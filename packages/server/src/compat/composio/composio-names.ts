import { AuthlinkError, type AuthSchemeName } from '@authlink/core';

/**
 * Composio's names for auth schemes and ours. Theirs that have no counterpart here (BILLCOM_AUTH,
 * CALCOM_AUTH, SAML, DCR_OAUTH, SERVICE_ACCOUNT, COMPOSIO_LINK) are refused, never guessed.
 */
const FROM_COMPOSIO: Readonly<Record<string, AuthSchemeName>> = Object.freeze({
  OAUTH2: 'OAUTH2',
  OAUTH1: 'OAUTH1',
  OAUTH1A: 'OAUTH1',
  API_KEY: 'API_KEY',
  BASIC: 'BASIC',
  BEARER_TOKEN: 'BEARER_TOKEN',
  BASIC_WITH_JWT: 'BASIC_WITH_JWT',
  GOOGLE_SERVICE_ACCOUNT: 'GOOGLE_SERVICE_ACCOUNT',
  NO_AUTH: 'NO_AUTH',
  // Composio's server-to-server OAuth 2.0 is the client credentials grant (RFC 6749 §4.4).
  S2S_OAUTH2: 'CLIENT_CREDENTIALS',
});

export type ComposioAuthScheme = AuthSchemeName | 'S2S_OAUTH2';

export function authSchemeFromComposio(name: string | undefined, path: string): AuthSchemeName | undefined {
  if (name === undefined) return undefined;
  const scheme = FROM_COMPOSIO[name];
  if (scheme === undefined) {
    throw new AuthlinkError('UNSUPPORTED_AUTH_SCHEME', `${path}: authlink has no ${name} scheme; supported: ${Object.keys(FROM_COMPOSIO).join(', ')}`, {
      errors: [{ path, message: 'unsupported auth scheme' }],
    });
  }
  return scheme;
}

export function authSchemeToComposio(scheme: AuthSchemeName): ComposioAuthScheme {
  return scheme === 'CLIENT_CREDENTIALS' ? 'S2S_OAUTH2' : scheme;
}

/** Composio app names and toolkit slugs are case-insensitive (`GITHUB`, `github`); our keys are lower case. */
export const COMPOSIO_APP_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9-]*$';

export function appKeyOf(name: string): string {
  return name.toLowerCase();
}
