import * as oauth from 'oauth4webapi';
import { renderTemplate } from '../catalog/template.js';
import { AuthlinkError } from '../errors/authlink-error.js';
import type { Credentials } from '../model.js';
import type { AuthScheme, OAuthClient, RefreshInput, ResolvedScheme } from './auth-scheme.js';
import { SchemeFailure } from './auth-scheme.js';
import { clientAuthentication } from './client-authentication.js';
import { applyPlacements } from './credential-placement.js';
import { collectFields } from './field-values.js';
import { GrantFailure, initiationError, toGrantFailure } from './grant-failure.js';
import { requestOptions } from './oauth-http.js';
import { tokenResponseCredentials } from './token-response-credentials.js';

const DEFAULT_PLACEMENT = [{ in: 'header' as const, name: 'Authorization', value: 'Bearer {accessToken}' }];

function tokenEndpoint(scheme: ResolvedScheme, data: Readonly<Record<string, string>>): oauth.AuthorizationServer {
  if (!scheme.tokenUrl) throw new AuthlinkError('INTEGRATION_CONFIG_INVALID', 'the integration has no token URL: pass issuer or tokenUrl');
  const tokenUrl = renderTemplate(scheme.tokenUrl, data, { encode: true });
  // Without discovery there is no issuer; the token endpoint's origin stands in (as in oauth2.ts).
  return { issuer: scheme.issuer ?? new URL(tokenUrl).origin, token_endpoint: tokenUrl };
}

/** RFC 6749 §4.4.2–4.4.3: one token request authenticated as the client, nothing else. */
async function grant(scheme: ResolvedScheme, client: OAuthClient, data: Readonly<Record<string, string>>, now: Date): Promise<Credentials> {
  const as = tokenEndpoint(scheme, data);
  const oauthClient: oauth.Client = { client_id: client.clientId };
  const parameters = new URLSearchParams();
  const scopes = scheme.scopes ?? scheme.defaultScopes ?? [];
  if (scopes.length > 0) parameters.set('scope', scopes.join(scheme.scopeSeparator ?? ' '));
  try {
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      oauthClient,
      clientAuthentication(scheme, client),
      parameters,
      requestOptions(as.token_endpoint as string),
    );
    return tokenResponseCredentials(await oauth.processClientCredentialsResponse(as, oauthClient, response), now);
  } catch (error) {
    throw toGrantFailure(error);
  }
}

/**
 * `CLIENT_CREDENTIALS`: the application acts as itself (RFC 6749 §4.4). There is no user consent
 * and no refresh token (§4.4.3: one SHOULD NOT be issued): the first token is obtained at
 * initiation, so a misconfigured client never yields an ACTIVE account, and "refreshing" is
 * simply a new grant.
 */
export const clientCredentialsScheme: AuthScheme = {
  name: 'CLIENT_CREDENTIALS',

  async start({ scheme, data, client, now }) {
    const { publicData, missing } = collectFields(scheme.fields, data);
    if (missing.length > 0) return { kind: 'form', missing };
    try {
      return { kind: 'ready', credentials: await grant(scheme, await client(), data, now), publicData };
    } catch (error) {
      if (!(error instanceof GrantFailure)) throw error;
      // The client id, secret and scopes are the integration's: a refusal is its configuration's fault.
      throw initiationError(error, (reason) => new AuthlinkError('INTEGRATION_CONFIG_INVALID', `the token endpoint refused the integration's client credentials (${reason})`, { cause: error }));
    }
  },

  async refresh({ scheme, client, data, now }: RefreshInput) {
    try {
      return await grant(scheme, client, data, now);
    } catch (error) {
      if (!(error instanceof GrantFailure)) throw error;
      // Even a refusal is not the account's end: fixing the integration's secret heals every account.
      throw new SchemeFailure(error.reason, { cause: error });
    }
  },

  apply(credentials, scheme, data, request) {
    applyPlacements(scheme.placement.length > 0 ? scheme.placement : DEFAULT_PLACEMENT, credentials, data, request);
  },
};
