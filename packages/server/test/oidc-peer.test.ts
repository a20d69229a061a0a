import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { describe, it, expect, onTestFinished } from 'vitest';
import * as oauth from 'oauth4webapi';

import { startOidcPeer } from './support/oidc-peer.js';
import type { OidcPeer, OidcPeerOptions } from './support/oidc-peer.js';
import { BrowserClient, authorizeAtOidcPeer, parseForms } from './support/browser-client.js';

const REDIRECT_URI = 'http://127.0.0.1:9/callback'; // never requested: flows stop there via `stopAt`
const stopAtRedirectUri = (url: URL): boolean => url.href.startsWith(REDIRECT_URI);

const WEB = { clientId: 'web-app', clientSecret: 'web-secret', redirectUris: [REDIRECT_URI] };
const POST = { clientId: 'post-app', clientSecret: 'post-secret', redirectUris: [REDIRECT_URI], tokenEndpointAuthMethod: 'client_secret_post' as const };
const SERVICE = { clientId: 'service-app', clientSecret: 'service-secret', redirectUris: [], grantTypes: ['client_credentials'] };
const NO_REFRESH = { clientId: 'no-refresh-app', clientSecret: 'nr-secret', redirectUris: [REDIRECT_URI], grantTypes: ['authorization_code'] };

const insecure = { [oauth.allowInsecureRequests]: true };

async function peerFor(opts: Partial<OidcPeerOptions> = {}): Promise<OidcPeer> {
  const peer = await startOidcPeer({ clients: [WEB, POST, SERVICE, NO_REFRESH], ...opts });
  onTestFinished(() => peer.close());
  return peer;
}

async function discover(peer: OidcPeer): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(peer.issuer);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
}

interface StartedAuth {
  url: string;
  state: string;
  codeVerifier: string;
}

async function authorizationUrl(as: oauth.AuthorizationServer, clientId: string, scope = 'openid email profile'): Promise<StartedAuth> {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  }).toString();
  return { url: url.href, state, codeVerifier };
}

/** Full browser round trip; returns the callback parameters (validated: state + iss). */
async function obtainCode(as: oauth.AuthorizationServer, client: oauth.Client, login: string, browser = new BrowserClient()): Promise<{ params: URLSearchParams; codeVerifier: string }> {
  const started = await authorizationUrl(as, client.client_id);
  const landed = await authorizeAtOidcPeer(browser, started.url, { login, consent: 'approve', stopAt: stopAtRedirectUri });
  expect(landed.url.startsWith(REDIRECT_URI)).toBe(true);
  expect([302, 303]).toContain(landed.status);
  const params = oauth.validateAuthResponse(as, client, new URL(landed.url), started.state);
  return { params, codeVerifier: started.codeVerifier };
}

async function expectOAuthError(promise: Promise<unknown>, error: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(oauth.ResponseBodyError);
  expect((err as oauth.ResponseBodyError).error).toBe(error);
}

