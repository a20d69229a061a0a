import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, startTestServer, type TestServer } from './support/test-server.js';
import { snapshot, STATE_TABLES } from './support/database-snapshot.js';
import { readAnswer } from './support/http-answer.js';

/**
 * Project B holds a valid key but must see nothing of project A: every id route answers 404 with
 * a problem, every list is empty, no answer carries a byte of A's data, and nothing changes.
 */


interface RawAnswer {
  status: number;
  text: string;
  body: any;
  headers: Headers;
}

/** A request with full control of the headers; the answer's raw text is kept for searching. */
async function raw(server: TestServer, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<RawAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    redirect: 'manual',
  });
  return readAnswer(response);
}

function everythingSaid(answer: RawAnswer): string {
  return `${answer.text}\n${[...answer.headers.entries()].map(([name, value]) => `${name}: ${value}`).join('\n')}`;
}

describe('tenant isolation', () => {
  let server: TestServer;
  let keyB: string;
  let projectB: string;

  /** Everything of project A that project B must never see. */
  const a = {
    apiKeyIntegrationId: '',
    oauthIntegrationId: '',
    activeAccountId: '',
    oauthAccountId: '',
    pendingApiKeyAccountId: '',
    userApiKey: 'sk-project-a-user-secret-0123456789',
    clientId: 'project-a-client-id-77',
    clientSecret: 'project-a-client-secret-88',
    oauthApp: 'project-a-private-app',
    integrationName: 'Project A OpenAI integration',
    labels: ['a-work-label', 'a-vip-label'],
    entityId: 'alice',
    redirectUrl: 'https://a.example.com/after-connect',
  };

  /** Strings whose appearance in any answer to B would be a leak. */
  function secretsAndIdsOfA(): string[] {
    return [
      a.apiKeyIntegrationId,
      a.oauthIntegrationId,
      a.activeAccountId,
      a.oauthAccountId,
      a.pendingApiKeyAccountId,
      a.userApiKey,
      a.clientId,
      a.clientSecret,
      a.oauthApp,
      a.integrationName,
      ...a.labels,
      a.redirectUrl,
      server.apiKey,
    ];
  }

  /**
   * `sent` is what the caller itself put in the request: a problem may echo the id it was asked
   * about ("no connected account ca_…"), which tells B nothing it did not know.
   */
  function expectNoDataOfA(answer: RawAnswer, where: string, sent = ''): void {
    const said = everythingSaid(answer);
    for (const value of secretsAndIdsOfA()) {
      if (sent.includes(value)) continue;
      expect(said.includes(value), `${where} leaks ${value}: ${said}`).toBe(false);
    }
  }

  beforeAll(async () => {
    server = await startTestServer({ logLevel: 'warn' });
    ({ apiKey: keyB, projectId: projectB } = await createProject(server, 'b'));

    const apiKeyIntegration = await server.api('POST', '/api/v1/integrations', { app: 'openai', name: a.integrationName });
    expect(apiKeyIntegration.status).toBe(201);
    a.apiKeyIntegrationId = apiKeyIntegration.body.id;

    const oauthIntegration = await server.api('POST', '/api/v1/integrations', {
      app: a.oauthApp,
      authConfig: {
        clientId: a.clientId,
        clientSecret: a.clientSecret,
        authorizationUrl: 'http://127.0.0.1:9/authorize',
        tokenUrl: 'http://127.0.0.1:9/token',
        scopes: ['read'],
      },
    });
    expect(oauthIntegration.status).toBe(201);
    a.oauthIntegrationId = oauthIntegration.body.id;

    const active = await server.api('POST', '/api/v1/connected-accounts', {
      integrationId: a.apiKeyIntegrationId,
      entityId: a.entityId,
      labels: a.labels,
      data: { apiKey: a.userApiKey },
      validate: false,
    });
    expect(active.status).toBe(201);
    expect(active.body.connectionStatus).toBe('ACTIVE');
    a.activeAccountId = active.body.connectedAccountId;

    const oauth = await server.api('POST', '/api/v1/connected-accounts', {
      integrationId: a.oauthIntegrationId,
      entityId: a.entityId,
      redirectUrl: a.redirectUrl,
    });
    expect(oauth.status).toBe(201);
    expect(oauth.body.connectionStatus).toBe('INITIATED');
    a.oauthAccountId = oauth.body.connectedAccountId;
    // Open the link so that an oauth_states row exists too (the provider is never contacted).
    const opened = await raw(server, 'GET', new URL(oauth.body.redirectUrl).pathname);
    expect(opened.status).toBe(302);

    const pending = await server.api('POST', '/api/v1/connected-accounts', { integrationId: a.apiKeyIntegrationId, entityId: a.entityId });
    expect(pending.status).toBe(201);
    expect(pending.body.connectionStatus).toBe('INITIATED');
    a.pendingApiKeyAccountId = pending.body.connectedAccountId;
  });

  afterAll(async () => {
    await server?.close();
  });

  it('sets up project A with a row in every table', async () => {
    const before = await snapshot(server);
    for (const table of STATE_TABLES) expect(before[table].length, table).toBeGreaterThan(0);
    // Project A sees its own objects: the ids used below are real.
    expect((await server.api('GET', `/api/v1/connected-accounts/${a.activeAccountId}`)).status).toBe(200);
    expect((await server.api('GET', `/api/v1/connected-accounts/${a.oauthAccountId}`)).body.status).toBe('INITIATED');
    expect((await server.api('GET', `/api/v1/entities/${a.entityId}`)).body.connectedAccounts).toHaveLength(3);
    const credentials = await server.api('GET', `/api/v1/connected-accounts/${a.activeAccountId}/credentials`);
    expect(credentials.body.credentials.apiKey).toBe(a.userApiKey);
  });

  describe("project B's key on project A's ids", () => {
    const idRoutes = (): Array<{ name: string; method: string; path: string; body?: unknown; code: string }> => [
      { name: 'GET integration', method: 'GET', path: `/api/v1/integrations/${a.apiKeyIntegrationId}`, code: 'INTEGRATION_NOT_FOUND' },
      { name: 'GET OAuth integration', method: 'GET', path: `/api/v1/integrations/${a.oauthIntegrationId}`, code: 'INTEGRATION_NOT_FOUND' },
      { name: 'PATCH integration', method: 'PATCH', path: `/api/v1/integrations/${a.apiKeyIntegrationId}`, body: { name: 'taken over by B' }, code: 'INTEGRATION_NOT_FOUND' },
      {
        name: 'PATCH integration secret',
        method: 'PATCH',
        path: `/api/v1/integrations/${a.oauthIntegrationId}`,
        body: { authConfig: { clientSecret: 'b-secret', tokenUrl: 'http://127.0.0.1:9/b' } },
        code: 'INTEGRATION_NOT_FOUND',
      },
      { name: 'DELETE integration', method: 'DELETE', path: `/api/v1/integrations/${a.apiKeyIntegrationId}`, code: 'INTEGRATION_NOT_FOUND' },
      { name: 'DELETE OAuth integration', method: 'DELETE', path: `/api/v1/integrations/${a.oauthIntegrationId}`, code: 'INTEGRATION_NOT_FOUND' },
      ...[a.activeAccountId, a.oauthAccountId, a.pendingApiKeyAccountId].flatMap((id) => [
        { name: `GET account ${id}`, method: 'GET', path: `/api/v1/connected-accounts/${id}`, code: 'CONNECTED_ACCOUNT_NOT_FOUND' },
        { name: `GET credentials ${id}`, method: 'GET', path: `/api/v1/connected-accounts/${id}/credentials`, code: 'CONNECTED_ACCOUNT_NOT_FOUND' },
        {
          name: `GET credentials with refresh token ${id}`,
          method: 'GET',
          path: `/api/v1/connected-accounts/${id}/credentials?includeRefreshToken=true`,
          code: 'CONNECTED_ACCOUNT_NOT_FOUND',
        },
        { name: `POST refresh ${id}`, method: 'POST', path: `/api/v1/connected-accounts/${id}/refresh`, code: 'CONNECTED_ACCOUNT_NOT_FOUND' },
        { name: `POST disable ${id}`, method: 'POST', path: `/api/v1/connected-accounts/${id}/disable`, code: 'CONNECTED_ACCOUNT_NOT_FOUND' },
        { name: `POST enable ${id}`, method: 'POST', path: `/api/v1/connected-accounts/${id}/enable`, code: 'CONNECTED_ACCOUNT_NOT_FOUND' },
        // `{}` as the SDK sends: a bodyless reinitiate is refused before the lookup (see input-validation.test.ts).
        { name: `POST reinitiate ${id}`, method: 'POST', path: `/api/v1/connected-accounts/${id}/reinitiate`, body: {}, code: 'CONNECTED_ACCOUNT_NOT_FOUND' },
        {
          name: `POST reinitiate with data ${id}`,
          method: 'POST',
          path: `/api/v1/connected-accounts/${id}/reinitiate`,
          body: { redirectUrl: 'https://b.example.com/steal', data: { apiKey: 'sk-b-key' } },
          code: 'CONNECTED_ACCOUNT_NOT_FOUND',
        },
        { name: `PATCH labels ${id}`, method: 'PATCH', path: `/api/v1/connected-accounts/${id}`, body: { labels: ['b-label'] }, code: 'CONNECTED_ACCOUNT_NOT_FOUND' },
        { name: `PATCH empty labels ${id}`, method: 'PATCH', path: `/api/v1/connected-accounts/${id}`, body: { labels: [] }, code: 'CONNECTED_ACCOUNT_NOT_FOUND' },
        { name: `DELETE account ${id}`, method: 'DELETE', path: `/api/v1/connected-accounts/${id}`, code: 'CONNECTED_ACCOUNT_NOT_FOUND' },
        { name: `POST confirm ${id}`, method: 'POST', path: `/api/v1/connected-accounts/${id}/confirm`, body: { confirmationCode: 'x'.repeat(43) }, code: 'CONNECTED_ACCOUNT_NOT_FOUND' },
        { name: `GET proxy ${id}`, method: 'GET', path: `/api/v1/proxy/${id}/me`, code: 'CONNECTED_ACCOUNT_NOT_FOUND' },
        { name: `POST proxy ${id}`, method: 'POST', path: `/api/v1/proxy/${id}/messages`, body: { text: 'from b' }, code: 'CONNECTED_ACCOUNT_NOT_FOUND' },
      ]),
      { name: 'GET entity', method: 'GET', path: `/api/v1/entities/${a.entityId}`, code: 'ENTITY_NOT_FOUND' },
      { name: 'DELETE entity', method: 'DELETE', path: `/api/v1/entities/${a.entityId}`, code: 'ENTITY_NOT_FOUND' },
      // Initiating on A's integration must not find it either.
      {
        name: 'POST connected account on A integration',
        method: 'POST',
        path: '/api/v1/connected-accounts',
        body: { integrationId: a.apiKeyIntegrationId, entityId: a.entityId, data: { apiKey: 'sk-b-key' } },
        code: 'INTEGRATION_NOT_FOUND',
      },
      {
        name: 'POST connected account on A OAuth integration',
        method: 'POST',
        path: '/api/v1/connected-accounts',
        body: { integrationId: a.oauthIntegrationId, entityId: a.entityId },
        code: 'INTEGRATION_NOT_FOUND',
      },
    ];

    it("refuses project B's key on every one of project A's ids with a 404 problem, leaks nothing and changes nothing", async () => {
      const before = await snapshot(server);
      const routes = idRoutes();
      expect(routes.length).toBeGreaterThanOrEqual(40);
      for (const route of routes) {
        const answer = await raw(server, route.method, route.path, { body: route.body, headers: { 'x-api-key': keyB } });
        const where = `${route.name} (${route.method} ${route.path})`;
        expect(answer.status, where).toBe(404);
        expect(answer.headers.get('content-type'), where).toMatch(/^application\/problem\+json/);
        expect(answer.body.code, where).toBe(route.code);
        expect(answer.body.status, where).toBe(404);
        expect(typeof answer.body.title, where).toBe('string');
        expect(typeof answer.body.type, where).toBe('string');
        expectNoDataOfA(answer, where, `${route.path} ${JSON.stringify(route.body ?? null)}`);
      }
      expect(await snapshot(server)).toEqual(before);
    });

    it("answers project B's key on A's ids exactly as on ids that never existed", async () => {
      // Same status and code for "exists elsewhere" and "never existed": no existence oracle.
      const fake = (id: string) => `${id.split('_')[0]}_${'0'.repeat(9)}${'ab'.repeat(10)}`;
      const pairs = [
        [`/api/v1/integrations/${a.apiKeyIntegrationId}`, `/api/v1/integrations/${fake(a.apiKeyIntegrationId)}`],
        [`/api/v1/connected-accounts/${a.activeAccountId}`, `/api/v1/connected-accounts/${fake(a.activeAccountId)}`],
        [`/api/v1/connected-accounts/${a.activeAccountId}/credentials`, `/api/v1/connected-accounts/${fake(a.activeAccountId)}/credentials`],
        [`/api/v1/entities/${a.entityId}`, '/api/v1/entities/nobody-at-all'],
      ] as const;
      for (const [real, never] of pairs) {
        const onReal = await raw(server, 'GET', real, { headers: { 'x-api-key': keyB } });
        const onNever = await raw(server, 'GET', never, { headers: { 'x-api-key': keyB } });
        expect(onReal.status).toBe(onNever.status);
        expect(onReal.body.code).toBe(onNever.body.code);
        expect(onReal.body.title).toBe(onNever.body.title);
      }
    });

    it("lists nothing of project A to project B, with or without A's filter values", async () => {
      const before = await snapshot(server);
      const afterCursor = Buffer.from(`ca_${'z'.repeat(30)}`).toString('base64url');
      const lists = [
        '/api/v1/connected-accounts',
        `/api/v1/connected-accounts?entityId=${a.entityId}`,
        '/api/v1/connected-accounts?app=openai',
        `/api/v1/connected-accounts?app=${a.oauthApp}`,
        `/api/v1/connected-accounts?integrationId=${a.apiKeyIntegrationId}`,
        `/api/v1/connected-accounts?integrationId=${a.oauthIntegrationId}`,
        '/api/v1/connected-accounts?status=ACTIVE',
        '/api/v1/connected-accounts?status=INITIATED',
        `/api/v1/connected-accounts?labels=${a.labels[0]}`,
        `/api/v1/connected-accounts?labels=${a.labels[0]}&labels=${a.labels[1]}`,
        `/api/v1/connected-accounts?entityId=${a.entityId}&app=openai&integrationId=${a.apiKeyIntegrationId}&status=ACTIVE&labels=${a.labels[0]}`,
        `/api/v1/connected-accounts?limit=200&cursor=${afterCursor}`,
        '/api/v1/integrations',
        '/api/v1/integrations?app=openai',
        `/api/v1/integrations?app=${a.oauthApp}`,
        `/api/v1/integrations?limit=200&cursor=${Buffer.from(`int_${'z'.repeat(30)}`).toString('base64url')}`,
      ];
      for (const path of lists) {
        const answer = await raw(server, 'GET', path, { headers: { 'x-api-key': keyB } });
        expect(answer.status, path).toBe(200);
        expect(answer.body, path).toEqual({ items: [], nextCursor: null });
        expectNoDataOfA(answer, path, path);
      }
      // The same filters as A do find A's objects: the filters are not wrong.
      const mine = await server.api('GET', `/api/v1/connected-accounts?entityId=${a.entityId}&labels=${a.labels[0]}`);
      expect(mine.body.items.map((item: { id: string }) => item.id)).toEqual([a.activeAccountId]);
      expect(await snapshot(server)).toEqual(before);
    });

    it("keeps project B's own objects apart from A's, even for the same entity id and app", async () => {
      const created = await server.api('POST', '/api/v1/connected-accounts', { app: 'openai', entityId: a.entityId, data: { apiKey: 'sk-project-b-key' }, validate: false }, keyB);
      expect(created.status).toBe(201);
      const idB = created.body.connectedAccountId;
      try {
        const entityB = await raw(server, 'GET', `/api/v1/entities/${a.entityId}`, { headers: { 'x-api-key': keyB } });
        expect(entityB.status).toBe(200);
        expect(entityB.body.connectedAccounts.map((c: { id: string }) => c.id)).toEqual([idB]);
        expectNoDataOfA(entityB, 'GET entity as B');
        const listB = await raw(server, 'GET', '/api/v1/connected-accounts', { headers: { 'x-api-key': keyB } });
        expect(listB.body.items.map((c: { id: string }) => c.id)).toEqual([idB]);
        expect(listB.body.items[0].integrationId).not.toBe(a.apiKeyIntegrationId);
        const integrationsB = await raw(server, 'GET', '/api/v1/integrations', { headers: { 'x-api-key': keyB } });
        expect(integrationsB.body.items).toHaveLength(1);
        expectNoDataOfA(integrationsB, 'GET integrations as B');
        // A's key does not reach B's account either.
        const fromA = await server.api('GET', `/api/v1/connected-accounts/${idB}/credentials`);
        expect(fromA.status).toBe(404);
        expect(JSON.stringify(fromA.body)).not.toContain('sk-project-b-key');
        // A still sees only its own three accounts for alice.
        const entityA = await server.api('GET', `/api/v1/entities/${a.entityId}`);
        expect(entityA.body.connectedAccounts.map((c: { id: string }) => c.id).sort()).toEqual(
          [a.activeAccountId, a.oauthAccountId, a.pendingApiKeyAccountId].sort(),
        );
      } finally {
        // B deletes its own entity: A's alice must survive it.
        const before = await snapshot(server);
        const deleted = await raw(server, 'DELETE', `/api/v1/entities/${a.entityId}`, { headers: { 'x-api-key': keyB } });
        expect(deleted.status).toBe(204);
        const after = await snapshot(server);
        expect(after.connected_accounts.filter((row) => String(row).includes(`"project_id":"${projectB}"`))).toEqual([]);
        for (const table of ['connected_accounts', 'connected_account_labels', 'connect_links', 'oauth_states'] as const) {
          expect(after[table].filter((row) => !String(row).includes(idB))).toEqual(before[table].filter((row) => !String(row).includes(idB)));
        }
        expect((await server.api('GET', `/api/v1/entities/${a.entityId}`)).status).toBe(200);
      }
    });
  });

  describe('API keys', () => {
    const probes = (): Array<[string, string]> => [
      ['GET', '/api/v1/connected-accounts'],
      ['GET', `/api/v1/connected-accounts/${a.activeAccountId}`],
      ['GET', `/api/v1/connected-accounts/${a.activeAccountId}/credentials`],
      ['DELETE', `/api/v1/connected-accounts/${a.activeAccountId}`],
      ['POST', `/api/v1/connected-accounts/${a.activeAccountId}/disable`],
      ['GET', `/api/v1/integrations/${a.apiKeyIntegrationId}`],
      ['DELETE', `/api/v1/integrations/${a.oauthIntegrationId}`],
      ['GET', `/api/v1/entities/${a.entityId}`],
      ['DELETE', `/api/v1/entities/${a.entityId}`],
      ['GET', '/api/v1/apps'],
    ];

    it.each([
      ['no key at all', {}],
      ['an empty x-api-key', { 'x-api-key': '' }],
      ['a wrong x-api-key', { 'x-api-key': 'not-a-real-key' }],
      ['a key one character off', { 'x-api-key': 'KEY_A_OFF_BY_ONE' }],
      ['a wrong bearer token', { authorization: 'Bearer not-a-real-key' }],
      ['an empty bearer token', { authorization: 'Bearer ' }],
      ['the key under another scheme', { authorization: 'Basic KEY_A' }],
      ['the key without a scheme', { authorization: 'KEY_A' }],
    ])('answers 401 with a problem to %s, on every route, and changes nothing', async (_name, headerTemplate) => {
      const offByOne = `${server.apiKey.slice(0, -1)}${server.apiKey.endsWith('x') ? 'y' : 'x'}`;
      const headers = Object.fromEntries(
        Object.entries(headerTemplate as Record<string, string>).map(([name, value]) => [name, value.replace('KEY_A_OFF_BY_ONE', offByOne).replace('KEY_A', server.apiKey)]),
      );
      const before = await snapshot(server);
      for (const [method, path] of probes()) {
        const answer = await raw(server, method, path, { headers });
        expect(answer.status, `${method} ${path}`).toBe(401);
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(answer.body.code).toBe('UNAUTHORIZED');
        expectNoDataOfA(answer, `${method} ${path} without a valid key`);
        // A 401 does not even echo the id asked about: nothing past the key check runs.
        expect(answer.text).not.toContain(path.split('/').pop()!);
      }
      expect(await snapshot(server)).toEqual(before);
    });

    it("opens project A with its key in Authorization: Bearer as with x-api-key", async () => {
      const viaHeader = await raw(server, 'GET', `/api/v1/connected-accounts/${a.activeAccountId}`, { headers: { 'x-api-key': server.apiKey } });
      const viaBearer = await raw(server, 'GET', `/api/v1/connected-accounts/${a.activeAccountId}`, { headers: { authorization: `Bearer ${server.apiKey}` } });
      expect(viaBearer.status).toBe(200);
      expect(viaBearer.body).toEqual(viaHeader.body);
      expect(viaBearer.body.labels).toEqual([...a.labels].sort());
      const credentials = await raw(server, 'GET', `/api/v1/connected-accounts/${a.activeAccountId}/credentials`, { headers: { authorization: `Bearer ${server.apiKey}` } });
      expect(credentials.status).toBe(200);
      expect(credentials.body.credentials.apiKey).toBe(a.userApiKey);
      // And project B's key works the same way, for B only.
      const bAsBearer = await raw(server, 'GET', `/api/v1/connected-accounts/${a.activeAccountId}`, { headers: { authorization: `Bearer ${keyB}` } });
      expect(bAsBearer.status).toBe(404);
      expectNoDataOfA(bAsBearer, 'B as bearer', a.activeAccountId);
    });

    it("does not let an Authorization header for A override project B's x-api-key", async () => {
      const answer = await raw(server, 'GET', `/api/v1/connected-accounts/${a.activeAccountId}/credentials`, {
        headers: { 'x-api-key': keyB, authorization: `Bearer ${server.apiKey}` },
      });
      // x-api-key decides: B's project, so A's account is not found.
      expect(answer.status).toBe(404);
      expectNoDataOfA(answer, 'B key with A bearer', a.activeAccountId);
      expect(answer.text).not.toContain(a.userApiKey);
    });

    it("does not echo a presented key in the 401 answer", async () => {
      const presented = 'presented-key-that-must-not-echo';
      const answer = await raw(server, 'GET', '/api/v1/connected-accounts', { headers: { 'x-api-key': presented } });
      expect(answer.status).toBe(401);
      expect(everythingSaid(answer)).not.toContain(presented);
    });
  });
});
