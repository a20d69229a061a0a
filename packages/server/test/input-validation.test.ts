import { ERROR_CODES } from '@authlink/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, startTestServer, type TestServer } from './support/test-server.js';
import { snapshot } from './support/database-snapshot.js';
import { readAnswer } from './support/http-answer.js';

/**
 * Whatever a caller sends, the answer is a 2xx, or a 4xx RFC 9457 problem with a stable code that
 * changed nothing; never a 5xx.
 */


/** The stable client-error codes (error-codes.ts): a 4xx problem's code must be one of them. */
const KNOWN_CODES = new Set(Object.entries(ERROR_CODES).filter(([code, entry]) => entry.status < 500 || code === 'CREDENTIALS_UNVERIFIED').map(([code]) => code));

interface Answer {
  status: number;
  text: string;
  body: any;
  headers: Headers;
}

interface SendOptions {
  /** JSON-encoded unless `raw` is given. */
  body?: unknown;
  raw?: string | Buffer;
  contentType?: string;
  key?: string | null;
}

async function send(server: TestServer, method: string, path: string, options: SendOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.key !== null) headers['x-api-key'] = options.key ?? server.apiKey;
  let payload: string | Buffer | undefined;
  if (options.raw !== undefined) payload = options.raw;
  else if (options.body !== undefined) payload = JSON.stringify(options.body);
  if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  else if (options.contentType !== undefined) headers['content-type'] = options.contentType;
  const response = await fetch(`${server.url}${path}`, { method, headers, body: payload, redirect: 'manual' });
  return readAnswer(response);
}

function expectProblem(answer: Answer, status: number, code: string, where: string): void {
  expect(answer.status, `${where}: ${answer.text}`).toBe(status);
  expect(answer.headers.get('content-type'), where).toMatch(/^application\/problem\+json/);
  expect(answer.body.code, `${where}: ${answer.text}`).toBe(code);
  expect(answer.body.status, where).toBe(status);
  expect(answer.body.type, where).toEqual(expect.any(String));
  expect(answer.body.title, where).toEqual(expect.any(String));
  expect(answer.body.detail, where).toEqual(expect.any(String));
}

interface Ids {
  openai: string;
  stripe: string;
  oauth: string;
  sendgrid1: string;
  sendgrid2: string;
  activeAccount: string;
  initiatedOauthAccount: string;
  initiatedApiKeyAccount: string;
}

interface Case {
  name: string;
  method: string;
  path: (ids: Ids) => string;
  body?: (ids: Ids) => unknown;
  raw?: () => string | Buffer;
  contentType?: string;
  status: number;
  code: string;
  /** A path the problem's `errors` must point at, when the code has field problems. */
  errorPath?: string;
}

const INTEGRATIONS = '/api/v1/integrations';
const ACCOUNTS = '/api/v1/connected-accounts';
const OAUTH_CONFIG = { clientId: 'c', clientSecret: 's', authorizationUrl: 'http://127.0.0.1:9/authorize', tokenUrl: 'http://127.0.0.1:9/token' };
const HUGE = 'x'.repeat(300 * 1024);

