import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Catalog, type AppDefinition } from '@authlink/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BrowserClient, parseForms } from './support/browser-client.js';
import { snapshot } from './support/database-snapshot.js';
import { testApp } from './support/test-apps.js';
import { startTestServer, type TestServer } from './support/test-server.js';

/**
 * A real HTTP server playing the apps' APIs: `/me` answers who the caller is when the credentials
 * are the good ones, 401 otherwise; `/broken/me` always fails with 503.
 */
interface AppApi {
  url: string;
  requests: Array<{ method: string; path: string; headers: IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

const GOOD_KEY = 'key-good-0123456789';
const GOOD_BASIC = `Basic ${Buffer.from('octo:pa55word').toString('base64')}`;
const GOOD_BEARER = 'Bearer tok-good-0123456789';
const OCTO = { data: { user: { id: 42, login: 'octo', email: 'Octo@Example.com', full_name: 'Octo Cat' } } };

async function startAppApi(): Promise<AppApi> {
  const requests: AppApi['requests'] = [];
  const server: Server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += String(chunk);
    requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body });
    const json = (status: number, answer: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer));
    };
    if (request.url?.startsWith('/broken/')) return json(503, { error: 'maintenance' });
    const authorized = request.headers['x-api-key'] === GOOD_KEY || request.headers.authorization === `Basic ${Buffer.from(`${GOOD_KEY}:`).toString('base64')}` || request.headers.authorization === GOOD_BASIC || request.headers.authorization === GOOD_BEARER;
    if (request.url === '/v1/me' && authorized) return json(200, OCTO);
    if (request.method === 'POST' && request.url === '/v1/graphql' && authorized && request.headers['content-type'] === 'application/json') {
      const { query } = JSON.parse(body) as { query?: string };
      if (query === '{ viewer { id name } }') return json(200, { data: { viewer: { id: 'viewer-7', name: 'Vee' } } });
    }
    return json(401, { error: 'invalid credentials', echoed: request.headers['x-api-key'] ?? request.headers.authorization ?? null });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function catalogFor(api: AppApi): Catalog {
  const identity = { id: '/data/user/id', login: '/data/user/login', email: '/data/user/email', name: '/data/user/full_name' };
  const app = (key: string, baseUrl: string, scheme: AppDefinition['authSchemes'][number], test = true): AppDefinition =>
    testApp(key, baseUrl, [scheme], test ? { testRequest: { method: 'GET', path: '/me', identity } } : {});
  const apiKey = {
    scheme: 'API_KEY' as const,
    fields: [{ name: 'apiKey', label: 'API key', secret: true, required: true, suppliedBy: 'user' as const }],
    placement: [{ in: 'header' as const, name: 'X-Api-Key', value: '{apiKey}' }],
  };
  return Catalog.fromDefinitions([
    app('checked-key', `${api.url}/v1`, apiKey),
    app('checked-basic', `${api.url}/v1`, {
      scheme: 'BASIC',
      fields: [
        { name: 'username', label: 'Username', secret: false, required: true, suppliedBy: 'user' },
        { name: 'password', label: 'Password', secret: true, required: true, suppliedBy: 'user' },
      ],
      placement: [{ in: 'header', name: 'Authorization', value: 'Basic {basic}' }],
    }),
    app('keyed-basic', `${api.url}/v1`, {
      scheme: 'BASIC',
      fields: [{ name: 'username', label: 'API key', secret: true, required: true, suppliedBy: 'user' }],
      placement: [{ in: 'header', name: 'Authorization', value: 'Basic {basic}' }],
    }),
    app('checked-bearer', `${api.url}/v1`, {
      scheme: 'BEARER_TOKEN',
      fields: [{ name: 'token', label: 'Token', secret: true, required: true, suppliedBy: 'user' }],
      placement: [{ in: 'header', name: 'Authorization', value: 'Bearer {token}' }],
    }),
    app('broken-key', `${api.url}/broken`, apiKey),
    app('gone-key', 'http://127.0.0.1:9/v1', apiKey),
    app('untested-key', `${api.url}/v1`, apiKey, false),
    {
      ...app('graphql-key', `${api.url}/v1`, apiKey, false),
      testRequest: { method: 'POST', path: '/graphql', body: { query: '{ viewer { id name } }' }, identity: { id: '/data/viewer/id', name: '/data/viewer/name' } },
    },
  ]);
}

let server: TestServer;
let api: AppApi;

beforeAll(async () => {
  api = await startAppApi();
  server = await startTestServer({ logLevel: 'warn', catalog: catalogFor(api) });
});

afterAll(async () => {
  await server?.close();
  await api?.close();
});

beforeEach(() => {
  api.requests.length = 0;
});

const initiate = (body: Record<string, unknown>) => server.api('POST', '/api/v1/connected-accounts', body);

