import { createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { renderTemplate } from '../catalog/template.js';
import { AuthlinkError } from '../errors/authlink-error.js';
import { randomToken } from '../ids.js';
import type { AuthScheme, AuthorizeInput, CompleteInput, OAuthClient, ResolvedScheme } from './auth-scheme.js';
import { SchemeFailure } from './auth-scheme.js';
import { isRefusal, postToEndpoint } from './endpoint-post.js';
import { collectFields } from './field-values.js';
import { GrantFailure, initiationError } from './grant-failure.js';

/** The protocol parameters the signing library computes (RFC 5849 §3.1); the rest are ours. */
const COMPUTED_PARAMETERS = ['oauth_consumer_key', 'oauth_nonce', 'oauth_signature_method', 'oauth_timestamp', 'oauth_version', 'oauth_token', 'oauth_signature'] as const;

interface Endpoints {
  requestToken: URL;
  authorization: URL;
  accessToken: URL;
}

function endpointsOf(scheme: ResolvedScheme, data: Readonly<Record<string, string>>): Endpoints {
  if (!scheme.requestTokenUrl || !scheme.authorizationUrl || !scheme.tokenUrl) {
    throw new AuthlinkError('INTEGRATION_CONFIG_INVALID', 'OAUTH1 needs requestTokenUrl, authorizationUrl and tokenUrl from the app definition');
  }
  const render = (template: string) => new URL(renderTemplate(template, data, { encode: true }));
  return { requestToken: render(scheme.requestTokenUrl), authorization: render(scheme.authorizationUrl), accessToken: render(scheme.tokenUrl) };
}

/** HMAC-SHA1 (RFC 5849 §3.4.2): the key is the consumer secret and the token secret, joined by '&'. */
function signer(client: OAuthClient): OAuth {
  if (!client.clientSecret) throw new AuthlinkError('INTEGRATION_CONFIG_INVALID', 'the integration has no consumer secret (authConfig.clientSecret)');
  return new OAuth({
    consumer: { key: client.clientId, secret: client.clientSecret },
    signature_method: 'HMAC-SHA1',
    hash_function: (baseString, key) => createHmac('sha1', key).update(baseString).digest('base64'),
  });
}

/**
 * Signs one request (RFC 5849 §3.4) and returns its Authorization header (§3.5.1). `parameters`
 * are the query and form-body parameters (§3.4.1.3.1); `protocol` adds oauth_callback or
 * oauth_verifier, which are signed and sent in the header too.
 */
function authorizationHeader(
  consumer: OAuth,
  method: string,
  url: URL,
  parameters: Iterable<[string, string]>,
  token?: OAuth.Token,
  protocol: Record<string, string> = {},
): string {
  const data: Record<string, string | string[]> = { ...protocol };
  for (const [name, value] of parameters) {
    const seen = data[name];
    data[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  // §3.4.1.2: the base string URI is scheme, host (no default port) and path — never the query,
  // which is signed as parameters. URL has already lower-cased scheme and host.
  const baseUri = `${url.protocol}//${url.host}${url.pathname}`;
  const signed = consumer.authorize({ method: method.toUpperCase(), url: baseUri, data }, token);
  const header: Record<string, string | number> = { ...protocol };
  for (const name of COMPUTED_PARAMETERS) {
    const value = signed[name];
    if (value !== undefined) header[name] = value;
  }
  return consumer.toHeader(header as unknown as OAuth.Authorization).Authorization;
}

/** The temporary (§2.1) and token (§2.3) credential requests: a signed POST answered form-encoded. */
async function credentialRequest(consumer: OAuth, url: URL, token: OAuth.Token | undefined, protocol: Record<string, string>): Promise<{ token: string; secret: string; answer: URLSearchParams }> {
  const authorization = authorizationHeader(consumer, 'POST', url, url.searchParams, token, protocol);
  const { status, text } = await postToEndpoint(url, { authorization, accept: 'application/x-www-form-urlencoded' });
  const answer = new URLSearchParams(text);
  // The OAuth Problem Reporting extension names what went wrong (signature_invalid, nonce_used…).
  const problem = answer.get('oauth_problem')?.slice(0, 100);
  const detail = `HTTP ${status}${problem ? `: ${problem}` : ''}`;
  if (isRefusal(status)) throw new GrantFailure('refused', `${url.origin} refused the request (${detail})`);
  if (status < 200 || status > 299) throw new GrantFailure('unavailable', `${url.origin} answered ${detail}`);
  const issued = answer.get('oauth_token');
  const secret = answer.get('oauth_token_secret');
  if (!issued || secret === null) throw new GrantFailure('unavailable', `${url.origin} answered without oauth_token and oauth_token_secret`);
  return { token: issued, secret, answer };
}

/**
 * `OAUTH1`: three-legged OAuth 1.0a (RFC 5849) with HMAC-SHA1. The signature base string and
 * header come from the `oauth-1.0a` package; which parameters are signed is decided here.
 *
 * OAuth 1.0a has no `state` parameter. Ours rides in the callback URI's query, which the provider
 * keeps when it adds oauth_token and oauth_verifier (§2.2), so the callback finds the flow as it
 * does for OAuth 2.0; the request token it names must then be the one this flow obtained.
 */
export const oauth1Scheme: AuthScheme = {
  name: 'OAUTH1',
  signsEachRequest: true,

  start({ scheme, data }) {
    const { publicData, missing } = collectFields(scheme.fields, data);
    if (missing.length > 0) return { kind: 'form', missing };
    return { kind: 'redirect', publicData };
  },

  async authorize({ scheme, client, redirectUri, data }: AuthorizeInput) {
    const endpoints = endpointsOf(scheme, data);
    const state = randomToken();
    const callback = new URL(redirectUri);
    callback.searchParams.set('state', state);
    let temporary;
    try {
      temporary = await credentialRequest(signer(client), endpoints.requestToken, undefined, { oauth_callback: callback.href });
    } catch (error) {
      if (!(error instanceof GrantFailure)) throw error;
      throw initiationError(error, (reason) => new AuthlinkError('INTEGRATION_CONFIG_INVALID', `the provider refused the integration's consumer key (${reason})`, { cause: error }));
    }
    // §2.1: a 1.0a server MUST confirm the callback. One that does not speaks OAuth 1.0, whose
    // flow is open to session fixation (the reason 1.0a exists).
    if (temporary.answer.get('oauth_callback_confirmed') !== 'true') {
      throw new AuthlinkError('PROVIDER_ERROR', 'the provider did not confirm the callback (oauth_callback_confirmed): it does not speak OAuth 1.0a');
    }
    const url = new URL(endpoints.authorization);
    url.searchParams.set('oauth_token', temporary.token);
    // The request token secret signs the token request: it stays with the flow, encrypted.
    return { url: url.href, state, pending: { requestToken: temporary.token, requestTokenSecret: temporary.secret } };
  },

  async complete({ scheme, client, callbackUrl, pending, data }: CompleteInput) {
    const verifier = callbackUrl.searchParams.get('oauth_verifier');
    if (!verifier) throw new SchemeFailure('access_denied: the provider sent no oauth_verifier');
    const { requestToken, requestTokenSecret } = pending;
    if (requestToken === undefined || requestTokenSecret === undefined) throw new SchemeFailure('invalid_state: the flow holds no request token');
    // §2.3: the verifier is bound to one request token; a callback naming another is not this flow's.
    if (callbackUrl.searchParams.get('oauth_token') !== requestToken) throw new SchemeFailure('token_mismatch: the callback names another request token');
    try {
      const issued = await credentialRequest(signer(client), endpointsOf(scheme, data).accessToken, { key: requestToken, secret: requestTokenSecret }, { oauth_verifier: verifier });
      return { accessToken: issued.token, tokenSecret: issued.secret };
    } catch (error) {
      if (error instanceof GrantFailure) throw new SchemeFailure(`token exchange refused: ${error.reason}`, { cause: error });
      if (error instanceof AuthlinkError) throw new SchemeFailure(`token exchange failed: ${error.message}`, { cause: error });
      throw error;
    }
  },

  /** §3.5.1: every request carries its own signature over method, URL and parameters. */
  apply(credentials, _scheme, _data, request, client) {
    if (client === undefined || request.method === undefined || request.url === undefined) {
      throw new AuthlinkError('INTERNAL_ERROR', 'OAUTH1 signs each request: apply needs the integration client and the request method and url');
    }
    const { accessToken, tokenSecret } = credentials;
    if (typeof accessToken !== 'string' || typeof tokenSecret !== 'string') {
      throw new AuthlinkError('CONNECTION_NOT_ACTIVE', 'the account holds no OAuth 1.0a token credentials');
    }
    const parameters = [...request.url.searchParams, ...request.query, ...(request.form ?? [])];
    request.headers.authorization = authorizationHeader(signer(client), request.method, request.url, parameters, { key: accessToken, secret: tokenSecret });
  },
};