describe('oidc peer (real oidc-provider) + browser client', () => {
  it('serves discovery on 127.0.0.1 with the advertised endpoints', async () => {
    const peer = await peerFor();
    expect(peer.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const as = await discover(peer);
    expect(as.issuer).toBe(peer.issuer);
    expect(as.authorization_endpoint).toBe(peer.authorizationEndpoint);
    expect(as.token_endpoint).toBe(peer.tokenEndpoint);
    expect(as.userinfo_endpoint).toBe(peer.userinfoEndpoint);
    expect(as.revocation_endpoint).toBe(peer.revocationEndpoint);
    expect(as.jwks_uri).toBe(peer.jwksUri);
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    expect(as.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
    expect(as.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'offline_access']));
  });

  it('authorization code + PKCE → tokens incl. refresh token; userinfo; refresh rotates and the old refresh token is refused', async () => {
    const peer = await peerFor();
    const as = await discover(peer);
    const client: oauth.Client = { client_id: WEB.clientId };
    const auth = oauth.ClientSecretBasic(WEB.clientSecret);

    const { params, codeVerifier } = await obtainCode(as, client, 'alice');
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, auth, params, REDIRECT_URI, codeVerifier, insecure),
    );
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.expires_in).toBe(3600);
    expect(oauth.getValidatedIdTokenClaims(tokens)?.sub).toBe('alice');

    const userinfo = await oauth.processUserInfoResponse(as, client, 'alice', await oauth.userInfoRequest(as, client, tokens.access_token, insecure));
    expect(userinfo).toMatchObject({ sub: 'alice', email: 'alice@example.com', name: 'User alice' });

    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, insecure),
    );
    expect(refreshed.access_token).toBeTruthy();
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    // The old (consumed) refresh token is refused ...
    await expectOAuthError(
      oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, insecure)),
      'invalid_grant',
    );
    // ... and, as reuse detection, oidc-provider then revokes the whole grant: the rotated one is dead too.
    await expectOAuthError(
      oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, auth, refreshed.refresh_token!, insecure)),
      'invalid_grant',
    );

    expect(peer.grants).toEqual({ authorizationCode: 1, refreshToken: 1, clientCredentials: 0 });
    expect(peer.tokenRequests).toEqual([
      { grantType: 'authorization_code', codeVerifier, ok: true },
      { grantType: 'refresh_token', ok: true },
      { grantType: 'refresh_token', ok: false, error: 'invalid_grant' },
      { grantType: 'refresh_token', ok: false, error: 'invalid_grant' },
    ]);
    expect(peer.serverErrors).toEqual([]);
  });

  it('client_secret_post clients work; a client without the refresh_token grant gets no refresh token', async () => {
    const peer = await peerFor();
    const as = await discover(peer);

    const post: oauth.Client = { client_id: POST.clientId };
    const a = await obtainCode(as, post, 'bob');
    const postTokens = await oauth.processAuthorizationCodeResponse(
      as,
      post,
      await oauth.authorizationCodeGrantRequest(as, post, oauth.ClientSecretPost(POST.clientSecret), a.params, REDIRECT_URI, a.codeVerifier, insecure),
    );
    expect(postTokens.refresh_token).toBeTruthy();

    const noRefresh: oauth.Client = { client_id: NO_REFRESH.clientId };
    const b = await obtainCode(as, noRefresh, 'bob');
    const nrTokens = await oauth.processAuthorizationCodeResponse(
      as,
      noRefresh,
      await oauth.authorizationCodeGrantRequest(as, noRefresh, oauth.ClientSecretBasic(NO_REFRESH.clientSecret), b.params, REDIRECT_URI, b.codeVerifier, insecure),
    );
    expect(nrTokens.access_token).toBeTruthy();
    expect(nrTokens.refresh_token).toBeUndefined();
    expect(peer.grants.authorizationCode).toBe(2);
  });

  it('refuses a wrong PKCE code_verifier (recorded in tokenRequests)', async () => {
    const peer = await peerFor();
    const as = await discover(peer);
    const client: oauth.Client = { client_id: WEB.clientId };
    const { params } = await obtainCode(as, client, 'carol');

    const wrongVerifier = oauth.generateRandomCodeVerifier();
    await expectOAuthError(
      oauth.processAuthorizationCodeResponse(
        as,
        client,
        await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic(WEB.clientSecret), params, REDIRECT_URI, wrongVerifier, insecure),
      ),
      'invalid_grant',
    );
    expect(peer.tokenRequests).toEqual([{ grantType: 'authorization_code', codeVerifier: wrongVerifier, ok: false, error: 'invalid_grant' }]);
    expect(peer.grants).toEqual({ authorizationCode: 0, refreshToken: 0, clientCredentials: 0 });
  });

  it('an authorization request without PKCE is refused at the authorization endpoint', async () => {
    const peer = await peerFor();
    const url = new URL(peer.authorizationEndpoint);
    url.search = new URLSearchParams({ client_id: WEB.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid', state: 's1' }).toString();
    const landed = await authorizeAtOidcPeer(new BrowserClient(), url.href, { login: 'x', consent: 'approve', stopAt: stopAtRedirectUri });
    const callback = new URL(landed.url);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('consent denied → redirect_uri?error=access_denied', async () => {
    const peer = await peerFor();
    const as = await discover(peer);
    const started = await authorizationUrl(as, WEB.clientId);
    const landed = await authorizeAtOidcPeer(new BrowserClient(), started.url, { login: 'dave', consent: 'deny', stopAt: stopAtRedirectUri });
    const callback = new URL(landed.url);
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(started.state);
    expect(callback.searchParams.get('iss')).toBe(peer.issuer);
    expect(() => oauth.validateAuthResponse(as, { client_id: WEB.clientId }, callback, started.state)).toThrow(oauth.AuthorizationResponseError);
    expect(peer.tokenRequests).toEqual([]);
  });

  it('a second authorization in the same browser skips login and consent', async () => {
    const peer = await peerFor();
    const as = await discover(peer);
    const client: oauth.Client = { client_id: WEB.clientId };
    const browser = new BrowserClient();
    await obtainCode(as, client, 'erin', browser);

    const started = await authorizationUrl(as, WEB.clientId);
    const direct = await browser.follow(started.url, { stopAt: stopAtRedirectUri });
    expect(new URL(direct.url).searchParams.get('code')).toBeTruthy();
  });

  it('client_credentials grant works for a client that has it, and is refused otherwise', async () => {
    const peer = await peerFor();
    const as = await discover(peer);
    const service: oauth.Client = { client_id: SERVICE.clientId };
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      service,
      await oauth.clientCredentialsGrantRequest(as, service, oauth.ClientSecretBasic(SERVICE.clientSecret), {}, insecure),
    );
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.refresh_token).toBeUndefined();

    const web: oauth.Client = { client_id: WEB.clientId };
    const refused = await oauth.clientCredentialsGrantRequest(as, web, oauth.ClientSecretBasic(WEB.clientSecret), {}, insecure);
    expect(refused.status).toBe(400);
    // oidc-provider answers invalid_request ("requested grant type is not allowed for this client").
    expect(await refused.json()).toMatchObject({ error: 'invalid_request' });

    expect(peer.grants).toEqual({ authorizationCode: 0, refreshToken: 0, clientCredentials: 1 });
    expect(peer.tokenRequests).toEqual([
      { grantType: 'client_credentials', ok: true },
      { grantType: 'client_credentials', ok: false, error: 'invalid_request' },
    ]);
  });

  it('wrong client secret → invalid_client (recorded)', async () => {
    const peer = await peerFor();
    const as = await discover(peer);
    const service: oauth.Client = { client_id: SERVICE.clientId };
    const res = await oauth.clientCredentialsGrantRequest(as, service, oauth.ClientSecretBasic('nope'), {}, insecure);
    expect(res.status).toBe(401);
    expect(peer.tokenRequests).toEqual([{ grantType: 'client_credentials', ok: false, error: 'invalid_client' }]);
  });

  it('revokeGrantsFor(account) kills that account’s refresh tokens only', async () => {
    const peer = await peerFor();
    const as = await discover(peer);
    const client: oauth.Client = { client_id: WEB.clientId };
    const auth = oauth.ClientSecretBasic(WEB.clientSecret);
    const tokensFor = async (login: string): Promise<oauth.TokenEndpointResponse> => {
      const { params, codeVerifier } = await obtainCode(as, client, login);
      return oauth.processAuthorizationCodeResponse(as, client, await oauth.authorizationCodeGrantRequest(as, client, auth, params, REDIRECT_URI, codeVerifier, insecure));
    };
    const frank = await tokensFor('frank');
    const grace = await tokensFor('grace');

    await peer.revokeGrantsFor('frank');

    await expectOAuthError(
      oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, auth, frank.refresh_token!, insecure)),
      'invalid_grant',
    );
    const userinfo = await oauth.userInfoRequest(as, client, frank.access_token, insecure);
    expect(userinfo.status).toBe(401);

    const graceRefreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, auth, grace.refresh_token!, insecure));
    expect(graceRefreshed.refresh_token).toBeTruthy();
  });

  it('the revocation endpoint revokes a refresh token (and with it the grant)', async () => {
    const peer = await peerFor();
    const as = await discover(peer);
    const client: oauth.Client = { client_id: WEB.clientId };
    const auth = oauth.ClientSecretBasic(WEB.clientSecret);
    const { params, codeVerifier } = await obtainCode(as, client, 'judy');
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, await oauth.authorizationCodeGrantRequest(as, client, auth, params, REDIRECT_URI, codeVerifier, insecure));

    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, tokens.refresh_token!, insecure));
    await expectOAuthError(
      oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, insecure)),
      'invalid_grant',
    );
    expect((await oauth.userInfoRequest(as, client, tokens.access_token, insecure)).status).toBe(401);
  });

  it('accessTokenTtlSeconds shortens access token lifetime (no clock tolerance)', async () => {
    // oidc-provider works in whole seconds: exp = floor(issuedAt) + ttl, expired once floor(now) >= exp.
    // A token with ttl N is therefore usable for between N-1 and N seconds — ttl 1 may be dead at once.
    const peer = await peerFor({ accessTokenTtlSeconds: 2 });
    const as = await discover(peer);
    const client: oauth.Client = { client_id: WEB.clientId };
    const auth = oauth.ClientSecretBasic(WEB.clientSecret);
    const { params, codeVerifier } = await obtainCode(as, client, 'heidi');
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, await oauth.authorizationCodeGrantRequest(as, client, auth, params, REDIRECT_URI, codeVerifier, insecure));
    expect(tokens.expires_in).toBe(2);
    expect((await oauth.userInfoRequest(as, client, tokens.access_token, insecure)).status).toBe(200);

    await new Promise((r) => setTimeout(r, 2050));
    expect((await oauth.userInfoRequest(as, client, tokens.access_token, insecure)).status).toBe(401);

    const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, insecure));
    expect(refreshed.expires_in).toBe(2);
    expect((await oauth.userInfoRequest(as, client, refreshed.access_token, insecure)).status).toBe(200);
  });

  it('extra scopes are supported', async () => {
    const peer = await peerFor({ scopes: ['calendar.read'] });
    const as = await discover(peer);
    expect(as.scopes_supported).toContain('calendar.read');
    const client: oauth.Client = { client_id: WEB.clientId };
    const started = await authorizationUrl(as, WEB.clientId, 'openid calendar.read');
    const landed = await authorizeAtOidcPeer(new BrowserClient(), started.url, { login: 'ivan', consent: 'approve', stopAt: stopAtRedirectUri });
    const params = oauth.validateAuthResponse(as, client, new URL(landed.url), started.state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic(WEB.clientSecret), params, REDIRECT_URI, started.codeVerifier, insecure),
    );
    expect(tokens.scope?.split(' ')).toEqual(expect.arrayContaining(['openid', 'calendar.read']));
  });
});

