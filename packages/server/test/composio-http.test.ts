/**
 * The Composio compatibility layer at the HTTP level, for what the SDK suites cannot show: the
 * key in any header case, the problem shape both SDKs parse, refused input that changes nothing,
 * one project never seeing another's data, and the native API left as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshot } from './support/database-snapshot.js';
import { readAnswer } from './support/http-answer.js';
import { KEY_APP, OAUTH_APP, REFUSED_KEY, newUserId, startComposioFixture, type ComposioFixture } from './support/composio-fixture.js';
import { createProject } from './support/test-server.js';

let fx: ComposioFixture;
let keyConfigId: string;

async function call(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) {
  // Given headers replace the default key (a header name is case-insensitive: both would be sent as one).
  const headers: Record<string, string> = { ...(options.headers ?? { 'x-api-key': fx.server.apiKey }) };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${fx.baseUrl}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  return readAnswer(response);
}

beforeAll(async () => {
  fx = await startComposioFixture();
  const created = await call('POST', '/api/v3.1/auth_configs', { body: { toolkit: { slug: KEY_APP }, auth_config: { type: 'use_composio_managed_auth' } } });
  expect(created.status).toBe(201);
  keyConfigId = created.body.auth_config.id as string;
});

afterAll(async () => {
  await fx?.close();
});

describe('the Composio compatibility layer over HTTP', () => {
  it('takes the API key in x-api-key in any case, and answers 401 without a valid one', async () => {
    expect((await call('GET', '/api/v1/apps', { headers: { 'X-API-KEY': fx.server.apiKey } })).status).toBe(200);
    expect((await call('GET', '/api/v1/apps', { headers: { 'X-Api-Key': fx.server.apiKey } })).status).toBe(200);
    const missing = await call('GET', '/api/v1/apps', { headers: {} });
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('API key') });
    const wrong = await call('GET', '/api/v3.1/connected_accounts', { headers: { 'x-api-key': 'not-a-key' } });
    expect([wrong.status, wrong.body.code]).toEqual([401, 'UNAUTHORIZED']);
  });

  it("answers refused input with an RFC 9457 problem carrying the members Composio's clients read, tells them not to retry, and stores nothing", async () => {
    const before = await snapshot(fx.server);
    const refused = await call('POST', '/api/v3.1/connected_accounts', {
      body: { auth_config: { id: keyConfigId }, connection: { user_id: 'u', state: { authScheme: 'API_KEY', val: { status: 'ACTIVE', api_key: 42 } } } },
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.headers.get('x-should-retry')).toBe('false');
    expect(refused.body).toEqual({
      type: 'urn:authlink:error:VALIDATION_FAILED',
      title: 'The request is not valid',
      status: 400,
      code: 'VALIDATION_FAILED',
      detail: '/connection/state/val/api_key: must be a string',
      errors: [{ path: '/connection/state/val/api_key', message: 'must be a string' }],
      message: '/connection/state/val/api_key: must be a string',
      name: 'VALIDATION_FAILED',
      details: [{ path: '/connection/state/val/api_key', message: 'must be a string' }],
      error: { message: '/connection/state/val/api_key: must be a string', code: 'VALIDATION_FAILED', slug: 'VALIDATION_FAILED', status: 400 },
    });

    const cases: Array<[string, string, unknown, number, string]> = [
      ['an unknown member', '/api/v2/connectedAccounts/initiateConnection', { app: { uniqueKey: KEY_APP }, extra: 1 }, 400, 'VALIDATION_FAILED'],
      ['a secret authlink does not know', '/api/v2/integrations/create', { app: { uniqueKey: OAUTH_APP }, config: { integrationSecrets: { client_id: 'c', oauth_redirect_uri: 'x' } } }, 400, 'VALIDATION_FAILED'],
      ['a scheme authlink does not have', '/api/v2/integrations/create', { app: { uniqueKey: KEY_APP }, config: { authScheme: 'SAML' } }, 400, 'UNSUPPORTED_AUTH_SCHEME'],
      ['an alias (not supported)', '/api/v3.1/connected_accounts', { auth_config: { id: keyConfigId }, connection: { user_id: 'u', alias: 'work' } }, 400, 'VALIDATION_FAILED'],
      ['a proxy (not supported)', '/api/v3.1/auth_configs', { toolkit: { slug: KEY_APP }, auth_config: { type: 'use_composio_managed_auth', proxy_config: { proxy_url: 'https://p.example' } } }, 400, 'VALIDATION_FAILED'],
      ['a field the app does not have', '/api/v3.1/connected_accounts', { auth_config: { id: keyConfigId }, connection: { user_id: 'u', state: { authScheme: 'API_KEY', val: { access_token: 't' } } } }, 400, 'INVALID_FIELD'],
      ['a javascript: callback', '/api/v3.1/connected_accounts', { auth_config: { id: keyConfigId }, connection: { user_id: 'u', callback_url: 'javascript:alert(1)' } }, 400, 'INVALID_REDIRECT_URL'],
      ['an auth config that does not exist', '/api/v3.1/connected_accounts/link', { auth_config_id: 'int_0000000000000000000000000', user_id: 'u' }, 404, 'INTEGRATION_NOT_FOUND'],
    ];
    for (const [name, path, body, status, code] of cases) {
      const answer = await call('POST', path, { body });
      expect([name, answer.status, answer.body.code], JSON.stringify(answer.body)).toEqual([name, status, code]);
      expect(answer.body.message, name).toBe(answer.body.detail);
    }
    const listed = await call('GET', '/api/v3.1/connected_accounts?order_by=updated_at');
    expect([listed.status, listed.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    const bothEntities = await call('GET', '/api/v1/connectedAccounts?user_uuid=a&entityId=b');
    expect([bothEntities.status, bothEntities.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(await snapshot(fx.server)).toEqual(before);
  });

  it('skips the credential check with validate_credentials: false, as Composio clients ask for it', async () => {
    const checks = fx.keyChecks.length;
    const unchecked = await call('POST', '/api/v3.1/connected_accounts', {
      body: { auth_config: { id: keyConfigId }, connection: { user_id: newUserId('unchecked'), state: { authScheme: 'API_KEY', val: { api_key: REFUSED_KEY } } }, validate_credentials: false },
    });
    expect([unchecked.status, unchecked.body.status]).toEqual([201, 'ACTIVE']);
    expect(fx.keyChecks.length).toBe(checks);
    const checked = await call('POST', '/api/v3.1/connected_accounts', {
      body: { auth_config: { id: keyConfigId }, connection: { user_id: newUserId('checked'), state: { authScheme: 'API_KEY', val: { api_key: REFUSED_KEY } } } },
    });
    expect([checked.status, checked.body.code]).toEqual([400, 'CREDENTIALS_REJECTED']);
    expect(fx.keyChecks.length).toBe(checks + 1);
  });

  it('answers a Composio endpoint it does not offer with a 404 that says so', async () => {
    const answer = await call('POST', '/api/v3.1/tools/execute/GITHUB_GET_USER', { body: {} });
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining("Composio compatibility layer does not offer POST /compat/composio/api/v3.1/tools/execute") });
  });

  it("never shows one project another project's accounts or integrations", async () => {
    const user = newUserId('isolated');
    const started = await call('POST', '/api/v3.1/connected_accounts', {
      body: { auth_config: { id: keyConfigId }, connection: { user_id: user, state: { authScheme: 'API_KEY', val: { api_key: 'ak-isolated' } } } },
    });
    expect(started.status).toBe(201);
    const accountId = started.body.id as string;
    const other = await createProject(fx.server, 'other');
    const as = { headers: { 'x-api-key': other.apiKey } };
    for (const path of [`/api/v1/connectedAccounts/${accountId}`, `/api/v3.1/connected_accounts/${accountId}`, `/api/v1/integrations/${keyConfigId}`, `/api/v3.1/auth_configs/${keyConfigId}`]) {
      const answer = await call('GET', path, as);
      expect([path, answer.status], JSON.stringify(answer.body)).toEqual([path, 404]);
      expect(JSON.stringify(answer.body)).not.toContain(user);
    }
    expect((await call('PATCH', `/api/v3.1/connected_accounts/${accountId}/status`, { ...as, body: { enabled: false } })).status).toBe(404);
    expect((await call('DELETE', `/api/v1/connectedAccounts/${accountId}`, as)).status).toBe(404);
    expect((await call('GET', `/api/v3.1/connected_accounts?user_ids=${user}`, as)).body.items).toEqual([]);
    expect((await call('GET', `/api/v1/connectedAccounts?user_uuid=${user}`, as)).body.items).toEqual([]);
    expect((await call('GET', '/api/v3.1/auth_configs', as)).body.items).toEqual([]);
    // Untouched, and still there for its own project.
    expect((await call('GET', `/api/v3.1/connected_accounts/${accountId}`)).body).toMatchObject({ id: accountId, status: 'ACTIVE' });
  });

  it('leaves the native API as it was: its routes answer as before and its OpenAPI document lists none of the layer', async () => {
    const native = await fx.server.api('GET', `/api/v1/integrations/${keyConfigId}`);
    expect(native.body).toMatchObject({ id: keyConfigId, app: KEY_APP, authScheme: 'API_KEY' });
    expect(native.body.message).toBeUndefined();
    const openapi = await fetch(`${fx.server.url}/openapi.json`).then((r) => r.json() as Promise<{ paths: Record<string, unknown> }>);
    expect(Object.keys(openapi.paths).filter((p) => p.includes('compat'))).toEqual([]);
    const notFound = await fx.server.api('GET', '/api/v1/no-such-thing');
    expect(notFound.body.message).toBeUndefined();
  });
});
