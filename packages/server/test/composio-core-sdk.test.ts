/**
 * composio-core 0.5.39, unmodified, against a real authlink server on 127.0.0.1 through the
 * compatibility layer: only its base URL and API key differ from a Composio set-up.
 */
import { Composio, ComposioError } from 'composio-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedAttempts } from './support/loopback-only.js';
import { BASIC_APP, CALLBACK_URL, CLIENT, KEY_APP, OAUTH_APP, REFUSED_KEY, consentInBrowser, newUserId, startComposioFixture, type ComposioFixture } from './support/composio-fixture.js';

let fx: ComposioFixture;
let composio: Composio;

/** Catches a rejection so it can be inspected (fails the test if the promise resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<ComposioError> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(ComposioError);
      return error as ComposioError;
    },
  );
}

beforeAll(async () => {
  fx = await startComposioFixture();
  // `allowTracing: false` is the only switch composio-core has; telemetry is off by TELEMETRY_DISABLED (the preload).
  composio = new Composio({ apiKey: fx.server.apiKey, baseUrl: fx.baseUrl, allowTracing: false });
  const created = await composio.integrations.create({
    appUniqueKey: OAUTH_APP,
    name: 'Acme login',
    authScheme: 'OAUTH2',
    authConfig: { client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret },
    useComposioAuth: false,
  });
  expect(created.id).toMatch(/^int_/);
});

afterAll(async () => {
  await fx?.close();
});

describe('composio-core 0.5.39 against authlink', () => {
  it("runs the walkthrough: getEntity('default') → initiateConnection({ appName }) → consent → waitUntilActive → getConnection", async () => {
    const entity = composio.getEntity('default');
    const request = await entity.initiateConnection({ appName: OAUTH_APP, redirectUri: CALLBACK_URL, labels: ['work'] });
    expect(request.connectionStatus).toBe('INITIATED');
    expect(request.connectedAccountId).toMatch(/^ca_/);

    const waiting = request.waitUntilActive(20);
    const landed = await consentInBrowser(fx.server, request.redirectUrl, 'approve');
    // The caller's redirect URL, with what Composio's clients read from it.
    expect(`${landed.origin}${landed.pathname}`).toBe(CALLBACK_URL);
    expect(Object.fromEntries(landed.searchParams)).toEqual({ status: 'success', connectedAccountId: request.connectedAccountId, appName: OAUTH_APP });

    const active = await waiting;
    expect(active).toMatchObject({ id: request.connectedAccountId, status: 'ACTIVE', appName: OAUTH_APP, entityId: 'default' });

    const connection = await entity.getConnection({ app: OAUTH_APP });
    expect(connection).toMatchObject({ id: request.connectedAccountId, status: 'ACTIVE', appName: OAUTH_APP, labels: ['work'] });
    // No token in any answer of the layer; the native API hands them out when asked.
    expect(JSON.stringify([active, connection])).not.toMatch(/access_?token|refresh_?token|id_?token/i);
    const credentials = await fx.server.api('GET', `/api/v1/connected-accounts/${request.connectedAccountId}/credentials`);
    expect(typeof credentials.body.credentials.accessToken).toBe('string');
  });

  it('connects with an API key given as connectionParams at once, and answers with the public fields only', async () => {
    const entity = composio.getEntity(newUserId('v1-key'));
    const request = await entity.initiateConnection({
      appName: KEY_APP,
      authMode: 'API_KEY',
      connectionParams: { api_key: 'ak-v1-secret-value', workspace: 'team' },
      labels: ['billing'],
    });
    expect(request.connectionStatus).toBe('ACTIVE');
    expect(request.redirectUrl).toBeNull();

    const account = await request.waitUntilActive(5);
    expect(account).toMatchObject({ id: request.connectedAccountId, status: 'ACTIVE', appName: KEY_APP, connectionParams: { workspace: 'team' } });
    const connection = await entity.getConnection({ app: KEY_APP });
    expect(connection.id).toBe(request.connectedAccountId);
    expect((await entity.getConnections()).map((c) => c.id)).toEqual([request.connectedAccountId]);
    expect(JSON.stringify([account, connection])).not.toContain('ak-v1-secret-value');

    const credentials = await fx.server.api('GET', `/api/v1/connected-accounts/${request.connectedAccountId}/credentials`);
    expect(credentials.body.credentials).toMatchObject({ apiKey: 'ak-v1-secret-value' });
    // The key was tried against the app before the account became ACTIVE.
    expect(fx.keyChecks).toContain('ak-v1-secret-value');
  });

  it('refuses a key the app refuses, with a 4xx the SDK reports, and keeps no account', async () => {
    const user = newUserId('v1-refused');
    const refused = await rejectionOf(composio.getEntity(user).initiateConnection({ appName: KEY_APP, authMode: 'API_KEY', connectionParams: { api_key: REFUSED_KEY } }));
    expect(refused.errCode).toBe('BACKEND::BAD_REQUEST');
    expect(refused.description).toContain('refused these credentials');
    expect(fx.keyChecks).toContain(REFUSED_KEY);
    expect((await composio.connectedAccounts.list({ entityId: user, showDisabled: true })).items).toEqual([]);
  });

  it('asks the end user for a key it was not given: INITIATED with a hosted form', async () => {
    const request = await composio.getEntity(newUserId('v1-form')).initiateConnection({ appName: KEY_APP, authMode: 'API_KEY' });
    expect(request.connectionStatus).toBe('INITIATED');
    const form = await fetch(request.redirectUrl!);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('API key');
  });

  it('lists by entity, app, status and labels (all of them), leaves disabled accounts out unless asked, and pages by number', async () => {
    const user = newUserId('v1-list');
    const entity = composio.getEntity(user);
    const a = await entity.initiateConnection({ appName: KEY_APP, authMode: 'API_KEY', connectionParams: { api_key: 'ak-a' }, labels: ['team-a', 'eu'] });
    const b = await entity.initiateConnection({ appName: KEY_APP, authMode: 'API_KEY', connectionParams: { api_key: 'ak-b' }, labels: ['team-a'] });
    const c = await entity.initiateConnection({ appName: OAUTH_APP, labels: ['team-b'] });
    const ids = async (filter: Parameters<typeof composio.connectedAccounts.list>[0]) => (await composio.connectedAccounts.list(filter)).items.map((item) => item.id);

    expect(await ids({ entityId: user })).toEqual([c, b, a].map((r) => r.connectedAccountId));
    expect(await ids({ user_uuid: user, appNames: KEY_APP })).toEqual([b, a].map((r) => r.connectedAccountId));
    expect(await ids({ entityId: user, appUniqueKeys: [OAUTH_APP] })).toEqual([c.connectedAccountId]);
    expect(await ids({ entityId: user, labels: 'team-a' })).toEqual([b, a].map((r) => r.connectedAccountId));
    expect(await ids({ entityId: user, labels: 'team-a,eu' })).toEqual([a.connectedAccountId]);
    expect(await ids({ entityId: user, status: 'INITIATED' })).toEqual([c.connectedAccountId]);
    expect(await ids({ entityId: user, showActiveOnly: true })).toEqual([b, a].map((r) => r.connectedAccountId));
    expect(await ids({ entityId: user, integrationId: (await composio.connectedAccounts.get({ connectedAccountId: c.connectedAccountId })).integrationId })).toEqual([
      c.connectedAccountId,
    ]);

    const first = await composio.connectedAccounts.list({ entityId: user, pageSize: 2, page: 1 });
    const second = await composio.connectedAccounts.list({ entityId: user, pageSize: 2, page: 2 });
    expect([first.items.length, first.totalPages, second.items.length, second.totalPages]).toEqual([2, 2, 1, 2]);

    await composio.connectedAccounts.disable({ connectedAccountId: a.connectedAccountId });
    expect(await ids({ entityId: user })).toEqual([c, b].map((r) => r.connectedAccountId));
    const all = await composio.connectedAccounts.list({ entityId: user, showDisabled: true });
    expect(all.items.map((item) => [item.id, item.status])).toEqual([
      [c.connectedAccountId, 'INITIATED'],
      [b.connectedAccountId, 'ACTIVE'],
      [a.connectedAccountId, 'INACTIVE'],
    ]);
    expect(all.items.map((item) => item.labels)).toEqual([['team-b'], ['team-a'], ['eu', 'team-a']]);
  });

  it('disables, enables and deletes an account', async () => {
    const user = newUserId('v1-life');
    const entity = composio.getEntity(user);
    const { connectedAccountId } = await entity.initiateConnection({ appName: KEY_APP, authMode: 'API_KEY', connectionParams: { api_key: 'ak-life' } });

    expect(await composio.connectedAccounts.disable({ connectedAccountId })).toEqual({ status: 'success', connectedAccountId });
    expect(await composio.connectedAccounts.get({ connectedAccountId })).toMatchObject({ status: 'INACTIVE', enabled: false, isDisabled: true });
    // A disabled account is not the entity's connection.
    expect((await rejectionOf(entity.getConnection({ app: KEY_APP }))).errCode).toBe('SDK::NO_CONNECTED_ACCOUNT_FOUND');

    expect(await composio.connectedAccounts.enable({ connectedAccountId })).toEqual({ status: 'success', connectedAccountId });
    expect(await entity.getConnection({ app: KEY_APP })).toMatchObject({ id: connectedAccountId, status: 'ACTIVE', enabled: true });

    expect(await composio.connectedAccounts.delete({ connectedAccountId })).toMatchObject({ status: 'success' });
    const gone = await rejectionOf(composio.connectedAccounts.get({ connectedAccountId }));
    expect(gone.errCode).toBe('BACKEND::NOT_FOUND');
    expect(gone.description).toContain(`no connected account ${connectedAccountId}`);
  });

  it('reports a FAILED connection by never becoming active: waitUntilActive times out, as the SDK does; reinitiateConnection starts over', async () => {
    const entity = composio.getEntity(newUserId('v1-fail'));
    const request = await entity.initiateConnection({ appName: OAUTH_APP, redirectUri: CALLBACK_URL });
    const landed = await consentInBrowser(fx.server, request.redirectUrl, 'deny');
    expect(Object.fromEntries(landed.searchParams)).toMatchObject({ status: 'failed', connectedAccountId: request.connectedAccountId, appName: OAUTH_APP, error: 'access_denied' });

    const started = Date.now();
    const timedOut = await rejectionOf(request.waitUntilActive(2));
    expect(timedOut.message).toContain('did not become active within the timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(await composio.connectedAccounts.get({ connectedAccountId: request.connectedAccountId })).toMatchObject({ status: 'FAILED' });

    const again = await composio.connectedAccounts.reinitiateConnection({ connectedAccountId: request.connectedAccountId, data: {}, redirectUri: CALLBACK_URL });
    expect(again).toMatchObject({ connectionStatus: 'INITIATED', connectedAccountId: request.connectedAccountId });
    const waiting = again.waitUntilActive(20);
    await consentInBrowser(fx.server, again.redirectUrl, 'approve');
    expect(await waiting).toMatchObject({ id: request.connectedAccountId, status: 'ACTIVE' });
  });

  it('creates, reads, lists and deletes integrations without ever returning the client secret', async () => {
    const created = await composio.integrations.create({ appUniqueKey: BASIC_APP, name: 'Acme basic', authScheme: 'BASIC', useComposioAuth: false });
    expect(created).toMatchObject({ name: 'Acme basic', appName: BASIC_APP, authScheme: 'BASIC' });
    expect(created.expectedInputFields.map((f) => [f.name, f.required, f.expected_from_customer])).toEqual([
      ['username', true, false],
      ['password', true, false],
    ]);
    expect(await composio.integrations.get({ integrationId: created.id! })).toMatchObject({ id: created.id, appName: BASIC_APP });
    const reused = await composio.integrations.getOrCreateIntegration({ appUniqueKey: BASIC_APP, name: 'again', authScheme: 'BASIC' });
    expect(reused.id).toBe(created.id);
    const listed = await composio.integrations.list({ appName: BASIC_APP });
    expect(listed.items.map((i) => i.id)).toContain(created.id);

    const oauth = (await composio.integrations.list({ appName: OAUTH_APP })).items[0]!;
    expect(oauth).toMatchObject({ appName: OAUTH_APP, authScheme: 'OAUTH2', authConfig: { client_id: CLIENT.clientId } });
    expect(JSON.stringify(await composio.integrations.get({ integrationId: oauth.id }))).not.toContain(CLIENT.clientSecret);

    await composio.integrations.delete({ integrationId: created.id! });
    expect((await rejectionOf(composio.integrations.get({ integrationId: created.id! }))).errCode).toBe('BACKEND::NOT_FOUND');
  });

  it('lists and reads apps from the catalog, with the fields each auth scheme needs', async () => {
    const apps = await composio.apps.list();
    expect(apps.map((app) => app.key)).toEqual([OAUTH_APP, BASIC_APP, KEY_APP].sort());
    const keys = await composio.apps.get({ appKey: KEY_APP });
    expect(keys).toMatchObject({ key: KEY_APP, appId: KEY_APP, name: 'Acme Keys', no_auth: false });
    expect(await composio.apps.getRequiredParams(KEY_APP)).toEqual({
      availableAuthSchemes: ['API_KEY'],
      authSchemes: { API_KEY: { required_fields: [], optional_fields: ['workspace'], expected_from_user: ['apiKey'] } },
    });
    expect((await composio.apps.getRequiredParams(OAUTH_APP)).authSchemes.OAUTH2).toEqual({ required_fields: ['client_id', 'client_secret'], optional_fields: [], expected_from_user: [] });
  });

  it('refuses bad input with a 4xx the SDK reports, and changes nothing', async () => {
    const user = newUserId('v1-bad');
    const entity = composio.getEntity(user);
    const unknown = await rejectionOf(entity.initiateConnection({ appName: 'no-such-app' }));
    expect(unknown.errCode).toBe('BACKEND::BAD_REQUEST');
    expect(unknown.description).toContain('no-such-app is not in the catalog');

    const badKey = await rejectionOf(entity.initiateConnection({ appName: KEY_APP, authMode: 'API_KEY', connectionParams: { api_key: 'not-the-format' } }));
    expect(badKey.errCode).toBe('BACKEND::BAD_REQUEST');
    const unsupported = await rejectionOf(entity.initiateConnection({ appName: KEY_APP, authMode: 'NO_AUTH' }));
    expect(unsupported.errCode).toBe('BACKEND::BAD_REQUEST');
    expect((await composio.connectedAccounts.list({ entityId: user, showDisabled: true })).items).toEqual([]);
  });

  it('needed nothing beyond 127.0.0.1: its version check against the npm registry was refused, and nothing else was tried', () => {
    // composio-core 0.5 has no switch for its version check; the preload refused it.
    const attempts = refusedAttempts();
    expect(attempts.length).toBeGreaterThan(0);
    expect(new Set(attempts.map((a) => a.target.split(':')[0])), JSON.stringify(attempts)).toEqual(new Set(['registry.npmjs.org']));
  });
});
