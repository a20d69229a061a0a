/**
 * The SDK (`@authlink/sdk`) against a real authlink server (random loopback port, temp SQLite)
 * and a real OpenID provider (oidc-provider) driven by a scripted browser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthLink,
  AuthLinkError,
  ConnectionFailedError,
  ConnectionTimeoutError,
  type ConnectedAccount,
  type ConnectionRequest,
  type Integration,
} from '@authlink/sdk';

import { createProject, startTestServer, type TestServer } from './support/test-server.js';
import { randomAccountId, startOidcPeer, type OidcPeer } from './support/oidc-peer.js';
import { BrowserClient, authorizeAtOidcPeer, type BrowserPage } from './support/browser-client.js';

const APP_ORIGIN = 'http://app.example';
const REDIRECT_URL = `${APP_ORIGIN}/done`;
const stopAtApp = (url: URL): boolean => url.origin === APP_ORIGIN;
const CLIENT = { clientId: 'authlink-sdk-test', clientSecret: 'sdk-test-secret-0123456789' };
const OPENAI_KEY = 'sk-test-0123456789abcdef';

let server: TestServer;
let peer: OidcPeer;
let client: AuthLink;
let acme: Integration;

/** A fresh entity id per test keeps the tests independent of each other and of their order. */
let entityCounter = 0;
function newEntityId(prefix: string): string {
  entityCounter += 1;
  return `${prefix}-${entityCounter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Catches a rejection so it can be inspected (fails the test if the promise resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/**
 * Plays the end user: a fresh browser (no provider session) follows the connect link through
 * the provider's login and consent pages and stops before requesting the initiator's URL.
 */
async function driveBrowser(redirectUrl: string | null, consent: 'approve' | 'deny'): Promise<URL> {
  expect(redirectUrl).toMatch(new RegExp(`^${server.url}/connect/`));
  const page: BrowserPage = await authorizeAtOidcPeer(new BrowserClient(), redirectUrl!, {
    login: randomAccountId('sdk'),
    consent,
    stopAt: stopAtApp,
  });
  const landed = new URL(page.url);
  expect(landed.origin, `browser ended on ${page.url} (status ${page.status}): ${page.body.slice(0, 300)}`).toBe(APP_ORIGIN);
  return landed;
}

/** Starts waiting BEFORE the browser moves, as an application would, then drives the browser. */
async function connectThroughBrowser(
  request: ConnectionRequest,
  consent: 'approve' | 'deny',
): Promise<{ waiting: Promise<ConnectedAccount>; landed: URL }> {
  const waiting = request.waitUntilActive({ timeoutMs: 20_000, intervalMs: 100 });
  // The outcome is inspected by the caller; keep Node from flagging it as unhandled meanwhile.
  waiting.catch(() => undefined);
  const landed = await driveBrowser(request.redirectUrl, consent);
  return { waiting, landed };
}

beforeAll(async () => {
  server = await startTestServer({ logLevel: 'warn' });
  peer = await startOidcPeer({ clients: [{ ...CLIENT, redirectUris: [`${server.url}/oauth/callback`] }] });
  client = new AuthLink({ apiKey: server.apiKey, baseUrl: server.url });
  acme = await client.integrations.create({
    app: 'acme',
    name: 'Acme (OIDC peer)',
    authScheme: 'OAUTH2',
    authConfig: { issuer: peer.issuer, ...CLIENT, scopes: ['openid', 'email', 'profile'] },
  });
}, 60_000);

afterAll(async () => {
  await peer?.close();
  await server?.close();
});

describe('SDK: integrations and apps', () => {
  it('creates, reads, lists, updates and deletes an integration without ever returning the secret', async () => {
    const created = await client.integrations.create({
      app: 'github',
      name: 'GitHub for tests',
      authConfig: { clientId: 'gh-client-id', clientSecret: 'gh-client-secret-value', scopes: ['repo'] },
    });
    expect(created).toMatchObject({ app: 'github', name: 'GitHub for tests', authScheme: 'OAUTH2', clientId: 'gh-client-id', hasClientSecret: true });
    expect(created.id).toMatch(/^[a-z]+_[0-9a-z]+$/);
    expect(created.scopes).toEqual(['repo']);
    expect(JSON.stringify(created)).not.toContain('gh-client-secret-value');

    const read = await client.integrations.get(created.id);
    expect(read).toEqual(created);
    expect(JSON.stringify(read)).not.toContain('gh-client-secret-value');

    const githubOnly = await client.integrations.list({ app: 'github' });
    expect(githubOnly.items.map((i) => i.id)).toContain(created.id);
    expect(githubOnly.items.every((i) => i.app === 'github')).toBe(true);
    expect(githubOnly).toHaveProperty('nextCursor');
    const all = await client.integrations.listAll().toArray();
    expect(all.map((i) => i.id)).toEqual(expect.arrayContaining([created.id, acme.id]));

    const updated = await client.integrations.update(created.id, { name: 'GitHub renamed', authConfig: { scopes: ['repo', 'read:user'] } });
    expect(updated).toMatchObject({ id: created.id, name: 'GitHub renamed', scopes: ['repo', 'read:user'], clientId: 'gh-client-id', hasClientSecret: true });
    expect((await client.integrations.get(created.id)).name).toBe('GitHub renamed');

    await expect(client.integrations.delete(created.id)).resolves.toBeUndefined();
    const gone = await rejectionOf(client.integrations.get(created.id));
    expect(gone).toBeInstanceOf(AuthLinkError);
    expect(gone).toMatchObject({ code: 'INTEGRATION_NOT_FOUND', status: 404 });
    expect((await client.integrations.list({ app: 'github' })).items.map((i) => i.id)).not.toContain(created.id);
  });

  it('changes the scopes through the top-level `scopes` the SDK types offer on update', async () => {
    const created = await client.integrations.create({ app: 'github', authConfig: { clientId: 'gh-scopes', clientSecret: 'gh-scopes-secret' } });
    try {
      const updated = await client.integrations.update(created.id, { scopes: ['read:user'] });
      expect(updated.scopes).toEqual(['read:user']);
    } finally {
      await client.integrations.delete(created.id);
    }
  });

  it('fills an OpenID integration from discovery of the issuer', async () => {
    const read = await client.integrations.get(acme.id);
    expect(read).toMatchObject({ app: 'acme', authScheme: 'OAUTH2', clientId: CLIENT.clientId, hasClientSecret: true });
    expect(read.scopes).toEqual(['openid', 'email', 'profile']);
    expect(read.authConfig).toMatchObject({ issuer: peer.issuer, authorizationUrl: peer.authorizationEndpoint, tokenUrl: peer.tokenEndpoint });
    expect(JSON.stringify(read)).not.toContain(CLIENT.clientSecret);
  });

  it('lists the catalog and reads one app with its auth schemes and fields', async () => {
    const page = await client.apps.list();
    expect(page.items.every((a) => typeof a.name === 'string' && Array.isArray(a.authSchemes))).toBe(true);
    const all = (await client.apps.listAll().toArray()).map((a) => a.key);
    expect(all).toEqual(expect.arrayContaining(['github', 'gmail', 'openai', 'shopify', 'stripe', ...page.items.map((a) => a.key)]));
    expect(new Set(all).size).toBe(all.length);

    const openai = await client.apps.get('openai');
    expect(openai).toMatchObject({ key: 'openai', name: 'OpenAI' });
    const scheme = openai.authSchemes.find((s) => s.scheme === 'API_KEY');
    expect(scheme?.fields.map((f) => f.name)).toContain('apiKey');
    expect(scheme?.fields.find((f) => f.name === 'apiKey')).toMatchObject({ secret: true, required: true, suppliedBy: 'user' });

    const missing = await rejectionOf(client.apps.get('no-such-app'));
    expect(missing).toBeInstanceOf(AuthLinkError);
    expect((missing as AuthLinkError).status).toBe(404);
  });
});

describe('SDK: API-key connections', () => {
  it('makes an OpenAI connection ACTIVE at once and hands its key back as credentials', async () => {
    const entity = client.getEntity(newEntityId('melissa'));
    const request = await entity.initiateConnection({ app: 'openai', data: { apiKey: OPENAI_KEY }, validate: false });
    expect(request.connectionStatus).toBe('ACTIVE');
    expect(request.redirectUrl).toBeNull();
    expect(request.connectedAccountId).toMatch(/^[a-z]+_[0-9a-z]+$/);
    expect(JSON.parse(JSON.stringify(request))).toEqual({
      connectionStatus: 'ACTIVE',
      connectedAccountId: request.connectedAccountId,
      redirectUrl: null,
    });

    const account = await client.connectedAccounts.get(request.connectedAccountId);
    expect(account).toMatchObject({ id: request.connectedAccountId, status: 'ACTIVE', entityId: entity.id, app: 'openai', authScheme: 'API_KEY' });
    expect(JSON.stringify(account)).not.toContain(OPENAI_KEY);

    // An already ACTIVE account resolves at the first poll.
    await expect(request.waitUntilActive({ timeoutMs: 5_000, intervalMs: 50 })).resolves.toMatchObject({ id: account.id, status: 'ACTIVE' });

    const credentials = await client.connectedAccounts.credentials(request.connectedAccountId);
    expect(credentials).toMatchObject({ connectedAccountId: request.connectedAccountId, authScheme: 'API_KEY', credentials: { apiKey: OPENAI_KEY } });
  });

  it('connects Shopify by API key with the shop as visible data and the key only in credentials', async () => {
    const entity = client.getEntity(newEntityId('shop-owner'));
    const shopifyIntegration = await client.integrations.create({ app: 'shopify', authScheme: 'API_KEY' });
    expect(shopifyIntegration.authScheme).toBe('API_KEY');
    const request = await entity.initiateConnection({ integrationId: shopifyIntegration.id, data: { apiKey: 'shpat_0123456789', shop: 'acme-store' }, validate: false });
    expect(request.connectionStatus).toBe('ACTIVE');
    const account = await client.connectedAccounts.get(request.connectedAccountId);
    expect(account).toMatchObject({ app: 'shopify', authScheme: 'API_KEY', status: 'ACTIVE' });
    expect(account.data).toMatchObject({ shop: 'acme-store' });
    expect(JSON.stringify(account)).not.toContain('shpat_0123456789');
    const credentials = await client.connectedAccounts.credentials(request.connectedAccountId);
    expect(credentials.credentials.apiKey).toBe('shpat_0123456789');
  });

  it('refuses a Stripe key that does not look like one', async () => {
    const entity = client.getEntity(newEntityId('stripe-user'));
    const refused = await rejectionOf(entity.initiateConnection({ app: 'stripe', data: { apiKey: 'not-a-stripe-key' } }));
    expect(refused).toBeInstanceOf(AuthLinkError);
    expect((refused as AuthLinkError).status).toBe(400);
    expect((refused as AuthLinkError).message).not.toContain('not-a-stripe-key');

    const accepted = await entity.initiateConnection({ app: 'stripe', data: { apiKey: 'rk_test_0123456789abcdef' }, validate: false });
    expect(accepted.connectionStatus).toBe('ACTIVE');
  });
});

describe('SDK: OAuth connections through a real provider', () => {
  it('resolves waitUntilActive once the user approves consent, and getConnection then returns that account', async () => {
    const entity = client.getEntity(newEntityId('melissa'));
    const request = await entity.initiateConnection({ integrationId: acme.id, redirectUrl: REDIRECT_URL });
    expect(request.connectionStatus).toBe('INITIATED');
    expect(request.redirectUrl).toMatch(new RegExp(`^${server.url}/connect/[A-Za-z0-9_-]+$`));

    const { waiting, landed } = await connectThroughBrowser(request, 'approve');
    expect(landed.pathname).toBe('/done');
    expect(landed.searchParams.get('status')).toBe('success');
    expect(landed.searchParams.get('connectedAccountId')).toBe(request.connectedAccountId);
    expect(landed.searchParams.get('appName')).toBeTruthy();
    expect(landed.searchParams.has('error')).toBe(false);

    const account = await waiting;
    expect(account).toMatchObject({
      id: request.connectedAccountId,
      status: 'ACTIVE',
      entityId: entity.id,
      integrationId: acme.id,
      app: 'acme',
      authScheme: 'OAUTH2',
    });

    const connection = await entity.getConnection({ app: 'acme' });
    expect(connection.id).toBe(request.connectedAccountId);
    expect((await entity.getConnection({ app: 'acme', integrationId: acme.id })).id).toBe(request.connectedAccountId);

    const credentials = await client.connectedAccounts.credentials(account.id);
    expect(credentials.authScheme).toBe('OAUTH2');
    expect(credentials.credentials.accessToken).toEqual(expect.any(String));
    expect(credentials.credentials.tokenType?.toLowerCase()).toBe('bearer');
    expect(credentials.credentials.refreshToken).toBeUndefined();
    expect(peer.grants.authorizationCode).toBeGreaterThanOrEqual(1);
  });

  it("prefers the account labelled 'primary' in getConnection, whichever is newer", async () => {
    const entity = client.getEntity(newEntityId('two-accounts'));

    const first = await entity.initiateConnection({ integrationId: acme.id, redirectUrl: REDIRECT_URL });
    const firstFlow = await connectThroughBrowser(first, 'approve');
    await expect(firstFlow.waiting).resolves.toMatchObject({ id: first.connectedAccountId, status: 'ACTIVE' });
    expect((await entity.getConnection({ app: 'acme' })).id).toBe(first.connectedAccountId);

    const second = await entity.initiateConnection({ integrationId: acme.id, redirectUrl: REDIRECT_URL, labels: ['primary'] });
    const secondFlow = await connectThroughBrowser(second, 'approve');
    await expect(secondFlow.waiting).resolves.toMatchObject({ id: second.connectedAccountId, status: 'ACTIVE', labels: ['primary'] });
    expect((await entity.getConnection({ app: 'acme' })).id).toBe(second.connectedAccountId);

    // Move the label to the older account: the label, not recency, decides.
    await client.connectedAccounts.update(second.connectedAccountId, { labels: [] });
    await client.connectedAccounts.update(first.connectedAccountId, { labels: ['primary'] });
    expect((await entity.getConnection({ app: 'acme' })).id).toBe(first.connectedAccountId);

    // A disabled primary is not ACTIVE, so the other account is chosen.
    await client.connectedAccounts.disable(first.connectedAccountId);
    expect((await entity.getConnection({ app: 'acme' })).id).toBe(second.connectedAccountId);
  });

  it('rejects waitUntilActive with ConnectionFailedError when the user denies consent', async () => {
    const entity = client.getEntity(newEntityId('denier'));
    const request = await entity.initiateConnection({ integrationId: acme.id, redirectUrl: REDIRECT_URL });
    const { waiting, landed } = await connectThroughBrowser(request, 'deny');
    expect(landed.searchParams.get('status')).toBe('failed');
    expect(landed.searchParams.get('connectedAccountId')).toBe(request.connectedAccountId);
    expect(landed.searchParams.get('error')).toBe('access_denied');

    const error = await rejectionOf(waiting);
    expect(error).toBeInstanceOf(ConnectionFailedError);
    expect(error).toBeInstanceOf(AuthLinkError);
    const failed = error as ConnectionFailedError;
    expect(failed.code).toBe('CONNECTION_FAILED');
    expect(failed.accountStatus).toBe('FAILED');
    expect(failed.account.id).toBe(request.connectedAccountId);
    expect(failed.statusReason).toContain('access_denied');

    const noConnection = await rejectionOf(entity.getConnection({ app: 'acme' }));
    expect(noConnection).toBeInstanceOf(AuthLinkError);
    expect(noConnection).toMatchObject({ code: 'CONNECTION_NOT_FOUND', status: 404 });
  });

  it('rejects waitUntilActive with ConnectionTimeoutError when the user never finishes', async () => {
    const entity = client.getEntity(newEntityId('idle'));
    const request = await entity.initiateConnection({ integrationId: acme.id, redirectUrl: REDIRECT_URL });
    const started = Date.now();
    const error = await rejectionOf(request.waitUntilActive({ timeoutMs: 400, intervalMs: 50 }));
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(ConnectionTimeoutError);
    const timeout = error as ConnectionTimeoutError;
    expect(timeout.code).toBe('CONNECTION_TIMEOUT');
    expect(timeout.connectedAccountId).toBe(request.connectedAccountId);
    expect(timeout.timeoutMs).toBe(400);
    expect(timeout.lastAccount?.status).toBe('INITIATED');
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(10_000);
    expect((await client.connectedAccounts.get(request.connectedAccountId)).status).toBe('INITIATED');
  });
});

describe('SDK: errors', () => {
  it('rejects with UNAUTHORIZED (401) when the API key is wrong, without echoing the key', async () => {
    const stranger = new AuthLink({ apiKey: 'alk_wrong-key-0123456789', baseUrl: server.url });
    const error = await rejectionOf(stranger.apps.list());
    expect(error).toBeInstanceOf(AuthLinkError);
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    expect((error as AuthLinkError).problem).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect((error as AuthLinkError).message).not.toContain('alk_wrong-key-0123456789');
  });

  it('rejects with CONNECTED_ACCOUNT_NOT_FOUND (404) for an unknown id', async () => {
    const error = await rejectionOf(client.connectedAccounts.get('ca_doesnotexist0000'));
    expect(error).toBeInstanceOf(AuthLinkError);
    expect(error).toMatchObject({ code: 'CONNECTED_ACCOUNT_NOT_FOUND', status: 404 });
    await expect(client.connectedAccounts.credentials('ca_doesnotexist0000')).rejects.toMatchObject({ code: 'CONNECTED_ACCOUNT_NOT_FOUND', status: 404 });
  });

  it('rejects with VALIDATION_FAILED (400) for an invalid body', async () => {
    const error = await rejectionOf(
      client.integrations.create({ app: 'Not A Valid Key!', authScheme: 'NOT_A_SCHEME' as unknown as 'OAUTH2' }),
    );
    expect(error).toBeInstanceOf(AuthLinkError);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    expect((error as AuthLinkError).problem?.code).toBe('VALIDATION_FAILED');

    const tooLongLabel = await rejectionOf(
      client.getEntity(newEntityId('bad')).initiateConnection({ app: 'openai', data: { apiKey: OPENAI_KEY }, validate: false, labels: ['x'.repeat(65)] }),
    );
    expect(tooLongLabel).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    expect((tooLongLabel as AuthLinkError).fieldErrors.length).toBeGreaterThan(0);
  });

  it("answers 404 for another project's connected account, never its data", async () => {
    const mine = await client.getEntity(newEntityId('owner')).initiateConnection({ app: 'openai', data: { apiKey: OPENAI_KEY }, validate: false });
    const other = await createProject(server, 'project B');
    const clientB = new AuthLink({ apiKey: other.apiKey, baseUrl: server.url });
    await expect(clientB.connectedAccounts.get(mine.connectedAccountId)).rejects.toMatchObject({ code: 'CONNECTED_ACCOUNT_NOT_FOUND', status: 404 });
    await expect(clientB.connectedAccounts.credentials(mine.connectedAccountId)).rejects.toMatchObject({ status: 404 });
    expect((await clientB.connectedAccounts.list()).items.map((a) => a.id)).not.toContain(mine.connectedAccountId);
  });
});

describe('SDK: listing and managing connected accounts', () => {
  it('filters the list by labels, status and entityId', async () => {
    const alice = client.getEntity(newEntityId('alice'));
    const bob = client.getEntity(newEntityId('bob'));
    const workA = await alice.initiateConnection({ app: 'openai', data: { apiKey: OPENAI_KEY }, validate: false, labels: ['work', 'team-x'] });
    const personalA = await alice.initiateConnection({ app: 'openai', data: { apiKey: OPENAI_KEY }, validate: false, labels: ['personal'] });
    const pendingA = await alice.initiateConnection({ integrationId: acme.id, redirectUrl: REDIRECT_URL, labels: ['work'] });
    const workB = await bob.initiateConnection({ app: 'openai', data: { apiKey: OPENAI_KEY }, validate: false, labels: ['work'] });

    const ids = (accounts: ConnectedAccount[]) => accounts.map((a) => a.id).sort();

    const ofAlice = await client.connectedAccounts.listAll({ entityId: alice.id }).toArray();
    expect(ids(ofAlice)).toEqual([workA, personalA, pendingA].map((r) => r.connectedAccountId).sort());
    expect(ofAlice.every((a) => a.entityId === alice.id)).toBe(true);

    const aliceWork = await client.connectedAccounts.list({ entityId: alice.id, labels: ['work'] });
    expect(ids(aliceWork.items)).toEqual([workA, pendingA].map((r) => r.connectedAccountId).sort());
    expect(aliceWork.nextCursor).toBeNull();

    const aliceWorkTeam = await client.connectedAccounts.list({ entityId: alice.id, labels: ['work', 'team-x'] });
    expect(ids(aliceWorkTeam.items)).toEqual([workA.connectedAccountId]);

    const aliceInitiated = await client.connectedAccounts.list({ entityId: alice.id, status: 'INITIATED' });
    expect(ids(aliceInitiated.items)).toEqual([pendingA.connectedAccountId]);

    const aliceActiveWork = await alice.connectedAccounts({ status: 'ACTIVE', labels: ['work'] });
    expect(ids(aliceActiveWork)).toEqual([workA.connectedAccountId]);

    const anyWork = await client.connectedAccounts.listAll({ labels: ['work'], app: 'openai' }).toArray();
    expect(anyWork.map((a) => a.id)).toEqual(expect.arrayContaining([workA.connectedAccountId, workB.connectedAccountId]));
    expect(anyWork.map((a) => a.id)).not.toContain(personalA.connectedAccountId);

    // Paging by one walks every account exactly once.
    const pages = [];
    for await (const page of client.connectedAccounts.listAll({ entityId: alice.id, limit: 1 }).pages()) pages.push(page);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(ids(pages.flatMap((p) => p.items))).toEqual(ids(ofAlice));
  });

  it('disables, enables and deletes an account, erasing its credentials', async () => {
    const entity = client.getEntity(newEntityId('lifecycle'));
    const { connectedAccountId: id } = await entity.initiateConnection({ app: 'openai', data: { apiKey: OPENAI_KEY }, validate: false });

    const disabled = await client.connectedAccounts.disable(id);
    expect(disabled).toMatchObject({ id, status: 'INACTIVE' });
    expect((await client.connectedAccounts.get(id)).status).toBe('INACTIVE');
    await expect(client.connectedAccounts.credentials(id)).rejects.toMatchObject({ code: 'CONNECTION_NOT_ACTIVE', status: 409 });
    expect(ids(await client.connectedAccounts.listAll({ entityId: entity.id, status: 'INACTIVE' }).toArray())).toEqual([id]);

    const enabled = await client.connectedAccounts.enable(id);
    expect(enabled).toMatchObject({ id, status: 'ACTIVE' });
    expect((await client.connectedAccounts.credentials(id)).credentials.apiKey).toBe(OPENAI_KEY);

    await expect(client.connectedAccounts.delete(id)).resolves.toEqual({ id, deleted: true, revocation: 'not_supported' });
    await expect(client.connectedAccounts.get(id)).rejects.toMatchObject({ code: 'CONNECTED_ACCOUNT_NOT_FOUND', status: 404 });
    await expect(client.connectedAccounts.credentials(id)).rejects.toMatchObject({ status: 404 });
    expect(await client.connectedAccounts.listAll({ entityId: entity.id }).toArray()).toEqual([]);

    function ids(accounts: ConnectedAccount[]): string[] {
      return accounts.map((a) => a.id);
    }
  });

  it('reads an entity with all its connected accounts', async () => {
    const entity = client.getEntity(newEntityId('entity-reader'));
    const one = await entity.initiateConnection({ app: 'openai', data: { apiKey: OPENAI_KEY }, validate: false, labels: ['a'] });
    const two = await entity.initiateConnection({ app: 'openai', data: { apiKey: OPENAI_KEY }, validate: false, labels: ['b'] });

    const details = await client.entities.get(entity.id);
    expect(details.id).toBe(entity.id);
    expect(details.connectedAccounts.map((a) => a.id).sort()).toEqual([one.connectedAccountId, two.connectedAccountId].sort());
    expect(details.connectedAccounts.every((a) => a.entityId === entity.id)).toBe(true);
    expect(JSON.stringify(details)).not.toContain(OPENAI_KEY);
    expect(await entity.get()).toEqual(details);

    const unknown = await rejectionOf(client.entities.get(newEntityId('never-used')));
    expect(unknown).toBeInstanceOf(AuthLinkError);
    expect(unknown).toMatchObject({ code: 'ENTITY_NOT_FOUND', status: 404 });
  });

  it('uses the entity "default" when none is named', async () => {
    const entity = client.getEntity();
    expect(entity.id).toBe('default');
    const request = await entity.initiateConnection({ app: 'openai', data: { apiKey: OPENAI_KEY }, validate: false });
    expect((await client.connectedAccounts.get(request.connectedAccountId)).entityId).toBe('default');
    expect((await client.entities.get('default')).connectedAccounts.map((a) => a.id)).toContain(request.connectedAccountId);
  });
});
