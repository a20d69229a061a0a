/**
 * Generated requests against every route of the Composio compatibility layer: none may answer a
 * 5xx, every refusal is a problem with a known code and Composio's `message`, and a refused
 * request changes nothing.
 */
import { ERROR_CODES } from '@authlink/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshot } from './support/database-snapshot.js';
import { KEY_APP, OAUTH_APP, startComposioFixture, type ComposioFixture } from './support/composio-fixture.js';

const RUNS = Math.ceil(Number(process.env.FUZZ_RUNS ?? 10_000) / 5);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_125);
const KNOWN_CODES = new Set(Object.keys(ERROR_CODES));

let fx: ComposioFixture;

beforeAll(async () => {
  fx = await startComposioFixture();
});

afterAll(async () => {
  await fx?.close();
});

describe('the Composio compatibility layer under generated requests', () => {
  it(`never answers a 5xx to ${RUNS} requests, and no refusal changes anything`, { timeout: 120_000 }, async () => {
    const pool = { integrations: new Set<string>(), accounts: new Set<string>() };
    const pick = (set: Set<string>, n: number, fallback: string) => [...set][n % Math.max(set.size, 1)] ?? fallback;
    const id = fc.oneof(
      fc.nat().map((n) => ({ kind: 'account' as const, n })),
      fc.nat().map((n) => ({ kind: 'integration' as const, n })),
      fc.string({ maxLength: 40 }).map((text) => ({ kind: 'text' as const, text })),
    );
    type Segment = { kind: 'account' | 'integration'; n: number } | { kind: 'text'; text: string };
    const resolve = (segment: Segment): string => {
      if (segment.kind === 'text') return encodeURIComponent(segment.text);
      return segment.kind === 'account' ? pick(pool.accounts, segment.n, 'ca_000000000aaaaaaaaaaaaaaaaaaaa') : pick(pool.integrations, segment.n, 'int_000000000aaaaaaaaaaaaaaaaaaa');
    };

    const value = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('', 'acme-keys', 'ACME-IDP', 'ak-fuzz', 'API_KEY', 'OAUTH2', 'SAML', 'http://app.example/cb', 'javascript:x', 'ACTIVE,FAILED', 'a,b,,c') },
      { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
      { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
    );
    const values = fc.dictionary(fc.constantFrom('api_key', 'generic_api_key', 'bearer_token', 'apiKey', 'workspace', 'status', 'client_id', 'client_secret', 'scopes', 'x'), value, { maxKeys: 4 });
    const app = fc.constantFrom(KEY_APP, OAUTH_APP, 'ACME-KEYS', 'no-such-app', 'bad app');
    const v1Initiate = fc.record(
      {
        app: fc.record({ uniqueKey: app, integrationId: fc.nat().map((n) => pick(pool.integrations, n, 'int_x')) }, { requiredKeys: [] }),
        config: fc.record({ authScheme: fc.constantFrom('API_KEY', 'OAUTH2', 'S2S_OAUTH2', 'CALCOM_AUTH'), integrationSecrets: values, useComposioAuth: fc.boolean() }, { requiredKeys: [] }),
        connection: fc.record({ entityId: value, initiateData: values, extra: fc.record({ redirectURL: value, labels: fc.array(value, { maxLength: 3 }) }, { requiredKeys: [] }) }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    );
    const v3Initiate = fc.record(
      {
        auth_config: fc.record({ id: fc.nat().map((n) => pick(pool.integrations, n, 'int_x')) }),
        connection: fc.record(
          { user_id: value, callback_url: value, state: fc.record({ authScheme: fc.constantFrom('API_KEY', 'OAUTH2', 'NO_AUTH'), val: values }), data: values, alias: value },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    );
    const authConfig = fc.record(
      {
        toolkit: fc.record({ slug: app }),
        auth_config: fc.record({ type: fc.constantFrom('use_custom_auth', 'use_composio_managed_auth', 'other'), authScheme: fc.constantFrom('API_KEY', 'OAUTH2', 'BASIC'), credentials: values }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(fc.constant(undefined), v1Initiate, v3Initiate, authConfig, fc.record({ enabled: value }), fc.object({ maxDepth: 2 }), fc.anything({ maxDepth: 1 }));
    const query = fc.dictionary(
      fc.constantFrom('user_uuid', 'entityId', 'appNames', 'labels', 'status', 'page', 'pageSize', 'showDisabled', 'user_ids', 'statuses', 'toolkit_slugs', 'cursor', 'limit', 'order_by', 'zz'),
      fc.oneof(value.map((v) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))), fc.integer({ min: -3, max: 2000 }).map(String)),
      { maxKeys: 3 },
    );
    const ROUTES: Array<[string, (id: string) => string]> = [
      ['POST', () => '/api/v2/connectedAccounts/initiateConnection'],
      ['POST', () => '/api/v1/connectedAccounts'],
      ['GET', () => '/api/v1/connectedAccounts'],
      ['GET', (x) => `/api/v1/connectedAccounts/${x}`],
      ['POST', (x) => `/api/v1/connectedAccounts/${x}/reinitiate`],
      ['POST', (x) => `/api/v1/connectedAccounts/${x}/disable`],
      ['POST', (x) => `/api/v1/connectedAccounts/${x}/enable`],
      ['DELETE', (x) => `/api/v1/connectedAccounts/${x}`],
      ['POST', () => '/api/v2/integrations/create'],
      ['POST', () => '/api/v2/integrations/get-or-create'],
      ['GET', () => '/api/v1/integrations'],
      ['GET', (x) => `/api/v1/integrations/${x}`],
      ['DELETE', (x) => `/api/v1/integrations/${x}`],
      ['GET', () => '/api/v1/apps'],
      ['GET', (x) => `/api/v1/apps/${x}`],
      ['POST', () => '/api/v3.1/connected_accounts'],
      ['POST', () => '/api/v3.1/connected_accounts/link'],
      ['GET', () => '/api/v3.1/connected_accounts'],
      ['GET', (x) => `/api/v3.1/connected_accounts/${x}`],
      ['PATCH', (x) => `/api/v3.1/connected_accounts/${x}/status`],
      ['POST', (x) => `/api/v3.1/connected_accounts/${x}/refresh`],
      ['DELETE', (x) => `/api/v3.1/connected_accounts/${x}`],
      ['POST', () => '/api/v3.1/auth_configs'],
      ['GET', () => '/api/v3.1/auth_configs'],
      ['GET', (x) => `/api/v3.1/auth_configs/${x}`],
      ['DELETE', (x) => `/api/v3.1/auth_configs/${x}`],
      ['GET', () => '/api/v3.1/toolkits'],
      ['GET', (x) => `/api/v3.1/toolkits/${x}`],
    ];
    // Bodies a route accepts, so that the fuzzer gets past validation and has things to work on.
    const fitted = (path: string, n: number): unknown => {
      const integration = pick(pool.integrations, n, 'int_x');
      if (path.endsWith('/initiateConnection')) return { app: { uniqueKey: KEY_APP }, config: { authScheme: 'API_KEY' }, connection: { entityId: `fuzz-${n % 5}`, initiateData: { api_key: `ak-${n}` } } };
      if (path === '/api/v3.1/connected_accounts') return { auth_config: { id: integration }, connection: { user_id: `fuzz-${n % 5}`, state: { authScheme: 'API_KEY', val: { api_key: `ak-${n}` } } } };
      if (path.endsWith('/link')) return { auth_config_id: integration, user_id: `fuzz-${n % 5}` };
      if (path === '/api/v3.1/auth_configs') return { toolkit: { slug: n % 2 === 0 ? KEY_APP : OAUTH_APP }, auth_config: { type: 'use_composio_managed_auth' } };
      if (path.startsWith('/api/v2/integrations')) return { app: { uniqueKey: KEY_APP } };
      if (path.endsWith('/status')) return { enabled: n % 2 === 0 };
      return undefined;
    };
    const request = fc.record({ route: fc.nat({ max: ROUTES.length - 1 }), id, body, fit: fc.option(fc.nat(), { freq: 2 }), query, form: fc.boolean() });

    const statuses = new Map<number, number>();
    let before = await snapshot(fx.server);
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const [method, path] = ROUTES[r.route]!;
        const search = new URLSearchParams(r.query);
        const url = `/compat/composio${path(resolve(r.id))}${search.size > 0 ? `?${search}` : ''}`;
        const headers: Record<string, string> = { 'x-api-key': fx.server.apiKey };
        let payload: string | undefined;
        const chosen = r.fit === null ? r.body : (fitted(path('x'), r.fit) ?? r.body);
        if (method !== 'GET' && chosen !== undefined) {
          headers['content-type'] = r.form && r.fit === null ? 'application/x-www-form-urlencoded' : 'application/json';
          payload = headers['content-type'] !== 'application/json' && typeof chosen === 'object' && chosen !== null ? new URLSearchParams(Object.entries(chosen).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : (JSON.stringify(v) ?? '')])).toString() : JSON.stringify(chosen);
        }
        const answer = await fx.server.app.inject({ method, url, headers, ...(payload !== undefined && { payload }) });
        statuses.set(answer.statusCode, (statuses.get(answer.statusCode) ?? 0) + 1);
        const where = `${method} ${url} ${payload ?? ''} -> ${answer.statusCode} ${answer.body.slice(0, 300)}`;
        expect(answer.statusCode, where).toBeLessThan(500);
        const after = await snapshot(fx.server);
        if (answer.statusCode >= 400) {
          expect(after, where).toEqual(before);
          const problem = JSON.parse(answer.body) as { code: string; status: number; detail: string; message: string };
          expect(KNOWN_CODES.has(problem.code), where).toBe(true);
          expect([problem.status, problem.message], where).toEqual([answer.statusCode, problem.detail]);
        } else {
          const json = JSON.parse(answer.body) as Record<string, unknown>;
          const created = [json.connectedAccountId, json.id, json.connected_account_id, (json.connectionResponse as { connectedAccountId?: unknown } | undefined)?.connectedAccountId];
          for (const value of created) if (typeof value === 'string' && value.startsWith('ca_')) pool.accounts.add(value);
          for (const value of [json.integrationId, json.id, (json.auth_config as { id?: unknown } | undefined)?.id]) {
            if (typeof value === 'string' && value.startsWith('int_')) pool.integrations.add(value);
          }
        }
        before = after;
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    console.log(`composio fuzz: ${RUNS} requests (seed ${SEED}); statuses ${[...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
    // It reached past validation too: some requests were accepted.
    expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
    expect(pool.accounts.size).toBeGreaterThan(0);
  });
});
