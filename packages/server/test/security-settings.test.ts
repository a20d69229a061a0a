import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserClient, authorizeAtOidcPeer } from './support/browser-client.js';
import { createOidcIntegration, TEST_CLIENT } from './support/oauth-connection.js';
import { startOidcPeer, type OidcPeer } from './support/oidc-peer.js';
import { createProject, startTestServer, type TestServer } from './support/test-server.js';

let server: TestServer;
let peer: OidcPeer;
let integrationId: string;

beforeAll(async () => {
  server = await startTestServer();
  peer = await startOidcPeer({ clients: [{ ...TEST_CLIENT, redirectUris: [`${server.url}/oauth/callback`] }] });
  integrationId = await createOidcIntegration(server, peer);
});

afterAll(async () => {
  await peer?.close();
  await server?.close();
});

const stopAtCallback = (url: URL) => url.pathname === '/oauth/callback';

async function setProject(settings: Record<string, unknown>) {
  const answer = await server.api('PATCH', '/api/v1/project', settings);
  expect(answer.status).toBe(200);
  return answer.body;
}

describe('redirect allow-list', () => {
  afterAll(() => setProject({ allowedRedirectUrls: [] }));

  it('accepts only redirect URLs under an allowed origin and path, compared as parsed URLs', async () => {
    const project = await setProject({ allowedRedirectUrls: ['https://app.example/connected/', 'https://other.example'] });
    expect(project.allowedRedirectUrls).toEqual(['https://app.example/connected/', 'https://other.example']);
    const initiate = (redirectUrl: string) => server.api('POST', '/api/v1/connected-accounts', { integrationId, redirectUrl });

    for (const allowed of ['https://app.example/connected/', 'https://app.example/connected/done?x=1', 'https://other.example/anything']) {
      expect((await initiate(allowed)).status, allowed).toBe(201);
    }
    for (const refused of [
      'https://app.example/connectedX',
      'https://app.example/other',
      'http://app.example/connected/',
      'https://app.example.evil.com/connected/',
      'https://evil.example/?https://app.example/connected/',
      'https://other.example:8443/',
    ]) {
      const answer = await initiate(refused);
      expect(answer.status, refused).toBe(400);
      expect(answer.body.code).toBe('INVALID_REDIRECT_URL');
    }
  });

  it('refuses allow-list entries that are not http(s) origins or prefixes', async () => {
    for (const entry of ['javascript:alert(1)', 'https://app.example/?q=1', 'not a url', 'https://user:pw@app.example']) {
      const answer = await server.api('PATCH', '/api/v1/project', { allowedRedirectUrls: [entry] });
      expect(answer.status, entry).toBe(400);
    }
  });
});

describe('binding the callback to the browser that started the flow', () => {
  afterAll(() => setProject({ requireSameBrowser: false }));

  it('completes in the browser that opened the link, and fails in any other', async () => {
    await setProject({ requireSameBrowser: true });

    const same = await server.api('POST', '/api/v1/connected-accounts', { integrationId });
    const page = await authorizeAtOidcPeer(new BrowserClient(), same.body.redirectUrl, { login: 'bound-user', consent: 'approve' });
    expect(page.status).toBe(200);
    expect((await server.api('GET', `/api/v1/connected-accounts/${same.body.connectedAccountId}`)).body.status).toBe('ACTIVE');

    const phished = await server.api('POST', '/api/v1/connected-accounts', { integrationId });
    const victim = new BrowserClient();
    const landed = await authorizeAtOidcPeer(victim, phished.body.redirectUrl, { login: 'attacker', consent: 'approve', stopAt: stopAtCallback });
    // The callback URL arrives in another browser (no flow cookie).
    const elsewhere = await new BrowserClient().get(landed.url);
    expect(elsewhere.body).toContain('different browser');
    const account = (await server.api('GET', `/api/v1/connected-accounts/${phished.body.connectedAccountId}`)).body;
    expect(account.status).toBe('FAILED');
    expect(account.statusReason).toContain('browser_mismatch');
    expect(peer.tokenRequests.filter((r) => r.grantType === 'authorization_code').length).toBeGreaterThan(0);
  });
});

describe('confirmation by the initiator before ACTIVE', () => {
  afterAll(() => setProject({ confirmationUrl: null }));

  it('keeps the account INITIATED with unserved credentials until the right code is confirmed', async () => {
    await setProject({ confirmationUrl: 'https://app.example/confirm' });
    const started = await server.api('POST', '/api/v1/connected-accounts', { integrationId, redirectUrl: 'https://app.example/done' });
    const landed = await authorizeAtOidcPeer(new BrowserClient(), started.body.redirectUrl, {
      login: 'confirm-user',
      consent: 'approve',
      stopAt: (url) => url.hostname === 'app.example',
    });
    const back = new URL(landed.url);
    expect(back.pathname).toBe('/confirm');
    expect(back.searchParams.get('status')).toBe('pending_confirmation');
    expect(back.searchParams.get('connectedAccountId')).toBe(started.body.connectedAccountId);
    const code = back.searchParams.get('confirmationCode') ?? '';
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const id = started.body.connectedAccountId as string;
    const pending = (await server.api('GET', `/api/v1/connected-accounts/${id}`)).body;
    expect(pending).toMatchObject({ status: 'INITIATED', statusReason: 'waiting for the initiator to confirm the user' });
    expect((await server.api('GET', `/api/v1/connected-accounts/${id}/credentials`)).status).toBe(409);

    const wrong = await server.api('POST', `/api/v1/connected-accounts/${id}/confirm`, { confirmationCode: 'x'.repeat(43) });
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe('CONFIRMATION_INVALID');
    expect((await server.api('GET', `/api/v1/connected-accounts/${id}`)).body.status).toBe('INITIATED');

    const { apiKey: otherKey } = await createProject(server, 'confirm-other');
    expect((await server.api('POST', `/api/v1/connected-accounts/${id}/confirm`, { confirmationCode: code }, otherKey)).status).toBe(404);

    const confirmed = await server.api('POST', `/api/v1/connected-accounts/${id}/confirm`, { confirmationCode: code });
    expect(confirmed.body).toMatchObject({ status: 'ACTIVE', statusReason: null });
    expect((await server.api('GET', `/api/v1/connected-accounts/${id}/credentials`)).status).toBe(200);
    expect((await server.api('POST', `/api/v1/connected-accounts/${id}/confirm`, { confirmationCode: code })).status).toBe(409);
  });
});