describe('credential check before ACTIVE', () => {
  it('makes a good API key ACTIVE with the identity the app reported, after asking the app with the key placed as for the proxy', async () => {
    const started = await initiate({ app: 'checked-key', entityId: 'alice', data: { apiKey: GOOD_KEY } });
    expect(started.status).toBe(201);
    expect(started.body.connectionStatus).toBe('ACTIVE');
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]).toMatchObject({ method: 'GET', path: '/v1/me' });
    expect(api.requests[0]?.headers['x-api-key']).toBe(GOOD_KEY);

    const account = await server.api('GET', `/api/v1/connected-accounts/${started.body.connectedAccountId}`);
    expect(account.body).toMatchObject({ status: 'ACTIVE', accountIdentity: { id: '42', login: 'octo', email: 'octo@example.com', name: 'Octo Cat' } });
    expect(account.body.requestedScopes).toBeNull();
  });

  it('refuses a key the app rejects with a 400 that holds neither the key nor the app’s answer, and creates nothing', async () => {
    const before = await snapshot(server);
    const refused = await initiate({ app: 'checked-key', entityId: 'mallory', data: { apiKey: 'key-wrong-987654321' } });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'CREDENTIALS_REJECTED', status: 400 });
    expect(refused.body.detail).toContain('401');
    expect(JSON.stringify(refused.body)).not.toContain('key-wrong-987654321');
    expect(JSON.stringify(server.logs)).not.toContain('key-wrong-987654321');
    expect(api.requests).toHaveLength(1);
    expect(await snapshot(server)).toEqual(before);
  });

  it('answers 502 CREDENTIALS_UNVERIFIED, creating nothing, when the app fails or cannot be reached', async () => {
    const before = await snapshot(server);
    const failing = await initiate({ app: 'broken-key', data: { apiKey: GOOD_KEY } });
    expect(failing.status).toBe(502);
    expect(failing.body).toMatchObject({ code: 'CREDENTIALS_UNVERIFIED' });
    expect(failing.body.detail).toContain('503');
    const unreachable = await initiate({ app: 'gone-key', data: { apiKey: GOOD_KEY } });
    expect(unreachable.status).toBe(502);
    expect(unreachable.body.detail).toContain('127.0.0.1:9 could not be reached');
    expect(unreachable.body.detail).toContain('validate: false');
    expect(await snapshot(server)).toEqual(before);
  });

  it('checks BASIC and BEARER_TOKEN credentials the same way', async () => {
    const basic = await initiate({ app: 'checked-basic', data: { username: 'octo', password: 'pa55word' } });
    expect(basic.status).toBe(201);
    expect((await server.api('GET', `/api/v1/connected-accounts/${basic.body.connectedAccountId}`)).body.accountIdentity).toMatchObject({ login: 'octo' });
    expect((await initiate({ app: 'checked-basic', data: { username: 'octo', password: 'wrong' } })).body.code).toBe('CREDENTIALS_REJECTED');

    // An API key as the Basic username with an empty password, as Chargebee takes it.
    const keyed = await initiate({ app: 'keyed-basic', data: { username: GOOD_KEY } });
    expect(keyed.status).toBe(201);
    api.requests.splice(-1);

    const bearer = await initiate({ app: 'checked-bearer', data: { token: 'tok-good-0123456789' } });
    expect(bearer.status).toBe(201);
    expect((await initiate({ app: 'checked-bearer', data: { token: 'tok-bad' } })).body.code).toBe('CREDENTIALS_REJECTED');
    expect(api.requests.map((r) => r.headers.authorization)).toEqual([GOOD_BASIC, `Basic ${Buffer.from('octo:wrong').toString('base64')}`, GOOD_BEARER, 'Bearer tok-bad']);
  });

  it('sends a POST test request with its JSON body (a GraphQL "who am I")', async () => {
    const started = await initiate({ app: 'graphql-key', data: { apiKey: GOOD_KEY } });
    expect(started.status).toBe(201);
    expect(api.requests[0]).toMatchObject({ method: 'POST', path: '/v1/graphql', body: '{"query":"{ viewer { id name } }"}' });
    expect((await server.api('GET', `/api/v1/connected-accounts/${started.body.connectedAccountId}`)).body.accountIdentity).toEqual({ id: 'viewer-7', name: 'Vee' });
    expect((await initiate({ app: 'graphql-key', data: { apiKey: 'key-bad' } })).body.code).toBe('CREDENTIALS_REJECTED');
  });

  it('skips the check with validate: false, and for apps without a test endpoint (no identity then)', async () => {
    const unchecked = await initiate({ app: 'checked-key', data: { apiKey: 'key-not-checked' }, validate: false });
    expect(unchecked.status).toBe(201);
    expect(unchecked.body.connectionStatus).toBe('ACTIVE');
    const untested = await initiate({ app: 'untested-key', data: { apiKey: 'anything' } });
    expect(untested.body.connectionStatus).toBe('ACTIVE');
    expect(api.requests).toHaveLength(0);
    expect((await server.api('GET', `/api/v1/connected-accounts/${untested.body.connectedAccountId}`)).body.accountIdentity).toBeNull();
  });

  it('re-shows the hosted form with the reason when the app refuses the typed key, then connects with a good one', async () => {
    const started = await initiate({ app: 'checked-key', entityId: 'form-user', redirectUrl: 'http://app.example/back' });
    expect(started.body.connectionStatus).toBe('INITIATED');
    const browser = new BrowserClient();
    const form = await browser.get(started.body.redirectUrl);
    const action = parseForms(form.body, form.url)[0]?.action ?? '';

    const refused = await browser.postForm(action, { apiKey: 'key-typed-wrong' });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('refused these credentials');
    expect(refused.body).not.toContain('key-typed-wrong');
    const pending = await server.api('GET', `/api/v1/connected-accounts/${started.body.connectedAccountId}`);
    expect(pending.body).toMatchObject({ status: 'INITIATED', accountIdentity: null });

    const accepted = await browser.postForm(action, { apiKey: GOOD_KEY });
    expect(accepted.status).toBe(303);
    expect(new URL(accepted.headers.get('location') ?? '').searchParams.get('status')).toBe('success');
    const account = await server.api('GET', `/api/v1/connected-accounts/${started.body.connectedAccountId}`);
    expect(account.body).toMatchObject({ status: 'ACTIVE', accountIdentity: { login: 'octo' } });
  });

  it('keeps the initiator’s validate: false for the hosted form', async () => {
    const started = await initiate({ app: 'checked-key', validate: false });
    const browser = new BrowserClient();
    const form = await browser.get(started.body.redirectUrl);
    const done = await browser.postForm(parseForms(form.body, form.url)[0]?.action ?? '', { apiKey: 'key-typed-unchecked' });
    expect(done.status).toBe(200);
    expect(api.requests).toHaveLength(0);
  });

  it('checks again on reinitiate: refused data leave the account as it was', async () => {
    const started = await initiate({ app: 'checked-key', entityId: 'reconnecting', data: { apiKey: GOOD_KEY } });
    const id = started.body.connectedAccountId as string;
    await server.api('POST', `/api/v1/connected-accounts/${id}/disable`);
    const before = await snapshot(server);
    const refused = await server.api('POST', `/api/v1/connected-accounts/${id}/reinitiate`, { data: { apiKey: 'key-wrong-again' } });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('CREDENTIALS_REJECTED');
    expect(await snapshot(server)).toEqual(before);
    const scoped = await server.api('POST', `/api/v1/connected-accounts/${id}/reinitiate`, { scopes: ['more'] });
    expect(scoped.status).toBe(400);
    expect(scoped.body.errors).toEqual([{ path: '/body/scopes', message: 'only for OAUTH2 accounts' }]);
    expect(await snapshot(server)).toEqual(before);
    const again = await server.api('POST', `/api/v1/connected-accounts/${id}/reinitiate`, { data: { apiKey: GOOD_KEY } });
    expect(again.body.connectionStatus).toBe('ACTIVE');
  });

  it('filters the list by account identity: id, login, or email in any case', async () => {
    const created = await initiate({ app: 'checked-key', entityId: 'filter-user', labels: ['filter'], data: { apiKey: GOOD_KEY } });
    const id = created.body.connectedAccountId as string;
    for (const value of ['42', 'octo', 'OCTO@example.COM']) {
      const page = await server.api('GET', `/api/v1/connected-accounts?labels=filter&accountIdentity=${encodeURIComponent(value)}`);
      expect(page.status).toBe(200);
      expect(page.body.items.map((a: { id: string }) => a.id)).toEqual([id]);
    }
    const none = await server.api('GET', '/api/v1/connected-accounts?labels=filter&accountIdentity=someone-else');
    expect(none.body.items).toEqual([]);
  });

  it('refuses a real catalog app’s key when the app cannot be reached from this machine, unless told not to check', async () => {
    const catalogServer = await startTestServer({ logLevel: 'warn' });
    try {
      const refused = await catalogServer.api('POST', '/api/v1/connected-accounts', { app: 'openai', data: { apiKey: 'sk-no-internet-here' } });
      expect(refused.status).toBe(502);
      expect(refused.body.code).toBe('CREDENTIALS_UNVERIFIED');
      expect(refused.body.detail).toContain('api.openai.com');
      expect((await catalogServer.api('GET', '/api/v1/connected-accounts')).body.items).toEqual([]);
    } finally {
      await catalogServer.close();
    }
  });
});
