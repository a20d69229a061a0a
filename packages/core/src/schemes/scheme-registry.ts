import type { AuthSchemeName } from '../catalog/app-definition.js';
import { apiKeyScheme } from './api-key.js';
import type { AuthScheme } from './auth-scheme.js';
import { basicWithJwtScheme } from './basic-with-jwt.js';
import { basicScheme } from './basic.js';
import { bearerTokenScheme } from './bearer-token.js';
import { clientCredentialsScheme } from './client-credentials.js';
import { googleServiceAccountScheme } from './google-service-account.js';
import { noAuthScheme } from './no-auth.js';
import { oauth1Scheme } from './oauth1.js';
import { oauth2Scheme } from './oauth2.js';

/** The schemes this server can run. Adding one is adding a module and a line here. */
const SCHEMES: ReadonlyMap<AuthSchemeName, AuthScheme> = new Map<AuthSchemeName, AuthScheme>(
  [
    oauth2Scheme,
    oauth1Scheme,
    apiKeyScheme,
    basicScheme,
    bearerTokenScheme,
    basicWithJwtScheme,
    googleServiceAccountScheme,
    clientCredentialsScheme,
    noAuthScheme,
  ].map((scheme) => [scheme.name, scheme]),
);

export function findAuthScheme(name: AuthSchemeName): AuthScheme | undefined {
  return SCHEMES.get(name);
}

export function supportedAuthSchemes(): AuthSchemeName[] {
  return [...SCHEMES.keys()];
}
