/**
 * @composio/core 0.17.0 (Composio's v3 SDK), unmodified, against a real authlink server on
 * 127.0.0.1 through the compatibility layer: only its base URL and API key differ.
 */
import { AuthScheme, Composio, ComposioMultipleConnectedAccountsError, ConnectionRequestFailedError } from '@composio/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { refusedAttempts } from './support/loopback-only.js';
import { APP_ORIGIN, BASIC_APP, CALLBACK_URL, CLIENT, KEY_APP, OAUTH_APP, REFUSED_KEY, consentInBrowser, consentToResultPage, newUserId, startComposioFixture, type ComposioFixture } from './support/composio-fixture.js';

let fx: ComposioFixture;
let composio: Composio;
let oauthConfigId: string;
let keyConfigId: string;
/** What the SDK warns about: among others, an answer that does not match its own schema. */
const sdkWarnings: string[] = [];

async function rejectionOf(promise: Promise<unknown>): Promise<Error & { status?: number; error?: unknown }> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error as Error & { status?: number },
  );
}

beforeAll(async () => {
  const warn = console.warn.bind(console);
  vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
    sdkWarnings.push(args.map(String).join(' '));
    warn(...args);
  });
  fx = await startComposioFixture();
  composio = new Composio({ apiKey: fx.server.apiKey, baseURL: fx.baseUrl, allowTracking: false, disableVersionCheck: true });
  const oauth = await composio.authConfigs.create(OAUTH_APP, {
    type: 'use_custom_auth',
    name: 'Acme login',
    authScheme: 'OAUTH2',
    credentials: { client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret },
  });
  expect(oauth).toEqual({ id: expect.stringMatching(/^int_/), authScheme: 'OAUTH2', isComposioManaged: false, toolkit: OAUTH_APP });
  oauthConfigId = oauth.id;
  // An API-key app needs no client credentials: "Composio-managed" auth works for it as is.
  keyConfigId = (await composio.authConfigs.create(KEY_APP, { type: 'use_composio_managed_auth' })).id;
});

afterAll(async () => {
  vi.restoreAllMocks();
  await fx?.close();
});

