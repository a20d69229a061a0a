import { describe, expect, it } from 'vitest';
import { AuthLink } from './client.js';
import { AuthLinkError, ConnectionFailedError, ConnectionTimeoutError } from './errors.js';
import type { FetchFunction, FetchInit } from './fetch-types.js';
import type { ConnectedAccount, ConnectionStatus } from './types.js';

/** One scripted answer: a JSON body with a status, or a thrown network error. */
type Step = { status: number; json: unknown; contentType?: string } | { networkError: Error };

function scriptedClient(steps: Step[]) {
  const calls: { url: string; init: FetchInit }[] = [];
  const fetch: FetchFunction = async (url, init) => {
    calls.push({ url, init });
    const step = steps.shift();
    if (step === undefined) throw new Error(`unscripted request ${init.method} ${url}`);
    if ('networkError' in step) throw step.networkError;
    return new Response(JSON.stringify(step.json), {
      status: step.status,
      headers: { 'content-type': step.contentType ?? 'application/json' },
    });
  };
  return { client: new AuthLink({ apiKey: 'test-key-123456', baseUrl: 'http://authlink.test', fetch }), calls };
}

function account(status: ConnectionStatus, statusReason: string | null = null): ConnectedAccount {
  return {
    id: 'ca_1',
    status,
    entityId: 'melissa',
    integrationId: 'int_1',
    app: 'gmail',
    authScheme: 'OAUTH2',
    labels: ['work'],
    statusReason,
    data: {},
    accountIdentity: null,
    requestedScopes: null,
    grantedScopes: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
  };
}

const initiated = {
  status: 201,
  json: { connectionStatus: 'INITIATED', connectedAccountId: 'ca_1', redirectUrl: 'http://authlink.test/connect/t' },
};

function problem(status: number, code: string): Step {
  return {
    status,
    contentType: 'application/problem+json',
    json: { type: `https://authlink.dev/problems/${code}`, title: 'Problem', status, detail: `${code} detail`, code },
  };
}

describe('ConnectionRequest.waitUntilActive', () => {
  it('polls the account until it is ACTIVE and resolves with it', async () => {
    const { client, calls } = scriptedClient([
      initiated,
      { status: 200, json: account('INITIATED') },
      { status: 200, json: account('INITIATED') },
      { status: 200, json: account('ACTIVE') },
    ]);
    const request = await client.getEntity('melissa').initiateConnection({ app: 'gmail', labels: ['work'] });
    expect(request.connectionStatus).toBe('INITIATED');
    expect(request.redirectUrl).toBe('http://authlink.test/connect/t');

    const active = await request.waitUntilActive({ timeoutMs: 5_000, intervalMs: 1 });

    expect(active.status).toBe('ACTIVE');
    expect(calls.map((call) => `${call.init.method} ${call.url}`)).toEqual([
      'POST http://authlink.test/api/v1/connected-accounts',
      'GET http://authlink.test/api/v1/connected-accounts/ca_1',
      'GET http://authlink.test/api/v1/connected-accounts/ca_1',
      'GET http://authlink.test/api/v1/connected-accounts/ca_1',
    ]);
    expect(JSON.parse(calls[0]?.init.body ?? '')).toEqual({ app: 'gmail', labels: ['work'], entityId: 'melissa' });
  });

  it.each(['FAILED', 'EXPIRED', 'INACTIVE'] as const)(
    'rejects with ConnectionFailedError carrying the account when it turns %s',
    async (status) => {
      const { client } = scriptedClient([
        initiated,
        { status: 200, json: account('INITIATED') },
        { status: 200, json: account(status, 'access_denied') },
      ]);
      const request = await client.connectedAccounts.initiate({ app: 'gmail' });

      const error = await request.waitUntilActive({ intervalMs: 1 }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ConnectionFailedError);
      const failed = error as ConnectionFailedError;
      expect(failed.code).toBe('CONNECTION_FAILED');
      expect(failed.accountStatus).toBe(status);
      expect(failed.statusReason).toBe('access_denied');
      expect(failed.account.id).toBe('ca_1');
    },
  );

  it('rejects with ConnectionTimeoutError when the account stays INITIATED past the timeout', async () => {
    const steps: Step[] = [initiated];
    for (let i = 0; i < 200; i += 1) steps.push({ status: 200, json: account('INITIATED') });
    const { client } = scriptedClient(steps);
    const request = await client.connectedAccounts.initiate({ app: 'gmail' });

    const started = Date.now();
    const error = await request.waitUntilActive({ timeoutMs: 60, intervalMs: 10 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConnectionTimeoutError);
    const timeout = error as ConnectionTimeoutError;
    expect(timeout.code).toBe('CONNECTION_TIMEOUT');
    expect(timeout.lastAccount?.status).toBe('INITIATED');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('keeps polling through network errors and 503s, then resolves', async () => {
    const { client } = scriptedClient([
      initiated,
      { networkError: new TypeError('fetch failed') },
      problem(503, 'SERVICE_UNAVAILABLE'),
      { status: 200, json: account('ACTIVE') },
    ]);
    const request = await client.connectedAccounts.initiate({ app: 'gmail' });

    await expect(request.waitUntilActive({ intervalMs: 1 })).resolves.toMatchObject({ status: 'ACTIVE' });
  });

  it('rejects at once on a non-transient error such as 404', async () => {
    const { client, calls } = scriptedClient([initiated, problem(404, 'CONNECTED_ACCOUNT_NOT_FOUND')]);
    const request = await client.connectedAccounts.initiate({ app: 'gmail' });

    const error = await request.waitUntilActive({ intervalMs: 1 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AuthLinkError);
    expect(error).not.toBeInstanceOf(ConnectionTimeoutError);
    expect((error as AuthLinkError).code).toBe('CONNECTED_ACCOUNT_NOT_FOUND');
    expect(calls).toHaveLength(2);
  });

  it('stops with ABORTED when the caller aborts between polls', async () => {
    const steps: Step[] = [initiated];
    for (let i = 0; i < 50; i += 1) steps.push({ status: 200, json: account('INITIATED') });
    const { client } = scriptedClient(steps);
    const request = await client.connectedAccounts.initiate({ app: 'gmail' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user left')), 20);

    const error = await request
      .waitUntilActive({ intervalMs: 5, timeoutMs: 10_000, signal: controller.signal })
      .catch((e: unknown) => e);

    expect((error as AuthLinkError).code).toBe('ABORTED');
  });

  it('resolves with the account when initiation answered ACTIVE at once', async () => {
    const { client } = scriptedClient([
      { status: 201, json: { connectionStatus: 'ACTIVE', connectedAccountId: 'ca_1', redirectUrl: null } },
      { status: 200, json: account('ACTIVE') },
    ]);
    const request = await client.connectedAccounts.initiate({ app: 'stripe', data: { apiKey: 'sk_test' } });

    expect(request.redirectUrl).toBeNull();
    expect(JSON.parse(JSON.stringify(request))).toEqual({
      connectionStatus: 'ACTIVE',
      connectedAccountId: 'ca_1',
      redirectUrl: null,
    });
    await expect(request.waitUntilActive()).resolves.toMatchObject({ id: 'ca_1', status: 'ACTIVE' });
  });

  it('refuses a non-positive timeout before sending anything', async () => {
    const { client, calls } = scriptedClient([initiated]);
    const request = await client.connectedAccounts.initiate({ app: 'gmail' });

    await expect(request.waitUntilActive({ timeoutMs: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(calls).toHaveLength(1);
  });
});
