import type { AppDefinition, AuthSchemeDefinition, AuthSchemeName } from '../catalog/app-definition.js';
import type { Integration, IntegrationConfig } from '../model.js';
import type { ResolvedScheme } from '../schemes/auth-scheme.js';

/**
 * The scheme definition a connection runs with: the catalog's, with the integration's own
 * settings on top. An app outside the catalog has only the integration's settings.
 */
export function resolveScheme(app: AppDefinition | undefined, authScheme: AuthSchemeName, config: IntegrationConfig): ResolvedScheme {
  const base: AuthSchemeDefinition = app?.authSchemes.find((s) => s.scheme === authScheme) ?? { scheme: authScheme, fields: [], placement: [] };
  const resolved: ResolvedScheme = { ...base, baseUrl: config.baseUrl ?? app?.baseUrl ?? '' };
  if (config.authorizationUrl !== undefined) resolved.authorizationUrl = config.authorizationUrl;
  if (config.tokenUrl !== undefined) resolved.tokenUrl = config.tokenUrl;
  if (config.revocationUrl !== undefined) resolved.revocationUrl = config.revocationUrl;
  if (config.userinfoUrl !== undefined) resolved.userinfoUrl = config.userinfoUrl;
  if (config.issuer !== undefined) resolved.issuer = config.issuer;
  if (config.jwksUri !== undefined) resolved.jwksUri = config.jwksUri;
  if (config.issParameterSupported !== undefined) resolved.issParameterSupported = config.issParameterSupported;
  if (config.tokenEndpointAuthMethod !== undefined) resolved.tokenEndpointAuthMethod = config.tokenEndpointAuthMethod;
  if (config.pkce !== undefined) resolved.pkce = config.pkce;
  if (config.scopeSeparator !== undefined) resolved.scopeSeparator = config.scopeSeparator;
  if (config.authorizationParams !== undefined) {
    resolved.authorizationParams = { ...base.authorizationParams, ...config.authorizationParams };
  }
  return resolved;
}

export function resolveIntegrationScheme(app: AppDefinition | undefined, integration: Integration): ResolvedScheme {
  return { ...resolveScheme(app, integration.authScheme, integration.config), scopes: integration.scopes };
}
