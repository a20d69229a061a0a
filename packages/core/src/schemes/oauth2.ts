import * as oauth from 'oauth4webapi';
import { renderTemplate } from '../catalog/template.js';
import type { Credentials } from '../model.js';
import type { AuthScheme, AuthorizeInput, CompleteInput, RefreshInput, ResolvedScheme, RevokeInput } from './auth-scheme.js';
import { CredentialsRevoked, SchemeFailure } from './auth-scheme.js';
import { applyPlacements } from './credential-placement.js';
import { clientAuthentication } from './client-authentication.js';
import { tokenResponseCredentials } from './token-response-credentials.js';
import { collectFields } from './field-values.js';
import { requestOptions } from './oauth-http.js';

const DEFAULT_PLACEMENT = [{ in: 'header' as const, name: 'Authorization', value: 'Bearer {accessToken}' }];

function authorizationServer(scheme: ResolvedScheme, data: Readonly<Record<string, string>>): oauth.AuthorizationServer {
  if (!scheme.authorizationUrl || !scheme.tokenUrl) throw new SchemeFailure('the integration has no authorization or token URL');
  const tokenUrl = renderTemplate(scheme.tokenUrl, data, { encode: true });
  return {
    // Without discovery there is no issuer to compare against; the token endpoint's origin
    // stands in so that nothing ever compares equal by accident.
    issuer: scheme.issuer === undefined ? new URL(tokenUrl).origin : renderTemplate(scheme.issuer, data, { encode: true }),
    authorization_endpoint: renderTemplate(scheme.authorizationUrl, data, { encode: true }),
    token_endpoint: tokenUrl,
    ...(scheme.revocationUrl && { revocation_endpoint: renderTemplate(scheme.revocationUrl, data, { encode: true }) }),
    ...(scheme.userinfoUrl && { userinfo_endpoint: renderTemplate(scheme.userinfoUrl, data, { encode: true }) }),
    ...(scheme.jwksUri && { jwks_uri: scheme.jwksUri }),
    ...(scheme.issParameterSupported && { authorization_response_iss_parameter_supported: true }),
  };
}

/**
 * RFC 9207 needs the real issuer. Without one (endpoint URLs given by hand) an `iss` the provider
 * sends could only be compared with a stand-in and would fail every honest callback, so it is
 * left out; with discovery, it is checked, and required when the server says it sends it.
 */
function callbackParameters(scheme: ResolvedScheme, callbackUrl: URL): URLSearchParams {
  const params = new URLSearchParams(callbackUrl.search);
  if (scheme.issuer === undefined) params.delete('iss');
  return params;
}

function wantsOpenId(scopes: readonly string[]): boolean {
  return scopes.includes('openid');
}

