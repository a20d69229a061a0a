import { Catalog, type AppDefinition } from '@authlink/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeAtOidcPeer, BrowserClient } from './support/browser-client.js';
import { TEST_CLIENT } from './support/oauth-connection.js';
import { startOidcPeer, type OidcPeer } from './support/oidc-peer.js';
import { testApp } from './support/test-apps.js';
import { startTestServer, type TestServer } from './support/test-server.js';

/** Test apps; their integrations take the real endpoints from the issuer's metadata, over these placeholders. */
function catalog(): Catalog {
  const app = (key: string, scheme: Partial<AppDefinition['authSchemes'][number]> = {}): AppDefinition =>
    testApp(key, 'http://127.0.0.1:9/api', [
      {
        scheme: 'OAUTH2',
        fields: [],
        authorizationUrl: 'http://127.0.0.1:9/auth',
        tokenUrl: 'http://127.0.0.1:9/token',
        placement: [{ in: 'header', name: 'Authorization', value: 'Bearer {accessToken}' }],
        ...scheme,
      },
    ]);
  return Catalog.fromDefinitions([app('plain-idp'), app('incremental-idp', { incrementalAuthorization: { params: { include_granted_scopes: 'true' } } })]);
}

let server: TestServer;
let peer: OidcPeer;
let rfc8414Peer: OidcPeer;

beforeAll(async () => {
  server = await startTestServer({ logLevel: 'warn', catalog: catalog() });
  const clients = [{ ...TEST_CLIENT, redirectUris: [`${server.url}/oauth/callback`] }];
  peer = await startOidcPeer({ clients, accountClaims: (id) => ({ email: `${id}@Example.org`, email_verified: true, name: `Person ${id}` }) });
  rfc8414Peer = await startOidcPeer({ clients, metadata: 'rfc8414' });
});

afterAll(async () => {
  await server?.close();
  await peer?.close();
  await rfc8414Peer?.close();
});