const CASES: Case[] = [
  // Body framing.
  { name: 'malformed JSON', method: 'POST', path: () => INTEGRATIONS, raw: () => '{"app": "openai",', status: 400, code: 'VALIDATION_FAILED' },
  { name: 'JSON with a trailing comma', method: 'POST', path: () => ACCOUNTS, raw: () => '{"app": "openai", }', status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a JSON string instead of an object', method: 'POST', path: () => INTEGRATIONS, raw: () => '"openai"', status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a JSON array instead of an object', method: 'POST', path: () => ACCOUNTS, raw: () => '[{"app":"openai"}]', status: 400, code: 'VALIDATION_FAILED' },
  { name: 'JSON null as the body', method: 'POST', path: () => INTEGRATIONS, raw: () => 'null', status: 400, code: 'VALIDATION_FAILED' },
  { name: 'an empty body declared as JSON', method: 'POST', path: () => INTEGRATIONS, raw: () => '', status: 400, code: 'VALIDATION_FAILED' },
  { name: 'no body at all on create', method: 'POST', path: () => INTEGRATIONS, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a __proto__ key', method: 'POST', path: () => INTEGRATIONS, raw: () => '{"app":"openai","__proto__":{"admin":true}}', status: 400, code: 'VALIDATION_FAILED' },
  // Fastify parses text/plain into a string, which the object schema then refuses.
  { name: 'text/plain content', method: 'POST', path: () => INTEGRATIONS, raw: () => 'app=openai', contentType: 'text/plain', status: 400, code: 'VALIDATION_FAILED' },
  { name: 'text/plain content on a label update', method: 'PATCH', path: (ids) => `${ACCOUNTS}/${ids.activeAccount}`, raw: () => '{"labels":[]}', contentType: 'text/plain', status: 400, code: 'VALIDATION_FAILED' },
  { name: 'XML content', method: 'POST', path: () => ACCOUNTS, raw: () => '<app>openai</app>', contentType: 'application/xml', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  {
    name: 'a JSON body over 256 KiB',
    method: 'POST',
    path: () => ACCOUNTS,
    raw: () => JSON.stringify({ app: 'openai', data: { apiKey: `sk-${HUGE}` } }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'a form body over 64 KiB',
    method: 'POST',
    path: () => INTEGRATIONS,
    raw: () => `app=openai&name=${'n'.repeat(70 * 1024)}`,
    contentType: 'application/x-www-form-urlencoded',
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },

  // Unknown properties.
  { name: 'an unknown property on an integration', method: 'POST', path: () => INTEGRATIONS, body: () => ({ app: 'openai', admin: true }), status: 400, code: 'VALIDATION_FAILED', errorPath: '/body/admin' },
  {
    name: 'an unknown authConfig property',
    method: 'POST',
    path: () => INTEGRATIONS,
    body: () => ({ app: 'github', authConfig: { clientId: 'c', clientSecretHash: 'x' } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    errorPath: '/body/authConfig/clientSecretHash',
  },
  {
    name: 'an unknown property on initiate',
    method: 'POST',
    path: () => ACCOUNTS,
    body: (ids) => ({ integrationId: ids.openai, status: 'ACTIVE', data: { apiKey: 'sk-x' } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    errorPath: '/body/status',
  },
  { name: 'a status sent with new labels', method: 'PATCH', path: (ids) => `${ACCOUNTS}/${ids.initiatedOauthAccount}`, body: () => ({ labels: ['x'], status: 'ACTIVE' }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'an authScheme change on an integration', method: 'PATCH', path: (ids) => `${INTEGRATIONS}/${ids.openai}`, body: () => ({ authScheme: 'BASIC' }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'an unknown property on reinitiate', method: 'POST', path: (ids) => `${ACCOUNTS}/${ids.initiatedApiKeyAccount}/reinitiate`, body: () => ({ entityId: 'bob' }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'an unknown query parameter', method: 'GET', path: () => `${ACCOUNTS}?projectId=p_1`, status: 400, code: 'VALIDATION_FAILED' },

  // Wrong types.
  { name: 'an object as the app', method: 'POST', path: () => INTEGRATIONS, body: () => ({ app: { key: 'openai' } }), status: 400, code: 'VALIDATION_FAILED', errorPath: '/body/app' },
  // Scalars are coerced by Fastify's Ajv (coerceTypes: 'array'); an array of two strings cannot be.
  { name: 'two apps in an array', method: 'POST', path: () => INTEGRATIONS, body: () => ({ app: ['openai', 'stripe'] }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'null as the app', method: 'POST', path: () => INTEGRATIONS, body: () => ({ app: null }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'objects as labels', method: 'POST', path: () => ACCOUNTS, body: (ids) => ({ integrationId: ids.openai, labels: [{ a: 1 }] }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a number map as data', method: 'POST', path: () => ACCOUNTS, body: (ids) => ({ integrationId: ids.openai, data: { apiKey: { nested: 'sk-x' } } }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'an array as authConfig', method: 'POST', path: () => INTEGRATIONS, body: () => ({ app: 'github', authConfig: ['c', 's'] }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a word as pkce', method: 'POST', path: () => INTEGRATIONS, body: () => ({ app: 'github', authConfig: { clientId: 'c', pkce: 'maybe' } }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'two entity ids', method: 'POST', path: () => ACCOUNTS, body: (ids) => ({ integrationId: ids.openai, entityId: ['a', 'b'] }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'labels as an object', method: 'PATCH', path: (ids) => `${ACCOUNTS}/${ids.activeAccount}`, body: () => ({ labels: { 0: 'x' } }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'no labels on a label update', method: 'PATCH', path: (ids) => `${ACCOUNTS}/${ids.activeAccount}`, body: () => ({}), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'an empty label', method: 'PATCH', path: (ids) => `${ACCOUNTS}/${ids.activeAccount}`, body: () => ({ labels: [''] }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a label with a control character', method: 'PATCH', path: (ids) => `${ACCOUNTS}/${ids.activeAccount}`, body: () => ({ labels: ['a\u0000b'] }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a 65-character label', method: 'PATCH', path: (ids) => `${ACCOUNTS}/${ids.activeAccount}`, body: () => ({ labels: ['l'.repeat(65)] }), status: 400, code: 'VALIDATION_FAILED' },
  { name: '33 labels', method: 'PATCH', path: (ids) => `${ACCOUNTS}/${ids.activeAccount}`, body: () => ({ labels: Array.from({ length: 33 }, (_, i) => `l${i}`) }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a 257-character entity id', method: 'POST', path: () => ACCOUNTS, body: (ids) => ({ integrationId: ids.openai, entityId: 'e'.repeat(257) }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'an entity id with a slash', method: 'POST', path: () => ACCOUNTS, body: (ids) => ({ integrationId: ids.openai, entityId: 'a/b' }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a data value over 8192 characters', method: 'POST', path: () => ACCOUNTS, body: (ids) => ({ integrationId: ids.openai, data: { apiKey: `sk-${'k'.repeat(8200)}` } }), status: 400, code: 'VALIDATION_FAILED' },
  // The schema's key pattern is not enforced (TypeBox Record → patternProperties only); the
  // scheme's field check refuses the name instead.
  { name: 'a data field name with a dot', method: 'POST', path: () => ACCOUNTS, body: (ids) => ({ integrationId: ids.openai, data: { 'api.key': 'sk-x' } }), status: 400, code: 'INVALID_FIELD', errorPath: '/data/api.key' },
  { name: 'a data field named constructor', method: 'POST', path: () => ACCOUNTS, body: (ids) => ({ integrationId: ids.openai, data: { constructor: 'sk-x' } }), status: 400, code: 'INVALID_FIELD' },
  { name: 'a badly formed integrationId in the body', method: 'POST', path: () => ACCOUNTS, body: () => ({ integrationId: 'INT-1' }), status: 400, code: 'VALIDATION_FAILED', errorPath: '/body/integrationId' },
  { name: 'an app key with capitals', method: 'POST', path: () => INTEGRATIONS, body: () => ({ app: 'OpenAI' }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'an unknown auth scheme name', method: 'POST', path: () => INTEGRATIONS, body: () => ({ app: 'openai', authScheme: 'PASSWORD' }), status: 400, code: 'VALIDATION_FAILED' },

  // Missing what is required.
  { name: 'initiate with neither integrationId nor app', method: 'POST', path: () => ACCOUNTS, body: () => ({ entityId: 'alice' }), status: 400, code: 'VALIDATION_FAILED', errorPath: '/integrationId' },
  { name: 'initiate with an empty body', method: 'POST', path: () => ACCOUNTS, body: () => ({}), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'an integration without app', method: 'POST', path: () => INTEGRATIONS, body: () => ({ name: 'x' }), status: 400, code: 'VALIDATION_FAILED', errorPath: '/body/app' },
  { name: 'an app that is not in the catalog, without authConfig', method: 'POST', path: () => ACCOUNTS, body: () => ({ app: 'not-in-the-catalog' }), status: 400, code: 'UNKNOWN_APP' },
  { name: 'an OAUTH2 integration without clientId', method: 'POST', path: () => INTEGRATIONS, body: () => ({ app: 'github' }), status: 400, code: 'INTEGRATION_CONFIG_INVALID', errorPath: '/authConfig/clientId' },
  { name: 'an OAUTH2 integration with a secret but no clientId', method: 'POST', path: () => INTEGRATIONS, body: () => ({ app: 'github', authConfig: { clientSecret: 's' } }), status: 400, code: 'INTEGRATION_CONFIG_INVALID' },
  { name: 'a new app without endpoints', method: 'POST', path: () => INTEGRATIONS, body: () => ({ app: 'brand-new-app', authConfig: { clientId: 'c' } }), status: 400, code: 'INTEGRATION_CONFIG_INVALID' },
  { name: 'initiating on a new app without endpoints', method: 'POST', path: () => ACCOUNTS, body: () => ({ app: 'brand-new-app', authConfig: { clientId: 'c' } }), status: 400, code: 'INTEGRATION_CONFIG_INVALID' },
  {
    name: 'a javascript: token URL',
    method: 'POST',
    path: () => INTEGRATIONS,
    body: () => ({ app: 'brand-new-app', authConfig: { ...OAUTH_CONFIG, tokenUrl: 'javascript:alert(1)' } }),
    status: 400,
    code: 'INTEGRATION_CONFIG_INVALID',
    errorPath: '/authConfig/tokenUrl',
  },
  { name: 'an issuer on an API_KEY integration', method: 'POST', path: () => INTEGRATIONS, body: () => ({ app: 'openai', authConfig: { issuer: 'http://127.0.0.1:9' } }), status: 400, code: 'INTEGRATION_CONFIG_INVALID' },
  { name: 'an issuer that does not answer', method: 'POST', path: () => INTEGRATIONS, body: () => ({ app: 'my-oidc', authConfig: { clientId: 'c', issuer: 'http://127.0.0.1:9' } }), status: 400, code: 'DISCOVERY_FAILED' },
  { name: 'an issuer that is not a URL', method: 'POST', path: () => INTEGRATIONS, body: () => ({ app: 'my-oidc', authConfig: { clientId: 'c', issuer: 'not a url' } }), status: 400, code: 'DISCOVERY_FAILED' },
  { name: 'an issuer that does not answer, on initiate', method: 'POST', path: () => ACCOUNTS, body: () => ({ app: 'my-oidc', authConfig: { clientId: 'c', issuer: 'http://127.0.0.1:9' } }), status: 400, code: 'DISCOVERY_FAILED' },
  { name: 'an issuer that does not answer, on update', method: 'PATCH', path: (ids) => `${INTEGRATIONS}/${ids.oauth}`, body: () => ({ authConfig: { issuer: 'http://127.0.0.1:9' } }), status: 400, code: 'DISCOVERY_FAILED' },
  { name: 'a javascript: URL on update', method: 'PATCH', path: (ids) => `${INTEGRATIONS}/${ids.oauth}`, body: () => ({ authConfig: { authorizationUrl: 'javascript:alert(1)' } }), status: 400, code: 'INTEGRATION_CONFIG_INVALID' },

  // Redirect URLs.
  ...['javascript:alert(1)', '/relative/path', 'relative', '//evil.example.com/x', 'https://user:pass@example.com/', 'https://user@example.com/', 'data:text/html,<script>alert(1)</script>', 'ftp://example.com/', 'file:///etc/passwd'].map(
    (redirectUrl): Case => ({
      name: `the redirect URL ${redirectUrl}`,
      method: 'POST',
      path: () => ACCOUNTS,
      body: (ids) => ({ integrationId: ids.oauth, redirectUrl }),
      status: 400,
      code: 'INVALID_REDIRECT_URL',
      errorPath: '/redirectUrl',
    }),
  ),
  { name: 'a javascript: redirect URL on reinitiate', method: 'POST', path: (ids) => `${ACCOUNTS}/${ids.initiatedOauthAccount}/reinitiate`, body: () => ({ redirectUrl: 'javascript:alert(1)' }), status: 400, code: 'INVALID_REDIRECT_URL' },
  { name: 'a redirect URL with credentials on reinitiate', method: 'POST', path: (ids) => `${ACCOUNTS}/${ids.initiatedOauthAccount}/reinitiate`, body: () => ({ redirectUrl: 'https://u:p@example.com' }), status: 400, code: 'INVALID_REDIRECT_URL' },
  { name: 'a javascript: redirect URL even with app', method: 'POST', path: () => ACCOUNTS, body: () => ({ app: 'openai', redirectUrl: 'javascript:alert(1)', data: { apiKey: 'sk-x' } }), status: 400, code: 'INVALID_REDIRECT_URL' },

  // Field values.
  { name: 'an unknown data field', method: 'POST', path: () => ACCOUNTS, body: (ids) => ({ integrationId: ids.openai, data: { apiKey: 'sk-valid', region: 'eu' } }), status: 400, code: 'INVALID_FIELD', errorPath: '/data/region' },
  { name: 'an unknown connectedAccountParams field', method: 'POST', path: () => ACCOUNTS, body: (ids) => ({ integrationId: ids.openai, connectedAccountParams: { token: 'x' } }), status: 400, code: 'INVALID_FIELD' },
  { name: 'a Stripe key not matching its pattern', method: 'POST', path: () => ACCOUNTS, body: (ids) => ({ integrationId: ids.stripe, data: { apiKey: 'pk_live_abc' } }), status: 400, code: 'INVALID_FIELD', errorPath: '/data/apiKey' },
  { name: 'a Stripe key with a newline', method: 'POST', path: () => ACCOUNTS, body: (ids) => ({ integrationId: ids.stripe, data: { apiKey: 'sk_live_abc\nX' } }), status: 400, code: 'INVALID_FIELD' },
  { name: 'an OpenAI key not matching its pattern', method: 'POST', path: () => ACCOUNTS, body: () => ({ app: 'openai', data: { apiKey: 'not-a-key' } }), status: 400, code: 'INVALID_FIELD' },
  { name: 'a Shopify shop that is not a subdomain', method: 'POST', path: () => ACCOUNTS, body: () => ({ app: 'shopify', authScheme: 'API_KEY', authConfig: {}, data: { shop: 'evil.com/x', apiKey: 'shpat_x' } }), status: 400, code: 'INVALID_FIELD' },
  { name: 'a bad key on reinitiate', method: 'POST', path: (ids) => `${ACCOUNTS}/${ids.initiatedApiKeyAccount}/reinitiate`, body: () => ({ data: { apiKey: 'nope' } }), status: 400, code: 'INVALID_FIELD' },

  // Auth schemes.
  { name: 'BASIC for an app that only has API_KEY', method: 'POST', path: () => INTEGRATIONS, body: () => ({ app: 'openai', authScheme: 'BASIC' }), status: 400, code: 'UNSUPPORTED_AUTH_SCHEME' },
  { name: 'API_KEY for an OAuth-only app', method: 'POST', path: () => INTEGRATIONS, body: () => ({ app: 'gmail', authScheme: 'API_KEY' }), status: 400, code: 'UNSUPPORTED_AUTH_SCHEME' },
  { name: 'OAUTH1 for an app that does not offer it', method: 'POST', path: () => INTEGRATIONS, body: () => ({ app: 'openai', authScheme: 'OAUTH1' }), status: 400, code: 'UNSUPPORTED_AUTH_SCHEME' },
  { name: 'BASIC when initiating on an app', method: 'POST', path: () => ACCOUNTS, body: () => ({ app: 'stripe', authScheme: 'BASIC', authConfig: {} }), status: 400, code: 'UNSUPPORTED_AUTH_SCHEME' },
  { name: 'another scheme than the integration’s', method: 'POST', path: () => ACCOUNTS, body: (ids) => ({ integrationId: ids.openai, authScheme: 'OAUTH2' }), status: 400, code: 'UNSUPPORTED_AUTH_SCHEME' },
  { name: 'another app than the integration’s', method: 'POST', path: () => ACCOUNTS, body: (ids) => ({ integrationId: ids.openai, app: 'stripe' }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'an app with two integrations and no integrationId', method: 'POST', path: () => ACCOUNTS, body: () => ({ app: 'sendgrid', data: { apiKey: 'SG.x' } }), status: 400, code: 'AMBIGUOUS_INTEGRATION' },

  // Ids in paths.
  ...[
    ['capitals', `${ACCOUNTS}/CA_123`],
    ['a dash', `${ACCOUNTS}/ca-123`],
    ['no prefix', `${ACCOUNTS}/123`],
    ['65 characters', `${ACCOUNTS}/ca_${'a'.repeat(62)}`],
    ['an SQL quote', `${ACCOUNTS}/ca_1'%20OR%20'1'%3D'1`],
    ['a NUL byte', `${ACCOUNTS}/ca_1%00`],
    ['a space', `${ACCOUNTS}/ca_1%20`],
    ['unicode', `${ACCOUNTS}/ca_%C3%A9`],
    ['a bad id on credentials', `${ACCOUNTS}/NOPE/credentials`],
    ['a bad integration id', `${INTEGRATIONS}/int-1`],
    ['an SQL wildcard integration id', `${INTEGRATIONS}/int_%25`],
    ['an entity id with a control character', '/api/v1/entities/al%01ice'],
    ['an entity id with DEL', '/api/v1/entities/al%7Fice'],
    ['an encoded slash in an entity id', '/api/v1/entities/a%2Fb'],
    ['an app key with capitals', '/api/v1/apps/GitHub'],
  ].map(([what, path]): Case => ({ name: `a path id with ${what}`, method: 'GET', path: () => path!, status: 400, code: 'VALIDATION_FAILED' })),
  { name: 'a bad id on disable', method: 'POST', path: () => `${ACCOUNTS}/x/disable`, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a bad id on delete', method: 'DELETE', path: () => `${INTEGRATIONS}/DROP%20TABLE`, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a well-formed account id that does not exist', method: 'GET', path: () => `${ACCOUNTS}/ca_000000000aaaaaaaaaaaaaaaaaaaa`, status: 404, code: 'CONNECTED_ACCOUNT_NOT_FOUND' },
  { name: 'a well-formed integration id that does not exist', method: 'DELETE', path: () => `${INTEGRATIONS}/int_000000000aaaaaaaaaaaaaaaaaaaa`, status: 404, code: 'INTEGRATION_NOT_FOUND' },
  { name: 'an entity that does not exist', method: 'DELETE', path: () => '/api/v1/entities/nobody', status: 404, code: 'ENTITY_NOT_FOUND' },
  { name: 'an app that is not in the catalog', method: 'GET', path: () => '/api/v1/apps/no-such-app', status: 404, code: 'APP_NOT_FOUND' },
  { name: 'a route that does not exist', method: 'GET', path: () => '/api/v1/nothing-here', status: 404, code: 'NOT_FOUND' },
  { name: 'a method a route does not have', method: 'PUT', path: (ids) => `${INTEGRATIONS}/${ids.openai}`, body: () => ({ name: 'x' }), status: 404, code: 'NOT_FOUND' },

  // Queries.
  { name: 'an unknown status filter', method: 'GET', path: () => `${ACCOUNTS}?status=BOGUS`, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a lowercase status filter', method: 'GET', path: () => `${ACCOUNTS}?status=active`, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'limit 0', method: 'GET', path: () => `${ACCOUNTS}?limit=0`, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'limit 1000', method: 'GET', path: () => `${ACCOUNTS}?limit=1000`, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'limit 201', method: 'GET', path: () => `${INTEGRATIONS}?limit=201`, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a negative limit', method: 'GET', path: () => `${INTEGRATIONS}?limit=-1`, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a fractional limit', method: 'GET', path: () => `${ACCOUNTS}?limit=2.5`, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a word as limit', method: 'GET', path: () => `${ACCOUNTS}?limit=ten`, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'limit 0 on apps', method: 'GET', path: () => '/api/v1/apps?limit=0', status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a garbage cursor', method: 'GET', path: () => `${ACCOUNTS}?cursor=!!garbage!!`, status: 400, code: 'VALIDATION_FAILED', errorPath: '/cursor' },
  { name: 'a cursor that decodes to text', method: 'GET', path: () => `${ACCOUNTS}?cursor=${Buffer.from("x' OR 1=1 --").toString('base64url')}`, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a garbage cursor on integrations', method: 'GET', path: () => `${INTEGRATIONS}?cursor=%F0%9F%92%A9`, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a 257-character cursor', method: 'GET', path: () => `${ACCOUNTS}?cursor=${'Y'.repeat(257)}`, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a bad integrationId filter', method: 'GET', path: () => `${ACCOUNTS}?integrationId=nope`, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a bad app filter', method: 'GET', path: () => `${INTEGRATIONS}?app=Git%20Hub`, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'an empty label filter', method: 'GET', path: () => `${ACCOUNTS}?labels=`, status: 400, code: 'VALIDATION_FAILED' },
  { name: '33 label filters', method: 'GET', path: () => `${ACCOUNTS}?${Array.from({ length: 33 }, (_, i) => `labels=l${i}`).join('&')}`, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a word as includeRefreshToken', method: 'GET', path: (ids) => `${ACCOUNTS}/${ids.activeAccount}/credentials?includeRefreshToken=please`, status: 400, code: 'VALIDATION_FAILED' },

  // States.
  { name: 'disabling an INITIATED account', method: 'POST', path: (ids) => `${ACCOUNTS}/${ids.initiatedOauthAccount}/disable`, status: 409, code: 'INVALID_STATE_TRANSITION' },
  { name: 'enabling an INITIATED account', method: 'POST', path: (ids) => `${ACCOUNTS}/${ids.initiatedApiKeyAccount}/enable`, status: 409, code: 'INVALID_STATE_TRANSITION' },
  { name: 'reinitiating an ACTIVE account', method: 'POST', path: (ids) => `${ACCOUNTS}/${ids.activeAccount}/reinitiate`, body: () => ({}), status: 409, code: 'INVALID_STATE_TRANSITION' },
  { name: 'the credentials of an INITIATED OAuth account', method: 'GET', path: (ids) => `${ACCOUNTS}/${ids.initiatedOauthAccount}/credentials`, status: 409, code: 'CONNECTION_NOT_ACTIVE' },
  { name: 'the credentials of an INITIATED API-key account', method: 'GET', path: (ids) => `${ACCOUNTS}/${ids.initiatedApiKeyAccount}/credentials`, status: 409, code: 'CONNECTION_NOT_ACTIVE' },
  { name: 'refreshing an INITIATED account', method: 'POST', path: (ids) => `${ACCOUNTS}/${ids.initiatedOauthAccount}/refresh`, status: 409, code: 'CONNECTION_NOT_ACTIVE' },
  { name: 'deleting an integration that has accounts', method: 'DELETE', path: (ids) => `${INTEGRATIONS}/${ids.openai}`, status: 409, code: 'INTEGRATION_IN_USE' },
  { name: 'deleting an OAuth integration that has accounts', method: 'DELETE', path: (ids) => `${INTEGRATIONS}/${ids.oauth}`, status: 409, code: 'INTEGRATION_IN_USE' },

  // Keys.
  { name: 'no API key', method: 'POST', path: () => INTEGRATIONS, body: () => ({ app: 'openai' }), status: 401, code: 'UNAUTHORIZED' },
];

describe('input validation', () => {
  let server: TestServer;
  const ids = {} as Ids;

  beforeAll(async () => {
    server = await startTestServer({ logLevel: 'warn' });
    const create = async (body: unknown) => {
      const answer = await server.api('POST', INTEGRATIONS, body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      return answer.body.id as string;
    };
    ids.openai = await create({ app: 'openai' });
    ids.stripe = await create({ app: 'stripe' });
    ids.oauth = await create({ app: 'private-oauth-app', authConfig: OAUTH_CONFIG });
    ids.sendgrid1 = await create({ app: 'sendgrid', name: 'one' });
    ids.sendgrid2 = await create({ app: 'sendgrid', name: 'two' });
    const initiate = async (body: unknown, status: string) => {
      const answer = await server.api('POST', ACCOUNTS, body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      expect(answer.body.connectionStatus).toBe(status);
      return answer.body.connectedAccountId as string;
    };
    ids.activeAccount = await initiate({ integrationId: ids.openai, entityId: 'alice', labels: ['work'], data: { apiKey: 'sk-active' }, validate: false }, 'ACTIVE');
    ids.initiatedOauthAccount = await initiate({ integrationId: ids.oauth, entityId: 'alice', redirectUrl: 'https://app.example.com/done' }, 'INITIATED');
    ids.initiatedApiKeyAccount = await initiate({ integrationId: ids.openai, entityId: 'bob' }, 'INITIATED');
  });

  afterAll(async () => {
    await server?.close();
  });

  it.each(CASES.map((c) => [c.name, c] as const))('refuses %s with a stable problem and changes nothing', async (_name, c) => {
    const before = await snapshot(server);
    const answer = await send(server, c.method, c.path(ids), {
      ...(c.body && { body: c.body(ids) }),
      ...(c.raw && { raw: c.raw() }),
      ...(c.contentType && { contentType: c.contentType }),
      ...(c.code === 'UNAUTHORIZED' && { key: null }),
    });
    expectProblem(answer, c.status, c.code, c.name);
    if (c.errorPath !== undefined) {
      expect(answer.body.errors, answer.text).toEqual(expect.arrayContaining([expect.objectContaining({ path: c.errorPath })]));
    }
    expect(await snapshot(server)).toEqual(before);
  });

  it('never echoes a rejected secret value in a problem', async () => {
    const secret = 'pk_live_this_is_a_secret_value_123';
    const answer = await send(server, 'POST', ACCOUNTS, { body: { integrationId: ids.stripe, data: { apiKey: secret } } });
    expectProblem(answer, 400, 'INVALID_FIELD', 'bad stripe key');
    expect(answer.text).not.toContain(secret);
  });

  it('accepts the valid forms of what the cases refuse (the refusals are about the input)', async () => {
    // A valid Stripe key, a valid redirect URL and a valid page size on the same integrations.
    const ok = await send(server, 'POST', ACCOUNTS, {
      body: { integrationId: ids.stripe, entityId: 'valid-forms', redirectUrl: 'https://app.example.com/done?x=1', data: { apiKey: 'rk_test_abc123' }, validate: false },
    });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.connectionStatus).toBe('ACTIVE');
    expect((await send(server, 'GET', `${ACCOUNTS}?limit=1`)).status).toBe(200);
    expect((await send(server, 'GET', `${ACCOUNTS}?limit=200&status=ACTIVE`)).status).toBe(200);
    expect((await send(server, 'DELETE', '/api/v1/entities/valid-forms')).status).toBe(204);
  });

  it('reinitiates an account when POST /reinitiate carries no body', async () => {
    const answer = await send(server, 'POST', `${ACCOUNTS}/${ids.initiatedApiKeyAccount}/reinitiate`);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.connectionStatus).toBe('INITIATED');
  });

  it('refuses an authConfig endpoint URL that cannot be parsed', async () => {
    const before = await snapshot(server);
    const answer = await send(server, 'POST', INTEGRATIONS, {
      body: { app: 'unparseable-url-app', authConfig: { ...OAUTH_CONFIG, authorizationUrl: 'http://[bad', tokenUrl: 'http://[bad' } },
    });
    expectProblem(answer, 400, 'INTEGRATION_CONFIG_INVALID', 'unparseable URL');
    expect(await snapshot(server)).toEqual(before);
  });

  it('never answers the connect link of a caller-configured integration with a 5xx', async () => {
    const statuses: number[] = [];
    for (const authorizationUrl of ['http://127.0.0.1:9/{tenant}/authorize', 'http://[bad']) {
      const integration = await send(server, 'POST', INTEGRATIONS, { body: { app: `templated-${statuses.length}`, authConfig: { ...OAUTH_CONFIG, authorizationUrl } } });
      if (integration.status !== 201) {
        statuses.push(integration.status);
        continue;
      }
      const started = await send(server, 'POST', ACCOUNTS, { body: { integrationId: integration.body.id } });
      expect(started.status).toBe(201);
      const link = await fetch(started.body.redirectUrl, { redirect: 'manual' });
      await link.text();
      statuses.push(link.status);
    }
    for (const status of statuses) expect(status).toBeLessThan(500);
  });

  it.each([
    ['a bad percent-encoding in a path', '/api/v1/entities/%E0%A4%A'],
    ['a lone percent sign in a path', '/api/v1/apps/%'],
    ['a 257-character entity id in a path', `/api/v1/entities/${'e'.repeat(257)}`],
    ['a 300-character connect token', `/connect/${'t'.repeat(300)}`],
  ])('answers %s with a problem document', async (_name, path) => {
    const answer = await send(server, 'GET', path);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(KNOWN_CODES.has(answer.body.code)).toBe(true);
  });

  it.each([
    ['malformed JSON', 'application/json', '{bad'],
    ['no content type', undefined, 'apiKey=sk-x'],
    ['an XML body', 'application/xml', '<apiKey>sk-x</apiKey>'],
    ['a form body over 64 KiB', 'application/x-www-form-urlencoded', `apiKey=${'x'.repeat(70 * 1024)}`],
  ])('answers a body it cannot parse on the connect form (%s) with a 4xx page', async (_name, contentType, payload) => {
    const before = await snapshot(server);
    const answer = await server.app.inject({ method: 'POST', url: '/connect/not-a-real-token', payload, headers: contentType ? { 'content-type': contentType } : {} });
    expect(answer.statusCode).toBeGreaterThanOrEqual(400);
    expect(answer.statusCode).toBeLessThan(500);
    expect(await snapshot(server)).toEqual(before);
  });

  describe('paging', () => {
    it('pages 7 accounts with limit=3 as 3, 3, 1, newest first, without duplicates, ending with a null cursor', async () => {
      const created: string[] = [];
      for (let i = 0; i < 7; i += 1) {
        // A second between creations: ids (and so the order) are time-based.
        server.advance(1);
        const answer = await server.api('POST', ACCOUNTS, { integrationId: ids.openai, entityId: 'pager', labels: [`n${i}`], data: { apiKey: `sk-page-${i}` }, validate: false });
        expect(answer.status).toBe(201);
        created.push(answer.body.connectedAccountId);
      }
      const pages: Array<Array<{ id: string; createdAt: string }>> = [];
      const cursors: Array<string | null> = [];
      let cursor: string | null = null;
      do {
        const query: string = `entityId=pager&limit=3${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
        const page = await server.api('GET', `${ACCOUNTS}?${query}`);
        expect(page.status).toBe(200);
        pages.push(page.body.items);
        cursor = page.body.nextCursor;
        cursors.push(cursor);
        expect(pages.length).toBeLessThanOrEqual(3);
      } while (cursor !== null);

      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(cursors[0]).toEqual(expect.any(String));
      expect(cursors[1]).toEqual(expect.any(String));
      expect(cursors[2]).toBeNull();
      const seen = pages.flat().map((item) => item.id);
      expect(new Set(seen).size).toBe(7);
      expect(seen).toEqual([...created].reverse());
      const times = pages.flat().map((item) => Date.parse(item.createdAt));
      for (let i = 1; i < times.length; i += 1) expect(times[i]!).toBeLessThan(times[i - 1]!);

      // The same walk over every filter-less page never repeats an account either.
      const all: string[] = [];
      let next: string | null = null;
      do {
        const page = await server.api('GET', `${ACCOUNTS}?limit=3${next === null ? '' : `&cursor=${encodeURIComponent(next)}`}`);
        all.push(...page.body.items.map((item: { id: string }) => item.id));
        next = page.body.nextCursor;
      } while (next !== null);
      expect(new Set(all).size).toBe(all.length);
      for (const id of created) expect(all).toContain(id);

      // Exactly a multiple of the page size: no empty last page.
      const six = await server.api('GET', `${ACCOUNTS}?entityId=pager&limit=6`);
      expect(six.body.items).toHaveLength(6);
      expect(six.body.nextCursor).not.toBeNull();
      const rest = await server.api('GET', `${ACCOUNTS}?entityId=pager&limit=6&cursor=${encodeURIComponent(six.body.nextCursor)}`);
      expect(rest.body.items.map((i: { id: string }) => i.id)).toEqual([created[0]]);
      expect(rest.body.nextCursor).toBeNull();
      const seven = await server.api('GET', `${ACCOUNTS}?entityId=pager&limit=7`);
      expect(seven.body.items).toHaveLength(7);
      expect(seven.body.nextCursor).toBeNull();

      expect((await server.api('DELETE', '/api/v1/entities/pager')).status).toBe(204);
    });

    it('pages integrations the same way', async () => {
      const all: string[] = [];
      const sizes: number[] = [];
      let next: string | null = null;
      do {
        const page = await server.api('GET', `${INTEGRATIONS}?limit=2${next === null ? '' : `&cursor=${encodeURIComponent(next)}`}`);
        expect(page.status).toBe(200);
        sizes.push(page.body.items.length);
        all.push(...page.body.items.map((item: { id: string }) => item.id));
        next = page.body.nextCursor;
      } while (next !== null);
      expect(new Set(all).size).toBe(all.length);
      expect(all).toEqual([...all].sort().reverse());
      for (const id of [ids.openai, ids.stripe, ids.oauth, ids.sendgrid1, ids.sendgrid2]) expect(all).toContain(id);
      expect(sizes.slice(0, -1).every((size) => size === 2)).toBe(true);
    });
  });

  describe('fuzzing', () => {
    const METHODS = ['GET', 'POST', 'PATCH', 'DELETE'] as const;
    const SEED = Number(process.env.FUZZ_SEED ?? 20_260_125);
    const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);

    it(`never answers a 5xx to ${RUNS} generated requests, and no 4xx changes anything`, { timeout: 120_000 }, async () => {
      const { apiKey: keyB } = await createProject(server, 'fuzz-b');
      // Ids that exist (they grow as the fuzzer creates things), and connect tokens it is handed.
      const pool = {
        integrations: new Set<string>(Object.values(ids).filter((id) => id.startsWith('int_'))),
        accounts: new Set<string>(Object.values(ids).filter((id) => id.startsWith('ca_'))),
        tokens: new Set<string>(),
      };
      const pick = (set: Set<string>, index: number) => [...set][index % Math.max(set.size, 1)] ?? 'ca_000000000aaaaaaaaaaaaaaaaaaaa';

      const nasty = fc.constantFrom(
        '',
        ' ',
        '%',
        '%00',
        '%ff',
        '%E0%A4%A',
        '..',
        '%2e%2e',
        '%2F',
        'ca_',
        '_',
        'int_0',
        'ca_0000000000000000000000000000000000000000000000000000000000000000',
        "ca_1'--",
        'default',
        'alice',
        'null',
        'undefined',
        '__proto__',
        'constructor',
        '%F0%9F%92%A9',
        'a'.repeat(300),
      );
      const idSegment = fc.oneof(
        { weight: 3, arbitrary: fc.nat().map((n) => ({ kind: 'account' as const, n })) },
        { weight: 2, arbitrary: fc.nat().map((n) => ({ kind: 'integration' as const, n })) },
        { weight: 1, arbitrary: fc.nat().map((n) => ({ kind: 'token' as const, n })) },
        { weight: 2, arbitrary: nasty.map((text) => ({ kind: 'raw' as const, text })) },
        { weight: 2, arbitrary: fc.string({ maxLength: 70 }).map((text) => ({ kind: 'text' as const, text })) },
        { weight: 1, arbitrary: fc.stringMatching(/^[a-z]{2,3}_[0-9a-z]{1,40}$/).map((text) => ({ kind: 'text' as const, text })) },
      );
      const resolveSegment = (segment: { kind: string; n?: number; text?: string }): string => {
        switch (segment.kind) {
          case 'account':
            return pick(pool.accounts, segment.n!);
          case 'integration':
            return pick(pool.integrations, segment.n!);
          case 'token':
            return pick(pool.tokens, segment.n!);
          case 'raw':
            return segment.text!;
          default:
            return encodeURIComponent(segment.text!);
        }
      };
      /** The route list: a path (from the id segment) and the methods the route answers. */
      const ROUTES: Array<{ path: (id: string) => string; methods: ReadonlyArray<(typeof METHODS)[number]> }> = [
        { path: () => '/api/v1/apps', methods: ['GET'] },
        { path: (id) => `/api/v1/apps/${id}`, methods: ['GET'] },
        { path: () => INTEGRATIONS, methods: ['GET', 'POST'] },
        { path: () => INTEGRATIONS, methods: ['POST'] },
        { path: (id) => `${INTEGRATIONS}/${id}`, methods: ['GET', 'PATCH', 'DELETE'] },
        { path: () => ACCOUNTS, methods: ['GET', 'POST'] },
        { path: () => ACCOUNTS, methods: ['POST'] },
        { path: () => ACCOUNTS, methods: ['POST'] },
        { path: () => ACCOUNTS, methods: ['POST'] },
        { path: (id) => `${ACCOUNTS}/${id}`, methods: ['GET', 'PATCH', 'DELETE'] },
        { path: (id) => `${ACCOUNTS}/${id}/credentials`, methods: ['GET'] },
        { path: (id) => `${ACCOUNTS}/${id}/refresh`, methods: ['POST'] },
        { path: (id) => `${ACCOUNTS}/${id}/disable`, methods: ['POST'] },
        { path: (id) => `${ACCOUNTS}/${id}/enable`, methods: ['POST'] },
        { path: (id) => `${ACCOUNTS}/${id}/reinitiate`, methods: ['POST'] },
        { path: (id) => `/api/v1/entities/${id}`, methods: ['GET', 'DELETE'] },
        { path: () => '/api/v1/entities/alice', methods: ['GET'] },
        { path: (id) => `/connect/${id}`, methods: ['GET', 'POST'] },
        { path: () => '/oauth/callback', methods: ['GET'] },
        { path: () => '/healthz', methods: ['GET'] },
        { path: () => '/openapi.json', methods: ['GET'] },
        { path: (id) => `/api/v1/${id}`, methods: ['GET'] },
        { path: (id) => `${ACCOUNTS}/${id}/${id}`, methods: ['POST'] },
      ];

      // Values that make sense somewhere in the API, mixed with anything at all.
      const plausibleString = fc.constantFrom(
        'openai',
        'stripe',
        'shopify',
        'github',
        'sendgrid',
        'private-oauth-app',
        'fuzz-new-app',
        'OAUTH2',
        'API_KEY',
        'BASIC',
        'BEARER_TOKEN',
        'NO_AUTH',
        'OAUTH1',
        'ACTIVE',
        'INITIATED',
        'https://app.example.com/done',
        'http://127.0.0.1:9/token',
        'javascript:alert(1)',
        'https://u:p@example.com',
        'sk-fuzz',
        'sk_live_abc',
        'rk_test_abc',
        'shpat_abc',
        'acme',
        'alice',
        'default',
        '',
      );
      const value = fc.oneof({ weight: 4, arbitrary: plausibleString }, { weight: 2, arbitrary: fc.string({ maxLength: 30 }) }, { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) });
      const stringMap = fc.dictionary(fc.constantFrom('apiKey', 'shop', 'username', 'password', 'token', 'region', 'x'), value, { maxKeys: 3 });
      const authConfig = fc.record(
        {
          clientId: value,
          clientSecret: value,
          scopes: fc.array(value, { maxLength: 3 }),
          // Only local, closed endpoints: nothing the fuzzer configures may make the server reach the network.
          authorizationUrl: fc.constantFrom('http://127.0.0.1:9/authorize', 'https://127.0.0.1:9/authorize', 'javascript:x', 'nope'),
          tokenUrl: fc.constantFrom('http://127.0.0.1:9/token', 'https://127.0.0.1:9/token', 'ftp://x'),
          baseUrl: value,
          // Only issuers that fail fast and locally: the fuzzer must never reach the network.
          issuer: fc.constantFrom('http://127.0.0.1:9', 'not a url'),
          pkce: fc.oneof(fc.boolean(), value),
          tokenEndpointAuthMethod: fc.oneof(fc.constantFrom('client_secret_basic', 'client_secret_post'), value),
          authorizationParams: fc.oneof(stringMap, value),
        },
        { requiredKeys: [] },
      );
      // Nearly valid bodies for initiate and create, so that requests reach the services.
      const appKey = fc.constantFrom('openai', 'stripe', 'sendgrid', 'shopify', 'slack', 'github', 'gmail', 'private-oauth-app', 'fuzz-new-app');
      const someAuthScheme = fc.constantFrom('OAUTH2', 'API_KEY', 'BEARER_TOKEN', 'NO_AUTH', 'BASIC');
      const someAuthConfig = fc.oneof(fc.constant({}), fc.constant(OAUTH_CONFIG), fc.constant({ clientId: 'c' }), authConfig);
      const target = fc.oneof(
        fc.record({ app: appKey }),
        fc.record({ integrationId: fc.nat().map((n) => pick(pool.integrations, n)) }),
        fc.record({ app: appKey, integrationId: fc.nat().map((n) => pick(pool.integrations, n)) }),
      );
      const initiateRest = fc.record(
        {
          entityId: fc.constantFrom('alice', 'bob', 'default', 'fuzz-user', 'ünïcödé user'),
          labels: fc.array(fc.constantFrom('work', 'home', 'x'), { maxLength: 3 }),
          redirectUrl: fc.constantFrom('https://app.example.com/done', 'http://127.0.0.1:9/cb', 'javascript:alert(1)'),
          authScheme: someAuthScheme,
          authConfig: someAuthConfig,
          data: fc.oneof(
            fc.constant({ apiKey: 'sk-fuzz' }),
            fc.constant({ apiKey: 'sk_test_abc' }),
            fc.constant({ apiKey: 'SG.fuzz' }),
            fc.constant({ shop: 'acme', apiKey: 'shpat_x' }),
            fc.constant({ token: 'xoxb-1' }),
            stringMap,
          ),
        },
        { requiredKeys: [] },
      );
      const initiateBody = fc.tuple(target, initiateRest).map(([to, rest]) => ({ ...rest, ...to }));
      const integrationBody = fc.record(
        { app: appKey, name: fc.string({ minLength: 1, maxLength: 20 }), authScheme: someAuthScheme, authConfig: someAuthConfig },
        { requiredKeys: ['app'] },
      );
      const labelsBody = fc.record({ labels: fc.array(fc.string({ maxLength: 70 }), { maxLength: 4 }) });
      const structuredBody = fc.record(
        {
          app: value,
          name: value,
          integrationId: fc.oneof(fc.nat().map((n) => pick(pool.integrations, n)), value),
          entityId: value,
          labels: fc.oneof(fc.array(value, { maxLength: 4 }), value),
          redirectUrl: value,
          authScheme: value,
          authConfig: fc.oneof({ weight: 3, arbitrary: authConfig }, { weight: 1, arbitrary: value }),
          data: fc.oneof(stringMap, value),
          connectedAccountParams: stringMap,
          extra: value,
        },
        { requiredKeys: [] },
      );
      const body = fc.oneof(
        { weight: 2, arbitrary: fc.constant(undefined) },
        { weight: 4, arbitrary: structuredBody },
        { weight: 1, arbitrary: initiateBody },
        { weight: 1, arbitrary: integrationBody },
        { weight: 1, arbitrary: labelsBody },
        { weight: 2, arbitrary: fc.object({ maxDepth: 2 }) },
        { weight: 2, arbitrary: fc.anything({ maxDepth: 2 }) },
        { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((text) => ({ rawText: text })) },
      );
      const query = fc.dictionary(
        fc.constantFrom('limit', 'cursor', 'status', 'app', 'entityId', 'integrationId', 'labels', 'includeRefreshToken', 'state', 'code', 'error', 'zz'),
        fc.oneof(value.map(String), fc.integer({ min: -5, max: 300 }).map(String), fc.array(fc.string({ maxLength: 8 }), { minLength: 2, maxLength: 3 })),
        { maxKeys: 3 },
      );
      const request = fc.record({
        // Mostly a method the route has, sometimes any of the four.
        method: fc.oneof({ weight: 4, arbitrary: fc.nat().map((n) => ({ own: n })) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS).map((m) => ({ any: m })) }),
        route: fc.nat({ max: ROUTES.length - 1 }),
        segment: idSegment,
        body,
        // Most of the time, a body shaped for the route it goes to.
        fitted: fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: fc.record({ initiate: initiateBody, integration: integrationBody, labels: labelsBody }) }),
        query,
        contentType: fc.constantFrom('application/json', 'application/json', 'application/json', 'application/x-www-form-urlencoded', 'text/plain', undefined),
        key: fc.oneof({ weight: 16, arbitrary: fc.constant('a') }, { weight: 2, arbitrary: fc.constant('b') }, { weight: 1, arbitrary: fc.constantFrom('none', 'wrong') }),
      });

      const histogram = new Map<number, number>();
      const codes = new Map<string, number>();
      let sent = 0;
      let fourHundreds = 0;
      let before = await snapshot(server);

      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const route = ROUTES[r.route]!;
          const method = 'any' in r.method ? r.method.any : route.methods[r.method.own % route.methods.length]!;
          const path = route.path(resolveSegment(r.segment));
          const search = new URLSearchParams();
          for (const [name, v] of Object.entries(r.query)) for (const item of Array.isArray(v) ? v : [v]) search.append(name, item);
          const url = `${path}${search.size > 0 ? `?${search}` : ''}`;
          const headers: Record<string, string> = {};
          if (r.key === 'a') headers['x-api-key'] = server.apiKey;
          if (r.key === 'b') headers['x-api-key'] = keyB;
          if (r.key === 'wrong') headers['x-api-key'] = 'wrong-key';
          let payload: string | undefined;
          let chosen: unknown = r.body;
          if (r.fitted !== undefined && method !== 'GET') {
            if (path === ACCOUNTS) chosen = r.fitted.initiate;
            else if (path === INTEGRATIONS) chosen = r.fitted.integration;
            else if (method === 'PATCH' && path.startsWith(`${ACCOUNTS}/`)) chosen = r.fitted.labels;
            else if (method === 'PATCH') chosen = { name: 'renamed', ...(r.fitted.integration.authConfig && { authConfig: r.fitted.integration.authConfig }) };
            else if (path.endsWith('/reinitiate')) chosen = { ...(r.fitted.initiate.redirectUrl && { redirectUrl: r.fitted.initiate.redirectUrl }), ...(r.fitted.initiate.data && { data: r.fitted.initiate.data }) };
            else if (path.startsWith('/connect/')) chosen = r.fitted.initiate.data ?? {};
          }
          if (chosen !== undefined && method !== 'GET') {
            if (typeof chosen === 'object' && chosen !== null && 'rawText' in chosen && Object.keys(chosen).length === 1) payload = String(chosen.rawText);
            else if (r.contentType === 'application/x-www-form-urlencoded' && typeof chosen === 'object' && chosen !== null) {
              payload = new URLSearchParams(Object.entries(chosen).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : (JSON.stringify(v) ?? '')])).toString();
            } else payload = JSON.stringify(chosen);
            if (r.contentType !== undefined) headers['content-type'] = r.contentType;
          }
          const answer = await server.app.inject({ method, url, headers, ...(payload !== undefined && { payload }) });
          sent += 1;
          histogram.set(answer.statusCode, (histogram.get(answer.statusCode) ?? 0) + 1);
          const where = `${method} ${url} ${payload ?? ''} -> ${answer.statusCode} ${answer.body.slice(0, 300)}`;
          // The one 5xx a caller can cause is asking to check a key with an app this machine cannot reach.
          if (!(answer.statusCode === 502 && answer.body.includes('"CREDENTIALS_UNVERIFIED"'))) expect(answer.statusCode, where).toBeLessThan(500);

          const after = await snapshot(server);
          if (answer.statusCode >= 400) {
            fourHundreds += 1;
            expect(after, where).toEqual(before);
            if (answer.headers['content-type']?.toString().startsWith('application/problem+json')) {
              const problem = JSON.parse(answer.body) as { code?: string; status?: number };
              expect(KNOWN_CODES.has(problem.code ?? ''), where).toBe(true);
              expect(problem.status, where).toBe(answer.statusCode);
              codes.set(problem.code!, (codes.get(problem.code!) ?? 0) + 1);
            } else {
              // Only the browser-facing pages answer 4xx in HTML.
              expect(path.startsWith('/connect/') || path.startsWith('/oauth/'), where).toBe(true);
            }
          }
          before = after;

          // Keep the pools fed with what the server hands out.
          if (answer.statusCode === 201 || answer.statusCode === 200) {
            const json = (() => {
              try {
                return JSON.parse(answer.body) as Record<string, unknown>;
              } catch {
                return undefined;
              }
            })();
            if (typeof json?.connectedAccountId === 'string') pool.accounts.add(json.connectedAccountId);
            if (typeof json?.id === 'string' && json.id.startsWith('int_')) pool.integrations.add(json.id);
            if (typeof json?.redirectUrl === 'string' && json.redirectUrl.includes('/connect/')) pool.tokens.add(json.redirectUrl.split('/connect/')[1]!);
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );

      const sorted = [...histogram.entries()].sort(([a], [b]) => a - b);
      console.log(
        `fuzz: ${sent} requests (seed ${SEED}); statuses ${sorted.map(([status, count]) => `${status}×${count}`).join(' ')}; ` +
          `problem codes ${[...codes.entries()].sort(([, a], [, b]) => b - a).map(([code, count]) => `${code}×${count}`).join(' ')}`,
      );
      expect(sent).toBe(RUNS);
      expect(fourHundreds).toBeGreaterThan(0);
      // The fuzzer reached past validation, too: some requests succeeded.
      expect(sorted.some(([status]) => status >= 200 && status < 300)).toBe(true);
    });
  });
});