function describeFailure(error: unknown): string {
  if (error instanceof oauth.AuthorizationResponseError) {
    return `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
  }
  if (error instanceof oauth.ResponseBodyError) {
    return `token exchange refused: ${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
  }
  if (error instanceof oauth.OperationProcessingError) return `token response rejected: ${error.message}`;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'token endpoint timed out';
  if (error instanceof TypeError) return 'token endpoint unreachable';
  return 'token exchange failed';
}

/** Network trouble, 5xx and 429 may pass; an OAuth error answer (4xx) will not by itself. */
function isTransient(error: unknown): boolean {
  if (error instanceof oauth.ResponseBodyError) return error.status >= 500 || error.status === 429;
  if (error instanceof oauth.OperationProcessingError) return false;
  return true;
}

function toCredentials(response: oauth.TokenEndpointResponse, now: Date): Credentials {
  const credentials = tokenResponseCredentials(response, now);
  if (response.refresh_token) credentials.refreshToken = response.refresh_token;
  if (response.id_token) credentials.idToken = response.id_token;
  return credentials;
}

/**
 * `OAUTH2`: the authorization code grant (RFC 6749 §4.1) with PKCE S256 (RFC 7636), `state`
 * for CSRF, and for OpenID Connect a `nonce` checked in the ID token. All protocol checks are
 * oauth4webapi's; this module only decides parameters and maps failures to reasons.
 */
export const oauth2Scheme: AuthScheme = {
  name: 'OAUTH2',

  start({ scheme, data }) {
    const { publicData, missing } = collectFields(scheme.fields, data);
    if (missing.length > 0) return { kind: 'form', missing };
    return { kind: 'redirect', publicData };
  },

  async authorize({ scheme, client, scopes, redirectUri, data }: AuthorizeInput) {
    const as = authorizationServer(scheme, data);
    const url = new URL(as.authorization_endpoint as string);
    const state = oauth.generateRandomState();
    const pending: Record<string, string> = {};
    url.searchParams.set('client_id', client.clientId);
    url.searchParams.set('redirect_uri', redirectUri);
    url.searchParams.set('response_type', 'code');
    if (scopes.length > 0) url.searchParams.set('scope', scopes.join(scheme.scopeSeparator ?? ' '));
    url.searchParams.set('state', state);
    if (scheme.pkce !== false) {
      const codeVerifier = oauth.generateRandomCodeVerifier();
      url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
      url.searchParams.set('code_challenge_method', 'S256');
      pending.codeVerifier = codeVerifier;
    }
    if (wantsOpenId(scopes)) {
      const nonce = oauth.generateRandomNonce();
      url.searchParams.set('nonce', nonce);
      pending.nonce = nonce;
    }
    for (const [name, value] of Object.entries(scheme.authorizationParams ?? {})) url.searchParams.set(name, value);
    return { url: url.href, state, pending };
  },

  async complete({ scheme, client, redirectUri, callbackUrl, state, pending, data, now }: CompleteInput) {
    const as = authorizationServer(scheme, data);
    const oauthClient: oauth.Client = { client_id: client.clientId };
    try {
      // Checks `state` and, when the server sends it or advertises it, `iss` (RFC 9207).
      const params = oauth.validateAuthResponse(as, oauthClient, callbackParameters(scheme, callbackUrl), state);
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        oauthClient,
        clientAuthentication(scheme, client),
        params,
        redirectUri,
        pending.codeVerifier ?? oauth.nopkce,
        requestOptions(as.token_endpoint as string),
      );
      const result = await oauth.processAuthorizationCodeResponse(as, oauthClient, response, {
        expectedNonce: pending.nonce ?? oauth.expectNoNonce,
        requireIdToken: pending.nonce !== undefined,
      });
      return toCredentials(result, now);
    } catch (error) {
      throw new SchemeFailure(describeFailure(error), { cause: error });
    }
  },

  async refresh({ scheme, client, credentials, data, now }: RefreshInput) {
    const refreshToken = credentials.refreshToken;
    if (typeof refreshToken !== 'string') throw new CredentialsRevoked('no refresh token was issued; reinitiate the connection');
    const as = authorizationServer(scheme, data);
    const oauthClient: oauth.Client = { client_id: client.clientId };
    try {
      const response = await oauth.refreshTokenGrantRequest(
        as,
        oauthClient,
        clientAuthentication(scheme, client),
        refreshToken,
        requestOptions(as.token_endpoint as string),
      );
      const result = await oauth.processRefreshTokenResponse(as, oauthClient, response);
      const next = toCredentials(result, now);
      // RFC 6749 §6: the server MAY issue a new refresh token; if it does not, the old one stays valid.
      if (next.refreshToken === undefined) next.refreshToken = refreshToken;
      return next;
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant') {
        throw new CredentialsRevoked(describeFailure(error), { cause: error });
      }
      throw new SchemeFailure(describeFailure(error), { cause: error, transient: isTransient(error) });
    }
  },

  /**
   * RFC 7009 §2.1: revoking the refresh token should end the whole grant, access tokens
   * included; the access token is revoked as well for servers that do not.
   */
  async revoke({ scheme, client, credentials, data }: RevokeInput) {
    const as = authorizationServer(scheme, data);
    if (!as.revocation_endpoint) return false;
    const oauthClient: oauth.Client = { client_id: client.clientId };
    const tokens: Array<[string, 'refresh_token' | 'access_token']> = [];
    if (typeof credentials.refreshToken === 'string') tokens.push([credentials.refreshToken, 'refresh_token']);
    if (typeof credentials.accessToken === 'string') tokens.push([credentials.accessToken, 'access_token']);
    for (const [token, hint] of tokens) {
      const response = await oauth.revocationRequest(as, oauthClient, clientAuthentication(scheme, client), token, {
        additionalParameters: { token_type_hint: hint },
        ...requestOptions(as.revocation_endpoint),
      });
      await oauth.processRevocationResponse(response);
    }
    return true;
  },

  apply(credentials, scheme, data, request) {
    applyPlacements(scheme.placement.length > 0 ? scheme.placement : DEFAULT_PLACEMENT, credentials, data, request);
  },
};
