import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserClient, parseForms } from './support/browser-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

/** The keys here are made up for real catalog apps: the check against the app is credential-check.test.ts's subject. */
async function initiate(body: Record<string, unknown>) {
  const response = await server.api('POST', '/api/v1/connected-accounts', { validate: false, ...body });
  expect(response.status).toBe(201);
  return response.body as { connectionStatus: string; connectedAccountId: string; redirectUrl: string | null };
}

describe('API key, basic, bearer and no-auth connections', () => {
  it('is ACTIVE at once when data holds every field, and serves the key', async () => {
    const started = await initiate({ app: 'openai', entityId: 'melissa', labels: ['primary'], data: { apiKey: 'sk-proj-abc123' } });
    expect(started).toMatchObject({ connectionStatus: 'ACTIVE', redirectUrl: null });

    const account = await server.api('GET', `/api/v1/connected-accounts/${started.connectedAccountId}`);
    expect(account.body).toMatchObject({ status: 'ACTIVE', app: 'openai', authScheme: 'API_KEY', entityId: 'melissa', labels: ['primary'] });
    expect(JSON.stringify(account.body)).not.toContain('sk-proj-abc123');

    const credentials = await server.api('GET', `/api/v1/connected-accounts/${started.connectedAccountId}/credentials`);
    expect(credentials.body).toEqual({ connectedAccountId: started.connectedAccountId, authScheme: 'API_KEY', credentials: { apiKey: 'sk-proj-abc123' } });

    const entity = await server.api('GET', '/api/v1/entities/melissa');
    expect(entity.body.connectedAccounts.map((a: { id: string }) => a.id)).toEqual([started.connectedAccountId]);
  });

  it('accepts connectedAccountParams as a synonym of data', async () => {
    const started = await initiate({ app: 'sendgrid', connectedAccountParams: { apiKey: 'SG.abc.def' } });
    expect(started.connectionStatus).toBe('ACTIVE');
  });

  it('stores the key encrypted: the database never holds it in clear', async () => {
    const started = await initiate({ app: 'openai', data: { apiKey: 'sk-plaintext-probe-42' } });
    const row = await server.runtime.db.selectFrom('connected_accounts').selectAll().where('id', '=', started.connectedAccountId).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain('sk-plaintext-probe-42');
    expect(row.credentials_ciphertext).toMatch(/^v1\./);
  });

  it('collects missing fields on the hosted form, re-shows it on invalid input, then becomes ACTIVE', async () => {
    const started = await initiate({ app: 'shopify', authScheme: 'API_KEY', redirectUrl: 'http://app.example/back', data: { shop: 'acme-store' } });
    expect(started.connectionStatus).toBe('INITIATED');
    expect(started.redirectUrl).toMatch(new RegExp(`^${server.url}/connect/[A-Za-z0-9_-]{43}$`));

    const browser = new BrowserClient();
    const form = await browser.get(started.redirectUrl ?? '');
    expect(form.status).toBe(200);
    expect(form.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(form.body).toContain('Connect Shopify');
    expect(form.body).toContain('Admin API access token');
    expect(form.body).toContain('type="password"');
    expect(form.body).not.toContain('Store subdomain'); // supplied by the initiator already
    const parsed = parseForms(form.body, form.url)[0];
    expect(parsed?.method).toBe('POST');

    const rejected = await browser.postForm(parsed?.action ?? '', { apiKey: 'not-a-token' });
    expect(rejected.status).toBe(400);
    expect(rejected.body).toContain('does not have the expected format');
    expect(rejected.body).not.toContain('not-a-token');
    expect((await server.api('GET', `/api/v1/connected-accounts/${started.connectedAccountId}`)).body.status).toBe('INITIATED');

    const accepted = await browser.postForm(parsed?.action ?? '', { apiKey: 'shpat_0123456789abcdef' });
    expect(accepted.status).toBe(303);
    const back = new URL(accepted.headers.get('location') ?? '');
    expect(Object.fromEntries(back.searchParams)).toEqual({ status: 'success', connectedAccountId: started.connectedAccountId, appName: 'shopify' });

    const account = await server.api('GET', `/api/v1/connected-accounts/${started.connectedAccountId}`);
    expect(account.body).toMatchObject({ status: 'ACTIVE', data: { shop: 'acme-store' } });
    const credentials = await server.api('GET', `/api/v1/connected-accounts/${started.connectedAccountId}/credentials`);
    expect(credentials.body.credentials).toEqual({ shop: 'acme-store', apiKey: 'shpat_0123456789abcdef' });

    const reused = await browser.get(started.redirectUrl ?? '');
    expect(reused.status).toBe(410);
    const resubmitted = await browser.postForm(parsed?.action ?? '', { apiKey: 'shpat_other' });
    expect(resubmitted.status).toBe(410);
  });

  it('asks for every missing field when the initiator supplied none, and shows a page without redirectUrl', async () => {
    const started = await initiate({ app: 'shopify', authScheme: 'API_KEY' });
    const browser = new BrowserClient();
    const form = await browser.get(started.redirectUrl ?? '');
    expect(form.body).toContain('Store subdomain');
    expect(form.body).toContain('Admin API access token');
    const done = await browser.postForm(parseForms(form.body, form.url)[0]?.action ?? '', { shop: 'other-shop', apiKey: 'shpat_abc' });
    expect(done.status).toBe(200);
    expect(done.body).toContain('Shopify is connected');
  });

  it('refuses a malformed key passed in data with a 400 naming the field, and creates nothing', async () => {
    const before = await server.api('GET', '/api/v1/connected-accounts?app=stripe');
    const response = await server.api('POST', '/api/v1/connected-accounts', { app: 'stripe', data: { apiKey: 'pk_live_public' } });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'INVALID_FIELD', errors: [{ path: '/data/apiKey' }] });
    expect(response.body.detail).not.toContain('pk_live_public');
    const after = await server.api('GET', '/api/v1/connected-accounts?app=stripe');
    expect(after.body.items).toEqual(before.body.items);
  });

  it('runs BASIC, BEARER_TOKEN and NO_AUTH for apps outside the catalog', async () => {
    const basic = await initiate({ app: 'internal-crm', authScheme: 'BASIC', data: { username: 'svc', password: 'hunter2' } });
    expect(basic.connectionStatus).toBe('ACTIVE');
    expect((await server.api('GET', `/api/v1/connected-accounts/${basic.connectedAccountId}/credentials`)).body.credentials).toEqual({
      username: 'svc',
      password: 'hunter2',
    });

    const bearer = await initiate({ app: 'internal-wiki', authScheme: 'BEARER_TOKEN', data: { token: 'tok_123' } });
    expect((await server.api('GET', `/api/v1/connected-accounts/${bearer.connectedAccountId}/credentials`)).body.credentials).toEqual({ token: 'tok_123' });

    const none = await initiate({ app: 'public-api', authScheme: 'NO_AUTH' });
    expect(none.connectionStatus).toBe('ACTIVE');
  });

  it('disables, enables, relabels and deletes an account', async () => {
    const { connectedAccountId: id } = await initiate({ app: 'openai', labels: ['a'], data: { apiKey: 'sk-x' } });
    expect((await server.api('POST', `/api/v1/connected-accounts/${id}/disable`)).body.status).toBe('INACTIVE');
    expect((await server.api('GET', `/api/v1/connected-accounts/${id}/credentials`)).status).toBe(409);
    expect((await server.api('POST', `/api/v1/connected-accounts/${id}/enable`)).body.status).toBe('ACTIVE');
    expect((await server.api('PATCH', `/api/v1/connected-accounts/${id}`, { labels: ['b', 'c'] })).body.labels).toEqual(['b', 'c']);

    const both = await server.api('GET', '/api/v1/connected-accounts?labels=b&labels=c');
    expect(both.body.items.map((a: { id: string }) => a.id)).toEqual([id]);
    const one = await server.api('GET', '/api/v1/connected-accounts?labels=b&labels=zzz');
    expect(one.body.items).toEqual([]);

    expect((await server.api('DELETE', `/api/v1/connected-accounts/${id}`)).body).toEqual({ id, deleted: true, revocation: 'not_supported' });
    expect((await server.api('GET', `/api/v1/connected-accounts/${id}`)).status).toBe(404);
    const rows = await server.runtime.db.selectFrom('connected_accounts').select('id').where('id', '=', id).execute();
    expect(rows).toEqual([]);
  });

  it('erases an entity with all its accounts', async () => {
    await initiate({ app: 'openai', entityId: 'leaving-user', data: { apiKey: 'sk-1' } });
    await initiate({ app: 'sendgrid', entityId: 'leaving-user', data: { apiKey: 'SG.2' } });
    expect((await server.api('DELETE', '/api/v1/entities/leaving-user')).status).toBe(204);
    expect((await server.api('GET', '/api/v1/entities/leaving-user')).status).toBe(404);
    expect((await server.api('GET', '/api/v1/connected-accounts?entityId=leaving-user')).body.items).toEqual([]);
  });

  it('searches the catalog by words, category and auth scheme', async () => {
    const google = await server.api('GET', '/api/v1/apps?search=google&authScheme=OAUTH2&limit=200');
    expect(google.status).toBe(200);
    expect(google.body.items.length).toBeGreaterThan(3);
    expect(google.body.items.every((a: { key: string; authSchemes: Array<{ scheme: string }> }) => a.authSchemes.some((s) => s.scheme === 'OAUTH2'))).toBe(true);
    const payments = await server.api('GET', '/api/v1/apps?category=payments&limit=200');
    expect(payments.body.items.map((a: { key: string }) => a.key)).toContain('stripe');
    expect((await server.api('GET', '/api/v1/apps?authScheme=SAML')).status).toBe(400);
  });
});
