import { describe, expect, it } from 'vitest';
import { AuthLink } from './client.js';
import { AuthLinkError } from './errors.js';
import type { FetchFunction, FetchInit } from './fetch-types.js';
import type { ConnectedAccount, Page } from './types.js';

const API_KEY = 'ak_live_secret_0123456789';

/** Serves the given responses in order and records what was asked. */
function scriptedClient(responses: (Response | Error | (() => Promise<Response>))[], timeoutMs?: number) {
  const calls: { url: string; init: FetchInit }[] = [];
  const fetch: FetchFunction = async (url, init) => {
    calls.push({ url, init });
    const next = responses.shift();
    if (next === undefined) throw new Error(`unscripted request ${init.method} ${url}`);
    if (next instanceof Error) throw next;
    return typeof next === 'function' ? next() : next;
  };
  const client = new AuthLink({
    apiKey: API_KEY,
    baseUrl: 'http://authlink.test/prefix/',
    fetch,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  return { client, calls };
}

function json(body: unknown, status = 200, contentType = 'application/json'): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': contentType } });
}

function account(id: string, createdAt: string, labels: string[] = []): ConnectedAccount {
  return {
    id,
    status: 'ACTIVE',
    entityId: 'melissa',
    integrationId: 'int_1',
    app: 'gmail',
    authScheme: 'OAUTH2',
    labels,
    statusReason: null,
    data: {},
    accountIdentity: null,
    requestedScopes: null,
    grantedScopes: null,
    createdAt,
    updatedAt: createdAt,
  };
}

function page(items: ConnectedAccount[], nextCursor: string | null): Page<ConnectedAccount> {
  return { items, nextCursor };
}

describe('requests', () => {
  it('sends the API key, JSON body and repeated label parameters under the base URL path', async () => {
    const { client, calls } = scriptedClient([json(page([], null)), json({ id: 'i', app: 'github' }, 201)]);

    await client.connectedAccounts.list({ entityId: 'a b', labels: ['work', 'primary'], status: 'ACTIVE' });
    await client.integrations.create({ app: 'github', authConfig: { clientId: 'cid', clientSecret: 'cs' } });

    expect(calls[0]?.url).toBe(
      'http://authlink.test/prefix/api/v1/connected-accounts?entityId=a+b&labels=work&labels=primary&status=ACTIVE',
    );
    expect(calls[0]?.init.headers['x-api-key']).toBe(API_KEY);
    expect(calls[0]?.init.body).toBeUndefined();
    expect(calls[1]?.init.headers['content-type']).toBe('application/json');
    expect(JSON.parse(calls[1]?.init.body ?? '')).toEqual({
      app: 'github',
      authConfig: { clientId: 'cid', clientSecret: 'cs' },
    });
  });

  it('encodes ids in paths and refuses an empty one', async () => {
    const { client, calls } = scriptedClient([new Response(null, { status: 204 })]);

    await expect(client.entities.delete('user/1?x')).resolves.toBeUndefined();
    expect(calls[0]?.url).toBe('http://authlink.test/prefix/api/v1/entities/user%2F1%3Fx');
    await expect(client.connectedAccounts.get('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('does not show the API key when the client is logged or serialized', () => {
    const { client } = scriptedClient([]);
    expect(JSON.stringify(client)).not.toContain(API_KEY);
  });

  it('refuses to start without an API key', () => {
    expect(() => new AuthLink({ apiKey: '' })).toThrow(AuthLinkError);
  });
});

describe('errors', () => {
  it('turns a problem document into an AuthLinkError with its code, status, detail and field errors', async () => {
    const body = {
      type: 'https://authlink.dev/problems/validation-failed',
      title: 'Validation failed',
      status: 400,
      detail: 'body/app is required',
      code: 'VALIDATION_FAILED',
      errors: [{ path: '/app', message: 'is required' }],
    };
    const { client } = scriptedClient([json(body, 400, 'application/problem+json')]);

    const error = await client.integrations.create({ app: '' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AuthLinkError);
    const e = error as AuthLinkError;
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.status).toBe(400);
    expect(e.detail).toBe('body/app is required');
    expect(e.problem).toEqual(body);
    expect(e.fieldErrors).toEqual([{ path: '/app', message: 'is required' }]);
  });

  it('gives HTTP_<status> to an error answer that is not a problem document', async () => {
    const { client } = scriptedClient([new Response('<html>Bad gateway</html>', { status: 502 })]);

    const error = (await client.apps.get('github').catch((e: unknown) => e)) as AuthLinkError;

    expect(error.code).toBe('HTTP_502');
    expect(error.status).toBe(502);
    expect(error.problem).toMatchObject({ type: 'about:blank', status: 502, code: 'HTTP_502' });
    expect(error.detail).toContain('Bad gateway');
  });

  it('reports a network failure as NETWORK_ERROR without the API key', async () => {
    const refused = new TypeError('fetch failed', { cause: new Error(`connect ECONNREFUSED (key ${API_KEY})`) });
    const { client } = scriptedClient([refused]);

    const error = (await client.apps.list().catch((e: unknown) => e)) as AuthLinkError;

    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.status).toBeUndefined();
    expect(error.cause).toBe(refused);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain(API_KEY);
  });

  it('keeps the API key out of a server message that echoes it', async () => {
    const body = {
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      code: 'UNAUTHORIZED',
      detail: `bad key ${API_KEY}`,
    };
    const { client } = scriptedClient([json(body, 401, 'application/problem+json')]);

    const error = (await client.apps.list().catch((e: unknown) => e)) as AuthLinkError;

    expect(error.code).toBe('UNAUTHORIZED');
    expect(`${error.message} ${error.detail ?? ''} ${JSON.stringify(error.problem)}`).not.toContain(API_KEY);
  });

  it('times out a request whose fetch never settles', async () => {
    const { client } = scriptedClient([() => new Promise<Response>(() => undefined)], 20);

    await expect(client.apps.list()).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT' });
  });

  it('answers a 2xx body that is not JSON with INVALID_RESPONSE', async () => {
    const { client } = scriptedClient([new Response('not json', { status: 200 })]);

    await expect(client.apps.list()).rejects.toMatchObject({ code: 'INVALID_RESPONSE', status: 200 });
  });
});

describe('paging', () => {
  it('listAll follows cursors across pages', async () => {
    const { client, calls } = scriptedClient([
      json(page([account('a', '2025-01-01T00:00:00Z')], 'c1')),
      json(page([account('b', '2025-01-02T00:00:00Z')], 'c2')),
      json(page([], null)),
    ]);

    const ids: string[] = [];
    for await (const item of client.connectedAccounts.listAll({ app: 'gmail', limit: 1 })) ids.push(item.id);

    expect(ids).toEqual(['a', 'b']);
    expect(calls.map((call) => new URL(call.url).search)).toEqual([
      '?app=gmail&limit=1',
      '?app=gmail&limit=1&cursor=c1',
      '?app=gmail&limit=1&cursor=c2',
    ]);
  });

  it('stops with INVALID_RESPONSE when the server repeats a cursor', async () => {
    const { client } = scriptedClient([json(page([], 'same')), json(page([], 'same'))]);

    await expect(client.integrations.listAll().toArray()).rejects.toMatchObject({ code: 'INVALID_RESPONSE' });
  });
});

describe('Entity.getConnection', () => {
  it('prefers the account labelled primary over a newer one, reading every page', async () => {
    const { client, calls } = scriptedClient([
      json(page([account('old-primary', '2025-01-01T00:00:00Z', ['primary'])], 'next')),
      json(page([account('newest', '2025-03-01T00:00:00Z')], null)),
    ]);

    const chosen = await client.getEntity('melissa').getConnection({ app: 'gmail' });

    expect(chosen.id).toBe('old-primary');
    const query = new URL(calls[0]?.url ?? '').searchParams;
    expect(query.get('entityId')).toBe('melissa');
    expect(query.get('app')).toBe('gmail');
    expect(query.get('status')).toBe('ACTIVE');
  });

  it('takes the newest ACTIVE account when none is labelled primary', async () => {
    const { client } = scriptedClient([
      json(
        page(
          [
            account('middle', '2025-02-01T00:00:00Z'),
            account('newest', '2025-03-01T00:00:00Z', ['work']),
            account('oldest', '2025-01-01T00:00:00Z'),
          ],
          null,
        ),
      ),
    ]);

    await expect(client.getEntity('melissa').getConnection({ app: 'gmail' })).resolves.toMatchObject({ id: 'newest' });
  });

  it('rejects with CONNECTION_NOT_FOUND (404) when the entity has no ACTIVE account for the app', async () => {
    const { client } = scriptedClient([json(page([], null))]);

    const error = (await client.getEntity().getConnection({ app: 'gmail' }).catch((e: unknown) => e)) as AuthLinkError;

    expect(error).toBeInstanceOf(AuthLinkError);
    expect(error.code).toBe('CONNECTION_NOT_FOUND');
    expect(error.status).toBe(404);
  });
});

describe('proxy', () => {
  it('forwards method, path, query and a JSON body, and returns the upstream answer', async () => {
    const { client, calls } = scriptedClient([json({ login: 'octocat' }, 200, 'application/json; charset=utf-8')]);

    const answer = await client.proxy<{ login: string }>('ca_1', {
      method: 'POST',
      path: '/repos/o/r/issues',
      query: { per_page: 5 },
      headers: { 'X-Trace': 't1' },
      body: { title: 'hi' },
    });

    expect(answer).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      data: { login: 'octocat' },
    });
    expect(calls[0]?.url).toBe('http://authlink.test/prefix/api/v1/proxy/ca_1/repos/o/r/issues?per_page=5');
    expect(calls[0]?.init.method).toBe('POST');
    expect(calls[0]?.init.headers).toMatchObject({ 'x-trace': 't1', 'content-type': 'application/json' });
    expect(calls[0]?.init.body).toBe('{"title":"hi"}');
  });

  it('returns an upstream error status as data rather than throwing', async () => {
    const upstream = new Response('Not Found', { status: 404, headers: { 'content-type': 'text/plain' } });
    const { client } = scriptedClient([upstream]);

    await expect(client.proxy('ca_1', { path: '/nope' })).resolves.toMatchObject({ status: 404, data: 'Not Found' });
  });

  it("throws authlink's own refusal as an AuthLinkError", async () => {
    const body = { type: 'about:blank', title: 'Not Found', status: 404, code: 'CONNECTED_ACCOUNT_NOT_FOUND' };
    const { client } = scriptedClient([json(body, 404, 'application/problem+json')]);

    await expect(client.proxy('ca_x', { path: '/user' })).rejects.toMatchObject({
      code: 'CONNECTED_ACCOUNT_NOT_FOUND',
      status: 404,
    });
  });

  it('refuses dot segments that would leave the proxy route', async () => {
    const { client, calls } = scriptedClient([]);

    await expect(client.proxy('ca_1', { path: '/../../apps' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(client.proxy('ca_1', { path: '/a/%2E%2e/b' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(calls).toHaveLength(0);
  });
});