describe('audit log', () => {
  it('records key creation, integration changes, status changes and credential reads, without secrets', async () => {
    const { apiKey: keyB } = await createProject(server, 'audited');
    const asB = (method: string, path: string, body?: unknown) => server.api(method, path, body, keyB);
    const integration = await asB('POST', '/api/v1/integrations', { app: 'openai' });
    const started = await asB('POST', '/api/v1/connected-accounts', { integrationId: integration.body.id, data: { apiKey: 'sk-audit-secret-value' }, validate: false });
    const id = started.body.connectedAccountId as string;
    await asB('GET', `/api/v1/connected-accounts/${id}/credentials`);
    await asB('POST', `/api/v1/connected-accounts/${id}/disable`);
    await asB('GET', `/api/v1/connected-accounts/${id}/credentials`);
    await asB('PATCH', `/api/v1/integrations/${integration.body.id}`, { authConfig: { clientSecret: 'integration-secret-value' } });
    await asB('DELETE', `/api/v1/connected-accounts/${id}`);

    const audit = await asB('GET', '/api/v1/audit?limit=200');
    expect(audit.status).toBe(200);
    const events = audit.body.items as Array<{ action: string; outcome: string; actor: string; targetId: string | null; detail: Record<string, unknown> }>;
    const actions = events.map((e) => `${e.action}:${e.outcome}`).reverse();
    expect(actions).toEqual([
      'api_key.created:success',
      'integration.created:success',
      'connected_account.initiated:success',
      'credentials.read:success',
      'connected_account.status_changed:success',
      'credentials.read:failure',
      'integration.updated:success',
      'connected_account.deleted:success',
    ]);
    expect(events.filter((e) => e.action !== 'api_key.created').every((e) => e.actor.startsWith('key:'))).toBe(true);
    expect(events.find((e) => e.action === 'connected_account.status_changed')?.detail).toMatchObject({ from: 'ACTIVE', to: 'INACTIVE' });
    expect(events.find((e) => e.action === 'integration.updated')?.detail).toEqual({ changed: 'clientSecret' });
    const text = JSON.stringify(audit.body);
    for (const secret of ['sk-audit-secret-value', 'integration-secret-value', keyB]) expect(text).not.toContain(secret);

    const reads = await asB('GET', `/api/v1/audit?action=credentials.read&targetId=${id}`);
    expect(reads.body.items).toHaveLength(2);
    const paged = await asB('GET', '/api/v1/audit?limit=3');
    expect(paged.body.items).toHaveLength(3);
    const next = await asB('GET', `/api/v1/audit?limit=3&cursor=${paged.body.nextCursor}`);
    expect(next.body.items[0].id < paged.body.items[2].id).toBe(true);

    // Project A sees none of B's events.
    const fromA = await server.api('GET', `/api/v1/audit?targetId=${id}`);
    expect(fromA.body.items).toEqual([]);
  });
});

describe('hardening', () => {
  it('puts security headers on API answers and pages', async () => {
    const answer = await fetch(`${server.url}/api/v1/apps?limit=1`, { headers: { 'x-api-key': server.apiKey } });
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
    expect(answer.headers.get('x-frame-options')).toBe('DENY');
    expect(answer.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const page = await fetch(`${server.url}/connect/${'a'.repeat(43)}`);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
    expect(page.headers.get('content-security-policy')).not.toContain('script-src');
  });

  it('limits failed API keys per address, then refuses even a good key until the window ends', async () => {
    const limited = await startTestServer({ rateLimits: { failedKeysPerMinute: 5 } });
    try {
      for (let i = 0; i < 5; i += 1) expect((await limited.api('GET', '/api/v1/apps', undefined, `wrong-${i}`)).status).toBe(401);
      const blocked = await limited.api('GET', '/api/v1/apps');
      expect(blocked.status).toBe(429);
      expect(blocked.body.code).toBe('RATE_LIMITED');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });

  it('limits requests to the browser pages per address', async () => {
    const limited = await startTestServer({ rateLimits: { browserPerMinute: 3 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await fetch(`${limited.url}/oauth/callback?state=x${i}`)).status);
      expect(statuses).toEqual([400, 400, 400, 429]);
    } finally {
      await limited.close();
    }
  });
});