describe('BrowserClient', () => {
  it('keeps cookies per host:port with path matching and deletion; follows relative redirects; stopAt does not request', async () => {
    const seen: Array<{ path: string; cookie: string | undefined }> = [];
    const server = createServer((req, res) => {
      const path = req.url ?? '/';
      seen.push({ path, cookie: req.headers.cookie });
      if (path === '/set') {
        res.setHeader('set-cookie', ['root=1; Path=/', 'scoped=2; Path=/a', 'dflt=3', 'gone=4; Path=/; Max-Age=0']);
        res.writeHead(302, { location: 'a/b' }).end();
      } else if (path === '/a/b') {
        res.writeHead(303, { location: '/final?x=1' }).end();
      } else if (path === '/final?x=1') {
        res.end('<form action="/submit?q=1" method="POST"><input type="hidden" name="h" value="a&amp;b"><input name="t"><input type="checkbox" name="c"></form>');
      } else if (path === '/submit?q=1') {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => res.writeHead(302, { location: `/echo?${body}` }).end());
      } else if (path === '/clear') {
        res.setHeader('set-cookie', 'root=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
        res.end('ok');
      } else {
        res.end(`path=${path}`);
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const browser = new BrowserClient();
    const page = await browser.follow(`${base}/set`);
    expect(page.status).toBe(200);
    expect(page.url).toBe(`${base}/final?x=1`);
    expect(seen.map((s) => s.path)).toEqual(['/set', '/a/b', '/final?x=1']);
    expect(seen[1]!.cookie).toBe('scoped=2; root=1; dflt=3');
    expect(seen[2]!.cookie).toBe('root=1; dflt=3');
    expect(browser.cookiesFor(`${base}/a`)).toEqual({ scoped: '2', root: '1', dflt: '3' });
    expect(browser.cookiesFor(`${base}/ab`)).toEqual({ root: '1', dflt: '3' });
    expect(browser.cookiesFor(`http://localhost:${new URL(base).port}/`)).toEqual({});

    expect(parseForms(page.body, page.url)).toEqual([{ action: `${base}/submit?q=1`, method: 'POST', fields: { h: 'a&b', t: '' } }]);
    const stopped = await browser.submitForm(page, { t: 'typed' }, { stopAt: (u) => u.pathname === '/echo' });
    expect(stopped.status).toBe(302);
    expect(new URL(stopped.url).searchParams.get('h')).toBe('a&b');
    expect(new URL(stopped.url).searchParams.get('t')).toBe('typed');
    expect(seen.at(-1)!.path).toBe('/submit?q=1'); // /echo was not requested

    await browser.get(`${base}/clear`);
    expect(browser.cookiesFor(`${base}/`)).toEqual({ dflt: '3' });
  });
});