async function integrationFor(app: string, issuer: string, scopes: string[]): Promise<string> {
  const created = await server.api('POST', '/api/v1/integrations', { app, authConfig: { issuer, ...TEST_CLIENT, scopes } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

/** Runs the browser part of a flow from a connect link; returns the authorization request the provider saw. */
async function consent(link: string, login: string): Promise<URL> {
  const browser = new BrowserClient();
  const toProvider = await browser.follow(link, { stopAt: (url) => url.pathname === '/auth' });
  const authorization = new URL(toProvider.headers.get('location') ?? toProvider.url);
  const end = await authorizeAtOidcPeer(browser, authorization.href, { login, consent: 'approve' });
  expect(end.status).toBe(200);
  return authorization;
}

async function connect(integrationId: string, login: string): Promise<{ id: string; authorization: URL }> {
  const started = await server.api('POST', '/api/v1/connected-accounts', { integrationId, entityId: login });
  expect(started.status).toBe(201);
  const authorization = await consent(started.body.redirectUrl, login);
  return { id: started.body.connectedAccountId, authorization };
}

const account = async (id: string) => (await server.api('GET', `/api/v1/connected-accounts/${id}`)).body;

describe('account identity after OAuth', () => {
  it('stores who the user is from the verified ID token and userinfo, and finds the account by it', async () => {
    const integrationId = await integrationFor('plain-idp', peer.issuer, ['openid', 'email', 'profile']);
    const { id } = await connect(integrationId, 'ada');
    const connected = await account(id);
    expect(connected.status).toBe('ACTIVE');
    expect(connected.accountIdentity).toEqual({ id: 'ada', email: 'ada@example.org', name: 'Person ada' });
    expect(connected.requestedScopes).toEqual(['openid', 'email', 'profile']);
    expect([...connected.grantedScopes].sort()).toEqual(['email', 'openid', 'profile']);

    const byEmail = await server.api('GET', '/api/v1/connected-accounts?accountIdentity=ADA@example.org');
    expect(byEmail.body.items.map((a: { id: string }) => a.id)).toEqual([id]);
    const bySubject = await server.api('GET', '/api/v1/connected-accounts?accountIdentity=ada');
    expect(bySubject.body.items.map((a: { id: string }) => a.id)).toEqual([id]);
  });
});

describe('scopes and incremental authorization', () => {
  it('asks only for the missing scopes (keeping openid) where the app supports incremental authorization, and records the union', async () => {
    const integrationId = await integrationFor('incremental-idp', peer.issuer, ['openid', 'email']);
    const first = await connect(integrationId, 'grace');
    expect(first.authorization.searchParams.get('scope')).toBe('openid email');
    expect(first.authorization.searchParams.has('include_granted_scopes')).toBe(false);
    expect((await account(first.id)).grantedScopes).toEqual(['openid', 'email']);

    await server.api('POST', `/api/v1/connected-accounts/${first.id}/disable`);
    const again = await server.api('POST', `/api/v1/connected-accounts/${first.id}/reinitiate`, { scopes: ['profile'] });
    expect(again.status).toBe(200);
    expect(again.body.connectionStatus).toBe('INITIATED');
    expect((await account(first.id)).requestedScopes).toEqual(['openid', 'email', 'profile']);
    const second = await consent(again.body.redirectUrl, 'grace');
    expect(second.searchParams.get('scope')).toBe('openid profile');
    expect(second.searchParams.get('include_granted_scopes')).toBe('true');

    const after = await account(first.id);
    expect(after.status).toBe('ACTIVE');
    expect([...after.grantedScopes].sort()).toEqual(['email', 'openid', 'profile']);
    expect(after.accountIdentity).toMatchObject({ id: 'grace', email: 'grace@example.org' });
  });

  it('takes the granted scopes from a refresh answer, which says what the new token carries', async () => {
    const integrationId = await integrationFor('plain-idp', peer.issuer, ['openid', 'email']);
    const { id } = await connect(integrationId, 'margaret');
    await server.runtime.db.updateTable('connected_accounts').set({ granted_scopes: JSON.stringify(['stale']) }).where('id', '=', id).execute();
    const refreshed = await server.api('POST', `/api/v1/connected-accounts/${id}/refresh`);
    expect(refreshed.status).toBe(200);
    expect([...refreshed.body.grantedScopes].sort()).toEqual(['email', 'openid']);
  });

  it('asks for every scope again where the app has no incremental authorization', async () => {
    const integrationId = await integrationFor('plain-idp', peer.issuer, ['openid', 'email']);
    const first = await connect(integrationId, 'linus');
    await server.api('POST', `/api/v1/connected-accounts/${first.id}/disable`);
    const again = await server.api('POST', `/api/v1/connected-accounts/${first.id}/reinitiate`, { scopes: ['profile', 'email'] });
    const second = await consent(again.body.redirectUrl, 'linus');
    expect(second.searchParams.get('scope')).toBe('openid email profile');
    expect(second.searchParams.has('include_granted_scopes')).toBe(false);
    expect([...(await account(first.id)).grantedScopes].sort()).toEqual(['email', 'openid', 'profile']);
  });

  it('refuses scopes that are not scope tokens', async () => {
    const refused = await server.api('POST', '/api/v1/connected-accounts/ca_0000000000000000000000/reinitiate', { scopes: ['two words'] });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('VALIDATION_FAILED');
  });
});

describe('discovery', () => {
  it('falls back to RFC 8414 metadata and completes a full flow from the issuer alone', async () => {
    const integrationId = await integrationFor('plain-idp', rfc8414Peer.issuer, ['openid', 'email']);
    expect(rfc8414Peer.metadataRequests).toEqual([
      { path: '/.well-known/openid-configuration', status: 404 },
      { path: '/.well-known/oauth-authorization-server', status: 200 },
    ]);
    const integration = (await server.api('GET', `/api/v1/integrations/${integrationId}`)).body;
    expect(integration.authConfig).toMatchObject({ issuer: rfc8414Peer.issuer, authorizationUrl: rfc8414Peer.authorizationEndpoint, tokenUrl: rfc8414Peer.tokenEndpoint });

    const { id, authorization } = await connect(integrationId, 'barbara');
    // The server advertises S256, so PKCE is used although nobody configured it.
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
    expect(await account(id)).toMatchObject({ status: 'ACTIVE', accountIdentity: { id: 'barbara' } });
  });

  it('reads the metadata again once it is a day old, replacing what was discovered and keeping what the project set', async () => {
    const customRevocation = `${peer.issuer}/custom/revoke`;
    const created = await server.api('POST', '/api/v1/integrations', {
      app: 'plain-idp',
      name: 'rediscovered',
      authConfig: { issuer: peer.issuer, ...TEST_CLIENT, revocationUrl: customRevocation },
    });
    const integrationId = created.body.id as string;
    const db = server.runtime.db;
    const row = await db.selectFrom('integrations').selectAll().where('id', '=', integrationId).executeTakeFirstOrThrow();
    // As if the server had moved its endpoints since: the stored copy is now out of date.
    const stale = { ...JSON.parse(row.config), authorizationUrl: `${peer.issuer}/old/auth`, tokenUrl: `${peer.issuer}/old/token` };
    await db.updateTable('integrations').set({ config: JSON.stringify(stale) }).where('id', '=', integrationId).execute();

    const readsBefore = peer.metadataRequests.length;
    await server.runtime.services.refreshScheduler.sweep();
    expect(peer.metadataRequests.length).toBe(readsBefore);
    expect((await server.api('GET', `/api/v1/integrations/${integrationId}`)).body.authConfig.authorizationUrl).toBe(`${peer.issuer}/old/auth`);

    server.advance(25 * 60 * 60);
    await server.runtime.services.refreshScheduler.sweep();
    expect(peer.metadataRequests.length).toBeGreaterThan(readsBefore);
    const refreshed = (await server.api('GET', `/api/v1/integrations/${integrationId}`)).body.authConfig;
    expect(refreshed).toMatchObject({ authorizationUrl: peer.authorizationEndpoint, tokenUrl: peer.tokenEndpoint });
    const config = JSON.parse((await db.selectFrom('integrations').select('config').where('id', '=', integrationId).executeTakeFirstOrThrow()).config);
    expect(config.revocationUrl).toBe(customRevocation);
  });
});
