import { hashToken } from '@authlink/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserClient, authorizeAtOidcPeer } from './support/browser-client.js';
import { startOidcPeer, type OidcPeer } from './support/oidc-peer.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const APP_ORIGIN = 'http://app.example';
const CLIENT = { clientId: 'authlink-e2e', clientSecret: 'e2e-client-secret-0123456789' };

let server: TestServer;
let peer: OidcPeer;
let integrationId: string;

beforeAll(async () => {
  server = await startTestServer();
  peer = await startOidcPeer({ clients: [{ ...CLIENT, redirectUris: [`${server.url}/oauth/callback`] }] });
  const created = await server.api('POST', '/api/v1/integrations', {
    app: 'acme-idp',
    authScheme: 'OAUTH2',
    authConfig: { issuer: peer.issuer, ...CLIENT, scopes: ['openid', 'email', 'profile'] },
  });
  expect(created.status).toBe(201);
  integrationId = created.body.id;
});

afterAll(async () => {
  await peer?.close();
  await server?.close();
});

async function initiate(extra: Record<string, unknown> = {}) {
  const response = await server.api('POST', '/api/v1/connected-accounts', { integrationId, redirectUrl: `${APP_ORIGIN}/done`, ...extra });
  expect(response.status).toBe(201);
  expect(response.body.connectionStatus).toBe('INITIATED');
  return response.body as { connectedAccountId: string; redirectUrl: string };
}

const stopAtCallback = (url: URL) => url.pathname === '/oauth/callback' || url.origin === APP_ORIGIN;

/** Runs the browser to the point where the provider sends it back to authlink, without going there. */
async function reachCallback(connectUrl: string, consent: 'approve' | 'deny' = 'approve', login = 'melissa') {
  const browser = new BrowserClient();
  const page = await authorizeAtOidcPeer(browser, connectUrl, { login, consent, stopAt: stopAtCallback });
  const callback = new URL(page.url);
  expect(callback.pathname).toBe('/oauth/callback');
  return { browser, callback };
}

async function account(id: string) {
  return (await server.api('GET', `/api/v1/connected-accounts/${id}`)).body;
}

