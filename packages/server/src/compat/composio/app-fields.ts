import type { AuthSchemeDefinition, AuthSchemeName } from '@authlink/core';

/** A field as Composio describes one; `forIntegration`: set on the integration, else by the end user. */
export interface ComposioField {
  name: string;
  displayName: string;
  description: string;
  required: boolean;
  secret: boolean;
  forIntegration: boolean;
}

/** Schemes whose integration holds the client credentials registered with the provider. */
const CLIENT_SCHEMES = new Set<AuthSchemeName>(['OAUTH2', 'OAUTH1', 'CLIENT_CREDENTIALS']);

function clientFields(scheme: AuthSchemeName): ComposioField[] {
  return [
    { name: 'client_id', displayName: 'Client ID', description: 'The client id the provider issued to your app.', required: true, secret: false, forIntegration: true },
    {
      name: 'client_secret',
      displayName: 'Client secret',
      description: 'The client secret the provider issued with the client id.',
      // A public OAuth 2.0 client with PKCE needs none (RFC 7636); OAuth 1.0a signs with it, and the client credentials grant authenticates with it.
      required: scheme !== 'OAUTH2',
      secret: true,
      forIntegration: true,
    },
  ];
}

/** Every field of a scheme: the integration's (client credentials, integration-level fields) and the end user's. */
export function schemeFields(scheme: AuthSchemeDefinition): ComposioField[] {
  const own = scheme.fields.map((field) => ({
    name: field.name,
    displayName: field.label,
    description: field.description ?? field.label,
    required: field.required,
    secret: field.secret,
    forIntegration: field.suppliedBy === 'integration',
  }));
  return [...(CLIENT_SCHEMES.has(scheme.scheme) ? clientFields(scheme.scheme) : []), ...own];
}
