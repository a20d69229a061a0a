import * as oauth from 'oauth4webapi';
import { AuthlinkError } from '../errors/authlink-error.js';
import type { IntegrationConfig } from '../model.js';
import { requestOptions } from './oauth-http.js';

/**
 * Reads an issuer's metadata: OpenID Connect discovery first, then RFC 8414 authorization server
 * metadata. oauth4webapi checks that the document's `issuer` equals the one asked for
 * (RFC 8414 §3.3), which is what stops a metadata mix-up.
 */
export async function discoverIssuer(issuer: string): Promise<IntegrationConfig> {
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(issuer);
  } catch {
    throw new AuthlinkError('DISCOVERY_FAILED', `issuer is not a URL: ${issuer}`);
  }
  const failures: string[] = [];
  for (const algorithm of ['oidc', 'oauth2'] as const) {
    try {
      const response = await oauth.discoveryRequest(issuerUrl, { algorithm, ...requestOptions(issuerUrl) });
      const metadata = await oauth.processDiscoveryResponse(issuerUrl, response);
      if (!metadata.authorization_endpoint || !metadata.token_endpoint) {
        throw new Error('metadata lacks authorization_endpoint or token_endpoint');
      }
      const config: IntegrationConfig = {
        issuer: metadata.issuer,
        authorizationUrl: metadata.authorization_endpoint,
        tokenUrl: metadata.token_endpoint,
        pkce: metadata.code_challenge_methods_supported?.includes('S256') ?? false,
        issParameterSupported: metadata.authorization_response_iss_parameter_supported === true,
      };
      if (metadata.revocation_endpoint) config.revocationUrl = metadata.revocation_endpoint;
      if (metadata.userinfo_endpoint) config.userinfoUrl = metadata.userinfo_endpoint;
      if (metadata.jwks_uri) config.jwksUri = metadata.jwks_uri;
      const methods = metadata.token_endpoint_auth_methods_supported;
      if (methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post')) {
        config.tokenEndpointAuthMethod = 'client_secret_post';
      }
      return config;
    } catch (error) {
      failures.push(`${algorithm === 'oidc' ? 'OpenID Connect discovery' : 'RFC 8414 metadata'}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new AuthlinkError('DISCOVERY_FAILED', `could not read metadata for ${issuerUrl.href} (${failures.join('; ')})`);
}