describe('OAuth 2.0 authorization code flow against a real OpenID provider', () => {
  it('reads the provider metadata from the issuer alone and hides the client secret', async () => {
    const integration = await server.api('GET', `/api/v1/integrations/${integrationId}`);
    expect(integration.body.authConfig).toMatchObject({ issuer: peer.issuer, tokenUrl: peer.tokenEndpoint, pkce: true });
    expect(integration.body.hasClientSecret).toBe(true);
    expect(JSON.stringify(integration.body)).not.toContain(CLIENT.clientSecret);
  });

  it('makes the account ACTIVE after consent and serves its tokens', async () => {
    const { connectedAccountId, redirectUrl } = await initiate({ labels: ['work'] });
    const { browser, callback } = await reachCallback(redirectUrl);
    expect(callback.searchParams.get('iss')).toBe(peer.issuer);

    const landing = await browser.get(callback.href);
    expect(landing.status).toBe(303);
    const back = new URL(landing.headers.get('location') ?? '');
    expect(back.origin + back.pathname).toBe(`${APP_ORIGIN}/done`);
    expect(Object.fromEntries(back.searchParams)).toEqual({ status: 'success', connectedAccountId, appName: 'acme-idp' });

    const active = await account(connectedAccountId);
    expect(active).toMatchObject({ status: 'ACTIVE', statusReason: null, labels: ['work'], entityId: 'default' });

    const credentials = await server.api('GET', `/api/v1/connected-accounts/${connectedAccountId}/credentials`);
    expect(credentials.status).toBe(200);
    expect(credentials.headers.get('cache-control')).toBe('no-store');
    expect(credentials.body.authScheme).toBe('OAUTH2');
    expect(credentials.body.credentials).toMatchObject({ tokenType: 'bearer', scope: expect.stringContaining('openid') });
    expect(credentials.body.credentials.refreshToken).toBeUndefined();
    const accessToken: string = credentials.body.credentials.accessToken;
    expect(Date.parse(credentials.body.credentials.expiresAt)).toBeGreaterThan(Date.now());

    // The token is the provider's: its userinfo endpoint accepts it.
    const me = await fetch(peer.userinfoEndpoint, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { sub: string }).sub).toBe('melissa');

    const full = await server.api('GET', `/api/v1/connected-accounts/${connectedAccountId}/credentials?includeRefreshToken=true`);
    expect(typeof full.body.credentials.refreshToken).toBe('string');
    expect(peer.tokenRequests.filter((r) => r.grantType === 'authorization_code' && r.ok)).not.toHaveLength(0);
  });

  it('sends PKCE S256, state and nonce in the authorization request', async () => {
    const { redirectUrl } = await initiate();
    const browser = new BrowserClient();
    const first = await browser.get(redirectUrl);
    expect(first.status).toBe(302);
    const authorize = new URL(first.headers.get('location') ?? '');
    expect(authorize.origin + authorize.pathname).toBe(peer.authorizationEndpoint);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${server.url}/oauth/callback`);
  });

  it('uses a connect link once: a second visit shows an error page and starts nothing', async () => {
    const { redirectUrl } = await initiate();
    const browser = new BrowserClient();
    expect((await browser.get(redirectUrl)).status).toBe(302);
    const again = await browser.get(redirectUrl);
    expect(again.status).toBe(410);
    expect(again.headers.get('content-type')).toContain('text/html');
    expect(again.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('marks the account FAILED with the reason when the user denies consent', async () => {
    const { connectedAccountId, redirectUrl } = await initiate();
    const { browser, callback } = await reachCallback(redirectUrl, 'deny');
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const landing = await browser.get(callback.href);
    const back = new URL(landing.headers.get('location') ?? '');
    expect(back.searchParams.get('status')).toBe('failed');
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('connectedAccountId')).toBe(connectedAccountId);
    const failed = await account(connectedAccountId);
    expect(failed.status).toBe('FAILED');
    expect(failed.statusReason).toContain('access_denied');
    expect((await server.api('GET', `/api/v1/connected-accounts/${connectedAccountId}/credentials`)).status).toBe(409);
  });

  it('refuses a replayed state and leaves the account unchanged', async () => {
    const { connectedAccountId, redirectUrl } = await initiate();
    const { browser, callback } = await reachCallback(redirectUrl);
    expect((await browser.get(callback.href)).status).toBe(303);
    const before = await server.api('GET', `/api/v1/connected-accounts/${connectedAccountId}/credentials`);

    const replay = await new BrowserClient().get(callback.href);
    expect(replay.status).toBe(400);
    expect(replay.body).toContain('not valid any more');
    expect(await account(connectedAccountId)).toMatchObject({ status: 'ACTIVE' });
    const after = await server.api('GET', `/api/v1/connected-accounts/${connectedAccountId}/credentials`);
    expect(after.body).toEqual(before.body);
  });

  it('refuses an unknown state without touching any account', async () => {
    const forged = await new BrowserClient().get(`${server.url}/oauth/callback?code=abc&state=forged-state-value`);
    expect(forged.status).toBe(400);
    const missing = await new BrowserClient().get(`${server.url}/oauth/callback?code=abc`);
    expect(missing.status).toBe(400);
  });

  it('refuses a state older than ten minutes and leaves the account INITIATED', async () => {
    const { connectedAccountId, redirectUrl } = await initiate();
    const { browser, callback } = await reachCallback(redirectUrl);
    server.advance(10 * 60 + 1);
    const late = await browser.get(callback.href);
    expect(late.status).toBe(400);
    expect(await account(connectedAccountId)).toMatchObject({ status: 'INITIATED', statusReason: null });
  });

  it('never reaches ACTIVE when the PKCE verifier does not match the challenge', async () => {
    const { connectedAccountId, redirectUrl } = await initiate();
    const { browser, callback } = await reachCallback(redirectUrl);

    // Swap the stored verifier for another one, as an attacker holding a stolen code would have to.
    const stateHash = hashToken(callback.searchParams.get('state') ?? '');
    const context = { table: 'oauth_states', rowId: stateHash, purpose: 'pending' };
    const row = await server.runtime.db.selectFrom('oauth_states').selectAll().where('state_hash', '=', stateHash).executeTakeFirstOrThrow();
    const pending = server.runtime.vault.decryptJson<Record<string, string>>(row.pending_ciphertext, context);
    const wrong = { ...pending, codeVerifier: 'x'.repeat(43) };
    await server.runtime.db
      .updateTable('oauth_states')
      .set({ pending_ciphertext: server.runtime.vault.encryptJson(wrong, context) })
      .where('state_hash', '=', stateHash)
      .execute();

    const landing = await browser.get(callback.href);
    expect(new URL(landing.headers.get('location') ?? '').searchParams.get('status')).toBe('failed');
    const failed = await account(connectedAccountId);
    expect(failed.status).toBe('FAILED');
    expect(failed.statusReason).toContain('invalid_grant');
    expect(peer.tokenRequests.some((r) => r.codeVerifier === wrong.codeVerifier && !r.ok)).toBe(true);
  });

  it('refreshes the tokens on request and keeps the account ACTIVE', async () => {
    const { connectedAccountId, redirectUrl } = await initiate();
    const { browser, callback } = await reachCallback(redirectUrl);
    await browser.get(callback.href);
    const before = (await server.api('GET', `/api/v1/connected-accounts/${connectedAccountId}/credentials?includeRefreshToken=true`)).body.credentials;
    const refreshesBefore = peer.grants.refreshToken;

    const refreshed = await server.api('POST', `/api/v1/connected-accounts/${connectedAccountId}/refresh`);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.status).toBe('ACTIVE');
    expect(peer.grants.refreshToken).toBe(refreshesBefore + 1);
    const after = (await server.api('GET', `/api/v1/connected-accounts/${connectedAccountId}/credentials?includeRefreshToken=true`)).body.credentials;
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
  });

  it('marks the account EXPIRED when the provider has revoked the grant', async () => {
    const { connectedAccountId, redirectUrl } = await initiate();
    const { browser, callback } = await reachCallback(redirectUrl, 'approve', 'revoked-user');
    await browser.get(callback.href);
    await peer.revokeGrantsFor('revoked-user');
    const refreshed = await server.api('POST', `/api/v1/connected-accounts/${connectedAccountId}/refresh`);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.status).toBe('EXPIRED');
    expect(refreshed.body.statusReason).toContain('invalid_grant');
  });

  it('re-initiates a FAILED account with a fresh link and completes it', async () => {
    const { connectedAccountId, redirectUrl } = await initiate();
    await reachCallback(redirectUrl, 'deny').then(({ browser, callback }) => browser.get(callback.href));
    expect((await account(connectedAccountId)).status).toBe('FAILED');

    const again = await server.api('POST', `/api/v1/connected-accounts/${connectedAccountId}/reinitiate`, {});
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ connectionStatus: 'INITIATED', connectedAccountId });
    const { browser, callback } = await reachCallback(again.body.redirectUrl);
    await browser.get(callback.href);
    expect((await account(connectedAccountId)).status).toBe('ACTIVE');
  });

  it('works with explicit endpoint URLs instead of discovery, and shows a page without redirectUrl', async () => {
    const created = await server.api('POST', '/api/v1/integrations', {
      app: 'acme-manual',
      authConfig: { ...CLIENT, authorizationUrl: peer.authorizationEndpoint, tokenUrl: peer.tokenEndpoint, scopes: ['profile'] },
    });
    expect(created.status).toBe(201);
    const started = await server.api('POST', '/api/v1/connected-accounts', { integrationId: created.body.id });
    const { browser, callback } = await reachCallback(started.body.redirectUrl);
    const page = await browser.get(callback.href);
    expect(page.status).toBe(200);
    expect(page.body).toContain('is connected');
    expect((await account(started.body.connectedAccountId)).status).toBe('ACTIVE');
  });

  it('revokes the tokens at the provider when the account is deleted', async () => {
    const { connectedAccountId, redirectUrl } = await initiate();
    const { browser, callback } = await reachCallback(redirectUrl);
    await browser.get(callback.href);
    const { accessToken } = (await server.api('GET', `/api/v1/connected-accounts/${connectedAccountId}/credentials`)).body.credentials;
    expect((await fetch(peer.userinfoEndpoint, { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(200);

    const deleted = await server.api('DELETE', `/api/v1/connected-accounts/${connectedAccountId}`);
    expect(deleted.body).toEqual({ id: connectedAccountId, deleted: true, revocation: 'succeeded' });
    expect((await fetch(peer.userinfoEndpoint, { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(401);
  });

  it('erases the account even when revocation fails, and says so', async () => {
    const created = await server.api('POST', '/api/v1/integrations', {
      app: 'acme-unrevocable',
      authConfig: { ...CLIENT, authorizationUrl: peer.authorizationEndpoint, tokenUrl: peer.tokenEndpoint, revocationUrl: 'http://127.0.0.1:9/revoke', scopes: ['profile'] },
    });
    const started = await server.api('POST', '/api/v1/connected-accounts', { integrationId: created.body.id });
    const { browser, callback } = await reachCallback(started.body.redirectUrl);
    await browser.get(callback.href);
    const deleted = await server.api('DELETE', `/api/v1/connected-accounts/${started.body.connectedAccountId}`);
    expect(deleted.body.revocation).toBe('failed');
    expect((await server.api('GET', `/api/v1/connected-accounts/${started.body.connectedAccountId}`)).status).toBe(404);
  });

  it('never writes a token, code, state, link or client secret to the logs', async () => {
    const { connectedAccountId, redirectUrl } = await initiate();
    const { browser, callback } = await reachCallback(redirectUrl);
    await browser.get(callback.href);
    const credentials = (await server.api('GET', `/api/v1/connected-accounts/${connectedAccountId}/credentials?includeRefreshToken=true`)).body.credentials;
    const secrets = [
      credentials.accessToken,
      credentials.refreshToken,
      credentials.idToken,
      callback.searchParams.get('code'),
      callback.searchParams.get('state'),
      new URL(redirectUrl).pathname.split('/').pop(),
      CLIENT.clientSecret,
      server.apiKey,
    ];
    const logText = server.logs.join('\n');
    expect(server.logs.length).toBeGreaterThan(10);
    for (const secret of secrets) {
      expect(typeof secret).toBe('string');
      expect(logText).not.toContain(secret);
    }
  });
});