describe('@composio/core 0.17.0 against authlink', () => {
  it('initiates an OAuth connection, sends the browser through consent to the callbackUrl, and waitForConnection resolves ACTIVE', async () => {
    const request = await composio.connectedAccounts.initiate('default', oauthConfigId, { callbackUrl: CALLBACK_URL });
    expect(request.status).toBe('INITIATED');
    expect(request.id).toMatch(/^ca_/);

    const waiting = request.waitForConnection(20_000);
    const landed = await consentInBrowser(fx.server, request.redirectUrl, 'approve');
    expect(`${landed.origin}${landed.pathname}`).toBe(CALLBACK_URL);
    expect(Object.fromEntries(landed.searchParams)).toEqual({ status: 'success', connectedAccountId: request.id, appName: OAUTH_APP });

    const account = await waiting;
    expect(account).toMatchObject({ id: request.id, status: 'ACTIVE', toolkit: { slug: OAUTH_APP }, authConfig: { id: oauthConfigId, authScheme: 'OAUTH2' }, isDisabled: false });
    const found = await composio.connectedAccounts.list({ userIds: ['default'], toolkitSlugs: [OAUTH_APP], statuses: ['ACTIVE'] });
    expect(found.items.map((a) => a.id)).toEqual([request.id]);
    expect(await composio.connectedAccounts.get(request.id)).toMatchObject({ id: request.id, status: 'ACTIVE' });
    expect(JSON.stringify([account, found])).not.toMatch(/access_?token|refresh_?token|id_?token/i);

    // The SDK's own guard against a second ACTIVE connection reads the same list.
    await expect(composio.connectedAccounts.initiate('default', oauthConfigId)).rejects.toBeInstanceOf(ComposioMultipleConnectedAccountsError);
  });

  it('link: a hosted link the user opens, then waitForConnection by id', async () => {
    const user = newUserId('v3-link');
    const request = await composio.connectedAccounts.link(user, oauthConfigId, { callbackUrl: CALLBACK_URL });
    const waiting = composio.connectedAccounts.waitForConnection(request.id, 20_000);
    await consentInBrowser(fx.server, request.redirectUrl, 'approve');
    expect(await waiting).toMatchObject({ id: request.id, status: 'ACTIVE' });
  });

  it('toolkits.authorize finds the toolkit and its auth config and starts a connection', async () => {
    const user = newUserId('v3-authorize');
    const request = await composio.toolkits.authorize(user, OAUTH_APP);
    expect(request.status).toBe('INITIATED');
    const waiting = request.waitForConnection(20_000);
    // No callbackUrl: the browser ends on authlink's own success page.
    const page = await consentToResultPage(fx.server, request.redirectUrl);
    expect([page.status, page.body]).toEqual([200, expect.stringContaining('Acme Identity is connected')]);
    expect(await waiting).toMatchObject({ id: request.id, status: 'ACTIVE', toolkit: { slug: OAUTH_APP } });
  });

  it('connects with an API key given in config at once, and never answers with the key', async () => {
    const user = newUserId('v3-key');
    const request = await composio.connectedAccounts.initiate(user, keyConfigId, { config: AuthScheme.APIKey({ api_key: 'ak-v3-secret-value', workspace: 'team' }) });
    expect(request).toMatchObject({ status: 'ACTIVE', redirectUrl: null });
    const account = await request.waitForConnection(5_000);
    expect(account).toMatchObject({ id: request.id, status: 'ACTIVE', data: { workspace: 'team' }, authConfig: { id: keyConfigId, authScheme: 'API_KEY' } });
    expect(JSON.stringify(await composio.connectedAccounts.get(request.id))).not.toContain('ak-v3-secret-value');
    const credentials = await fx.server.api('GET', `/api/v1/connected-accounts/${request.id}/credentials`);
    expect(credentials.body.credentials).toMatchObject({ apiKey: 'ak-v3-secret-value' });
    expect(fx.keyChecks).toContain('ak-v3-secret-value');

    // A key the app refuses: a 400, and no account.
    const refusedUser = newUserId('v3-refused');
    const refused = await rejectionOf(composio.connectedAccounts.initiate(refusedUser, keyConfigId, { config: AuthScheme.APIKey({ api_key: REFUSED_KEY }) }));
    expect([refused.status, refused.message]).toEqual([400, expect.stringContaining('refused these credentials')]);
    expect((await composio.connectedAccounts.list({ userIds: [refusedUser] })).items).toEqual([]);

    // Without the key: the end user types it on a hosted form.
    const asked = await composio.toolkits.authorize(newUserId('v3-key-form'), KEY_APP);
    expect(asked.status).toBe('INITIATED');
    expect(await (await fetch(asked.redirectUrl!)).text()).toContain('API key');
  });

  it('lists with comma-joined filters (users, statuses, toolkits, auth configs) and pages by cursor', async () => {
    const [u1, u2, u3] = [newUserId('v3-list'), newUserId('v3-list'), newUserId('v3-list')];
    const key = (user: string, apiKey: string) => composio.connectedAccounts.initiate(user, keyConfigId, { config: AuthScheme.APIKey({ api_key: apiKey }), allowMultiple: true });
    const a = await key(u1, 'ak-1');
    const b = await key(u2, 'ak-2');
    const c = await composio.connectedAccounts.initiate(u2, oauthConfigId);
    await key(u3, 'ak-3');
    await composio.connectedAccounts.disable(a.id);
    const ids = async (query: Parameters<typeof composio.connectedAccounts.list>[0]) => (await composio.connectedAccounts.list(query)).items.map((item) => item.id);

    expect(await ids({ userIds: [u1, u2] })).toEqual([c.id, b.id, a.id]);
    expect(await ids({ userIds: [u1, u2], statuses: ['ACTIVE', 'INACTIVE'] })).toEqual([b.id, a.id]);
    expect(await ids({ userIds: [u1, u2], statuses: ['INITIATED'] })).toEqual([c.id]);
    expect(await ids({ userIds: [u1, u2], toolkitSlugs: [OAUTH_APP] })).toEqual([c.id]);
    expect(await ids({ userIds: [u1, u2, u3], authConfigIds: [keyConfigId], statuses: ['INACTIVE'] })).toEqual([a.id]);
    expect(await ids({ userIds: [u1], statuses: ['REVOKED'] })).toEqual([]);

    const first = await composio.connectedAccounts.list({ userIds: [u1, u2], limit: 2 });
    expect(first.items.map((i) => i.id)).toEqual([c.id, b.id]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await composio.connectedAccounts.list({ userIds: [u1, u2], limit: 2, cursor: first.nextCursor! });
    expect(second).toMatchObject({ items: [expect.objectContaining({ id: a.id, status: 'INACTIVE', isDisabled: true })], nextCursor: null });
  });

  it('disables, enables, refreshes and deletes an account', async () => {
    const user = newUserId('v3-life');
    const request = await composio.connectedAccounts.initiate(user, oauthConfigId, { callbackUrl: CALLBACK_URL });
    const waiting = request.waitForConnection(20_000);
    await consentInBrowser(fx.server, request.redirectUrl, 'approve');
    await waiting;

    expect(await composio.connectedAccounts.disable(request.id)).toEqual({ success: true });
    expect(await composio.connectedAccounts.get(request.id)).toMatchObject({ status: 'INACTIVE', isDisabled: true });
    expect(await composio.connectedAccounts.enable(request.id)).toEqual({ success: true });
    expect(await composio.connectedAccounts.get(request.id)).toMatchObject({ status: 'ACTIVE', isDisabled: false });

    const grants = fx.peer.grants.refreshToken;
    expect(await composio.connectedAccounts.refresh(request.id)).toEqual({ id: request.id, status: 'ACTIVE', redirect_url: null });
    expect(fx.peer.grants.refreshToken).toBe(grants + 1);

    expect(await composio.connectedAccounts.delete(request.id)).toMatchObject({ success: true, revocation: 'succeeded' });
    const gone = await rejectionOf(composio.connectedAccounts.get(request.id));
    expect(gone.status).toBe(404);
    expect(gone.message).toContain(`no connected account ${request.id}`);
  });

  it('rejects waitForConnection when the user denies consent (FAILED), and refresh starts the flow again', async () => {
    const request = await composio.connectedAccounts.initiate(newUserId('v3-fail'), oauthConfigId, { callbackUrl: CALLBACK_URL });
    const waiting = rejectionOf(request.waitForConnection(20_000));
    const landed = await consentInBrowser(fx.server, request.redirectUrl, 'deny');
    expect(landed.searchParams.get('status')).toBe('failed');
    const failed = await waiting;
    expect(failed).toBeInstanceOf(ConnectionRequestFailedError);
    expect(failed.message).toContain('Connection request failed with status: FAILED, reason: access_denied');

    // A refused state change is a 409, which this client retries (twice, with back-off) unless told not to.
    const started = Date.now();
    const conflict = await rejectionOf(composio.connectedAccounts.enable(request.id));
    expect([conflict.status, conflict.message]).toEqual([409, expect.stringContaining('cannot make it ACTIVE')]);
    expect(Date.now() - started).toBeLessThan(350);

    const again = await composio.connectedAccounts.refresh(request.id, { redirectUrl: CALLBACK_URL });
    expect(again).toMatchObject({ id: request.id, status: 'INITIATED', redirect_url: expect.stringMatching(`^${fx.server.url}/connect/`) });
    const retry = composio.connectedAccounts.waitForConnection(request.id, 20_000);
    await consentInBrowser(fx.server, again.redirect_url, 'approve');
    expect(await retry).toMatchObject({ id: request.id, status: 'ACTIVE' });
  });

  it('creates, lists and reads auth configs without ever returning the client secret', async () => {
    const created = await composio.authConfigs.create(BASIC_APP, { type: 'use_custom_auth', authScheme: 'BASIC', credentials: {} });
    expect(created).toMatchObject({ authScheme: 'BASIC', toolkit: BASIC_APP });
    const listed = await composio.authConfigs.list({ toolkit: BASIC_APP });
    expect(listed.items).toEqual([expect.objectContaining({ id: created.id, status: 'ENABLED', noOfConnections: 0, toolkit: { slug: BASIC_APP, logo: '' } })]);

    const oauth = await composio.authConfigs.get(oauthConfigId);
    expect(oauth).toMatchObject({ id: oauthConfigId, authScheme: 'OAUTH2', credentials: { client_id: CLIENT.clientId }, isComposioManaged: false });
    expect(oauth.noOfConnections).toBeGreaterThan(0);
    expect(JSON.stringify([oauth, listed])).not.toContain(CLIENT.clientSecret);
    expect((await composio.authConfigs.list({ isComposioManaged: true })).items).toEqual([]);

    await composio.authConfigs.delete(created.id);
    expect((await rejectionOf(composio.authConfigs.get(created.id))).status).toBe(404);
  });

  it('reads toolkits from the catalog with the fields of each auth scheme', async () => {
    const keys = await composio.toolkits.get(KEY_APP);
    expect(keys).toMatchObject({ slug: KEY_APP, name: 'Acme Keys', isLocalToolkit: false });
    expect(await composio.toolkits.getConnectedAccountInitiationFields(KEY_APP, 'API_KEY')).toEqual([
      expect.objectContaining({ name: 'apiKey', required: true }),
      expect.objectContaining({ name: 'workspace', required: false }),
    ]);
    expect((await composio.toolkits.getAuthConfigCreationFields(OAUTH_APP, 'OAUTH2')).map((f) => f.name)).toEqual(['client_id', 'client_secret']);
    const all = await composio.toolkits.get({});
    expect(all.map((t) => t.slug)).toEqual([OAUTH_APP, BASIC_APP, KEY_APP].sort());
  });

  it("refuses bad input with a 4xx the SDK reports and keeps to the project's redirect allow-list", async () => {
    const user = newUserId('v3-bad');
    const missing = await rejectionOf(composio.connectedAccounts.initiate(user, 'int_000000000000000000000000'));
    expect(missing.status).toBe(404);
    const unsupported = await rejectionOf(composio.connectedAccounts.initiate(user, keyConfigId, { config: AuthScheme.BearerToken({ token: 'x' }) }));
    expect(unsupported.status).toBe(400);

    const allowed = await fx.server.api('PATCH', '/api/v1/project', { allowedRedirectUrls: [APP_ORIGIN] });
    expect(allowed.status).toBe(200);
    try {
      const refused = await rejectionOf(composio.connectedAccounts.initiate(user, oauthConfigId, { callbackUrl: 'https://elsewhere.example/cb' }));
      expect(refused.status).toBe(400);
      expect(refused.message).toContain("not in the project's allowed redirect URLs");
      expect((await composio.connectedAccounts.initiate(user, oauthConfigId, { callbackUrl: CALLBACK_URL })).status).toBe('INITIATED');
    } finally {
      await fx.server.api('PATCH', '/api/v1/project', { allowedRedirectUrls: [] });
    }
    // Only the one allowed initiation was stored.
    expect((await composio.connectedAccounts.list({ userIds: [user] })).items).toHaveLength(1);
  });

  it('needed nothing beyond 127.0.0.1, and every answer matched the SDK’s own schemas', () => {
    expect(refusedAttempts()).toEqual([]);
    expect(sdkWarnings.filter((w) => /validation|schema|unsupported/i.test(w))).toEqual([]);
  });
});
