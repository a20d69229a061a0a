/**
 * Secret leak: one end-to-end session on one real server (integrations with client secrets, an
 * OAuth connection through a real OpenID provider, API-key / basic / bearer accounts from data and
 * from the hosted form, credential reads, refreshes, proxied calls to a local upstream, errors full
 * of secrets, disable / enable / delete). Every log line, every error body, every GET or list
 * answer and every page authlink shows is captured; the only answers NOT captured are the ones
 * meant to carry secrets (`/credentials` and the upstream's answers relayed by the proxy). Then
 * every secret value used in the session is searched for in the captured text and in the bytes of
 * the SQLite database (main file and WAL).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserClient, authorizeAtOidcPeer, parseForms, type BrowserPage } from './support/browser-client.js';
import { startOidcPeer, type OidcPeer } from './support/oidc-peer.js';
import { createProject, startTestServer, type TestServer } from './support/test-server.js';
import { readAnswer } from './support/http-answer.js';

const APP_ORIGIN = 'http://app.example';

/** A distinctive random secret: no accidental match with anything else. */
const secret = (label: string) => `${label}-${randomBytes(18).toString('base64url')}`;

/** Every secret value used in the session, with where it came from. */
const secrets = new Map<string, string>();
function keep(label: string, value: unknown): string {
  expect(typeof value, `${label} should be a string`).toBe('string');
  const text = value as string;
  expect(text.length, `${label} is too short to search for`).toBeGreaterThanOrEqual(12);
  secrets.set(text, label);
  return text;
}

/** Everything authlink said that is not meant to carry secrets. */
const captured: Array<{ what: string; text: string }> = [];
/** The answers meant to carry secrets (credentials, relayed upstream answers): the search's positive control. */
const uncaptured: string[] = [];

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

let server: TestServer;
let peer: OidcPeer;
let upstream: Server;
let upstreamUrl = '';
let projectB: { projectId: string; apiKey: string };
const CLIENT = { clientId: 'leak-client', clientSecret: '' };

/**
 * Calls authlink and captures the answer (status line, headers that could carry data, body),
 * except for the answers that are meant to carry secrets. `ownLink`: the connect-link token that
 * this answer is meant to hand out (an initiation answer); it is blanked before capture.
 */
async function call(
  method: string,
  path: string,
  options: { body?: unknown; raw?: string; contentType?: string; key?: string | null; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? server.apiKey : options.key;
  if (key !== null) headers['x-api-key'] = key;
  let payload: string | undefined;
  if (options.raw !== undefined) {
    payload = options.raw;
    headers['content-type'] = options.contentType ?? 'application/json';
  } else if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${server.url}${path}`, { method, headers, body: payload, redirect: 'manual' });
  const { text, body } = await readAnswer(response);
  const meantForSecrets = (/\/credentials(\?|$)/.test(path) && response.status === 200) || response.headers.get('x-authlink-proxy') === '1';
  if (meantForSecrets) uncaptured.push(text);
  else {
    let kept = text;
    // An initiation answer hands out its own connect link: that one value is the point of the answer.
    const link = (body as { redirectUrl?: unknown } | null)?.redirectUrl;
    if (typeof link === 'string' && link.startsWith(`${server.url}/connect/`)) kept = kept.split(link).join('[own connect link]');
    captured.push({ what: `${method} ${path} → ${response.status}`, text: `${response.status} ${headerText(response.headers)}\n${kept}` });
  }
  return { status: response.status, headers: response.headers, text, body };
}

function headerText(headers: Headers): string {
  return ['location', 'www-authenticate', 'link', 'content-location', 'set-cookie'].map((name) => `${name}: ${headers.get(name) ?? ''}`).join('\n');
}

/** Captures a page authlink showed to the end user's browser; its own connect link (a form's action) is blanked. */
function capturePage(what: string, page: BrowserPage, ownLinkToken?: string): BrowserPage {
  let text = `${page.status} ${headerText(page.headers)}\n${page.body}`;
  if (ownLinkToken) text = text.split(ownLinkToken).join('[own link token]');
  captured.push({ what, text });
  return page;
}

async function initiate(body: Record<string, unknown>, key?: string): Promise<{ id: string; link: string | null; status: string }> {
  // Made-up keys for real catalog apps: nothing here can reach the apps to check them.
  const answer = await call('POST', '/api/v1/connected-accounts', { body: { validate: false, ...body }, ...(key && { key }) });
  expect(answer.status, answer.text).toBe(201);
  const link: string | null = answer.body.redirectUrl;
  if (link) keep('connect-link token', new URL(link).pathname.split('/').pop());
  return { id: answer.body.connectedAccountId, link, status: answer.body.connectionStatus };
}

/** Reads credentials (not captured) and keeps every secret value in them. */
async function readCredentials(id: string, key?: string): Promise<Record<string, unknown>> {
  const answer = await call('GET', `/api/v1/connected-accounts/${id}/credentials?includeRefreshToken=true`, key ? { key } : {});
  expect(answer.status, answer.text).toBe(200);
  const credentials = answer.body.credentials as Record<string, unknown>;
  for (const name of ['accessToken', 'refreshToken', 'idToken', 'apiKey', 'password', 'token']) {
    if (credentials[name] !== undefined) keep(`credentials.${name} of ${id}`, credentials[name]);
  }
  return credentials;
}

/** Events in the last audit trail read (project B's comes last, so this is read for A below). */
let auditEvents = 0;

/** Every list and read the API offers, captured. */
async function readEverything(): Promise<void> {
  for (const key of [projectB.apiKey, server.apiKey]) {
    const integrations = await call('GET', '/api/v1/integrations?limit=100', { key });
    expect(integrations.status).toBe(200);
    for (const integration of integrations.body.items) await call('GET', `/api/v1/integrations/${integration.id}`, { key });
    let cursor: string | null = null;
    const entities = new Set<string>();
    do {
      const page: Answer = await call('GET', `/api/v1/connected-accounts?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { key });
      expect(page.status).toBe(200);
      for (const item of page.body.items) {
        entities.add(item.entityId);
        await call('GET', `/api/v1/connected-accounts/${item.id}`, { key });
      }
      cursor = page.body.nextCursor;
    } while (cursor);
    for (const entity of entities) await call('GET', `/api/v1/entities/${encodeURIComponent(entity)}`, { key });
    for (const status of ['ACTIVE', 'INITIATED', 'FAILED', 'INACTIVE', 'EXPIRED']) await call('GET', `/api/v1/connected-accounts?status=${status}`, { key });
    await call('GET', '/api/v1/project', { key });
    // The audit trail records credential reads, proxied calls and status changes: every page of it.
    let auditCursor: string | null = null;
    auditEvents = 0;
    do {
      const page: Answer = await call('GET', `/api/v1/audit?limit=100${auditCursor ? `&cursor=${encodeURIComponent(auditCursor)}` : ''}`, { key });
      expect(page.status, page.text).toBe(200);
      auditEvents += page.body.items.length;
      auditCursor = page.body.nextCursor;
    } while (auditCursor);
  }
  await call('GET', '/api/v1/apps');
  await call('GET', '/api/v1/apps/github');
  await call('GET', '/openapi.json', { key: null });
  await call('GET', '/metrics', { key: null });
  await call('GET', '/healthz', { key: null });
}

/** A plain upstream API: answers 200 with what it received, and can redirect elsewhere. */
async function startUpstream(): Promise<void> {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://upstream');
      if (url.pathname === '/v1/redirect-away') {
        res.writeHead(302, { location: `http://127.0.0.1:9/stolen${url.search}` }).end();
        return;
      }
      if (url.pathname === '/v1/reject') {
        res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' }).end('{"message":"bad credentials"}');
        return;
      }
      // Echoes the credentials back: the caller may see them (a proxy answer), nothing else may.
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: req.url, authorization: req.headers.authorization ?? null }));
    });
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  server = await startTestServer();
  projectB = await createProject(server, 'project-b');
  CLIENT.clientSecret = secret('client-secret');
  peer = await startOidcPeer({ clients: [{ ...CLIENT, redirectUris: [`${server.url}/oauth/callback`] }] });
  await startUpstream();
});

afterAll(async () => {
  await server?.close();
  await Promise.all([peer?.close(), new Promise((resolve) => (upstream ? upstream.close(resolve) : resolve(undefined)))]);
});

describe('a full session', () => {
  const ids: Record<string, string> = {};
  let oauthIntegration = '';

  it('creates integrations with client secrets, rotates one, and refuses invalid ones full of secrets', async () => {
    keep('authlink API key (project A)', server.apiKey);
    keep('authlink API key (project B)', projectB.apiKey);
    keep('client secret (OIDC peer)', CLIENT.clientSecret);

    const created = await call('POST', '/api/v1/integrations', {
      body: { app: 'leak-idp', authScheme: 'OAUTH2', authConfig: { issuer: peer.issuer, ...CLIENT, scopes: ['openid', 'email', 'profile'] } },
    });
    expect(created.status, created.text).toBe(201);
    oauthIntegration = created.body.id;
    await call('PATCH', `/api/v1/integrations/${oauthIntegration}`, { body: { authConfig: { baseUrl: `${upstreamUrl}/v1` } } });

    const github = await call('POST', '/api/v1/integrations', { body: { app: 'github', authConfig: { clientId: 'Iv1.leaktest', clientSecret: keep('client secret (github)', secret('gh-secret')) } } });
    expect(github.status, github.text).toBe(201);
    const rotated = await call('PATCH', `/api/v1/integrations/${github.body.id}`, { body: { authConfig: { clientSecret: keep('client secret (github, rotated)', secret('gh-rotated')) } } });
    expect(rotated.status, rotated.text).toBe(200);
    const slackB = await call('POST', '/api/v1/integrations', { key: projectB.apiKey, body: { app: 'slack', authConfig: { clientId: 'slack-b', clientSecret: keep('client secret (slack, project B)', secret('slack-secret')) } } });
    expect(slackB.status, slackB.text).toBe(201);

    // Refused: unknown property beside a secret, a secret in a non-URL field, an over-long secret, an unreachable issuer.
    const refusals = [
      { app: 'leaky', authConfig: { clientId: 'x', clientSecret: keep('client secret (refused 1)', secret('refused1')), bogus: keep('unknown field value', secret('bogus')) } },
      { app: 'leaky', authConfig: { clientId: 'x', clientSecret: keep('client secret (refused 2)', secret('refused2')), tokenUrl: keep('secret in a URL field', secret('not-a-url')) } },
      { app: 'leaky', authConfig: { clientId: 'x', clientSecret: keep('over-long client secret (prefix)', secret('toolong')) + 'x'.repeat(5000) } },
      { app: 'leaky', authConfig: { issuer: 'http://127.0.0.1:9', clientId: 'x', clientSecret: keep('client secret (refused 4)', secret('refused4')) } },
      { app: 'github', authScheme: 'NOT_A_SCHEME', authConfig: { clientSecret: keep('client secret (refused 5)', secret('refused5')) } },
    ];
    for (const body of refusals) {
      const refused = await call('POST', '/api/v1/integrations', { body });
      expect(refused.status, refused.text).toBeGreaterThanOrEqual(400);
      expect(refused.status, refused.text).toBeLessThan(500);
    }
    const badJson = await call('POST', '/api/v1/integrations', { raw: `{"app":"leaky","authConfig":{"clientSecret":"${keep('client secret (bad JSON)', secret('badjson'))}"` });
    expect(badJson.status).toBe(400);
    const badType = await call('POST', '/api/v1/integrations', { raw: `clientSecret=${keep('client secret (form body)', secret('formbody'))}`, contentType: 'application/x-www-form-urlencoded' });
    expect(badType.status).toBeGreaterThanOrEqual(400);
    expect(badType.status).toBeLessThan(500);
  });

  it('connects OAuth accounts through the real provider (with and without redirectUrl)', async () => {
    for (const [name, login, redirectUrl] of [['oauth', 'leak-user', `${APP_ORIGIN}/done`], ['oauth2', 'leak-user-2', undefined]] as const) {
      const started = await initiate({ integrationId: oauthIntegration, entityId: login, labels: ['leak'], ...(redirectUrl && { redirectUrl }) });
      const browser = new BrowserClient();
      const atCallback = await authorizeAtOidcPeer(browser, started.link!, { login, consent: 'approve', stopAt: (url) => url.pathname === '/oauth/callback' });
      const callback = new URL(atCallback.url);
      keep('authorization code', callback.searchParams.get('code'));
      keep('oauth state', callback.searchParams.get('state'));
      const landing = capturePage('oauth callback', await browser.get(callback.href));
      expect([200, 303]).toContain(landing.status);
      // The same callback again (replay) and a forged one: error pages, captured too.
      capturePage('replayed callback', await new BrowserClient().get(callback.href));
      ids[name] = started.id;
    }
    const forgedCode = keep('forged code', secret('forged-code'));
    const forgedState = keep('forged state', secret('forged-state'));
    capturePage('forged callback', await new BrowserClient().get(`${server.url}/oauth/callback?code=${forgedCode}&state=${forgedState}`));
    const forgedLink = keep('forged connect link', secret('forgedlink'));
    capturePage('forged link', await new BrowserClient().get(`${server.url}/connect/${forgedLink}`));

    // A denied one: FAILED with a reason.
    const denied = await initiate({ integrationId: oauthIntegration, entityId: 'leak-denied', redirectUrl: `${APP_ORIGIN}/done` });
    const browser = new BrowserClient();
    const atCallback = await authorizeAtOidcPeer(browser, denied.link!, { login: 'leak-denied', consent: 'deny', stopAt: (url) => url.pathname === '/oauth/callback' });
    keep('oauth state (denied)', new URL(atCallback.url).searchParams.get('state'));
    capturePage('denied callback', await browser.get(atCallback.url));
    ids.denied = denied.id;

    for (const request of peer.tokenRequests) if (request.codeVerifier) keep('PKCE code verifier', request.codeVerifier);
    for (const name of ['oauth', 'oauth2']) expect((await call('GET', `/api/v1/connected-accounts/${ids[name]}`)).body.status).toBe('ACTIVE');
  });

  it('creates API-key, basic and bearer accounts from data, and refuses invalid data full of secrets', async () => {
    const baseUrl = `${upstreamUrl}/v1`;
    const created = [
      ['apiKey', { app: 'local-key', authScheme: 'API_KEY', authConfig: { baseUrl }, data: { apiKey: keep('API key', secret('key')) } }],
      ['openai', { app: 'openai', entityId: 'melissa', data: { apiKey: keep('API key (openai)', secret('sk-openai')) } }],
      ['basic', { app: 'local-basic', authScheme: 'BASIC', authConfig: { baseUrl }, data: { username: 'alice', password: keep('password', secret('pw')) } }],
      ['bearer', { app: 'local-bearer', authScheme: 'BEARER_TOKEN', authConfig: { baseUrl }, data: { token: keep('bearer token', secret('bearer')) } }],
      ['shopify', { app: 'shopify', authScheme: 'API_KEY', data: { shop: 'acme-store', apiKey: keep('API key (shopify)', `shpat_${randomBytes(16).toString('hex')}`) } }],
    ] as const;
    for (const [name, body] of created) {
      const started = await initiate({ ...body });
      expect(started.status, name).toBe('ACTIVE');
      ids[name] = started.id;
    }
    const inB = await initiate({ app: 'local-key', authScheme: 'API_KEY', authConfig: { baseUrl }, data: { apiKey: keep('API key (project B)', secret('key-b')) } }, projectB.apiKey);
    ids.inB = inB.id;

    const refusals: Array<Record<string, unknown>> = [
      { app: 'openai', data: { apiKey: keep('API key with a wrong format', secret('not-sk')) } },
      { app: 'shopify', authScheme: 'API_KEY', data: { shop: 'acme', apiKey: keep('shopify key with a wrong format', secret('wrong-format')) } },
      { app: 'openai', data: { apiKey: `sk-${keep('API key beside an unknown field', secret('beside'))}`, unknown: keep('unknown field value (data)', secret('unknown')) } },
      { app: 'openai', data: { apiKey: `sk-${keep('over-long API key (prefix)', secret('long'))}${'x'.repeat(9000)}` } },
      { app: 'local-basic', authScheme: 'BASIC', data: { username: 'u', password: keep('password (no base URL)', secret('pw-nobase')) }, redirectUrl: 'javascript:alert(1)' },
      { app: 'openai', data: { apiKey: `sk-${keep('API key with a bad redirect', secret('badredirect'))}` }, redirectUrl: `http://user:${keep('password in redirectUrl', secret('urlpw'))}@app.example/back` },
      { integrationId: 'in_does_not_exist', data: { apiKey: keep('API key for a missing integration', secret('missing')) } },
      { app: 'openai', connectedAccountParams: { apiKey: 12345 }, data: { apiKey: keep('API key with a duplicate field', secret('dup')) } },
    ];
    for (const body of refusals) {
      const refused = await call('POST', '/api/v1/connected-accounts', { body });
      expect(refused.status, refused.text).toBeGreaterThanOrEqual(400);
      expect(refused.status, refused.text).toBeLessThan(500);
    }
    const badJson = await call('POST', '/api/v1/connected-accounts', { raw: `{"app":"openai","data":{"apiKey":"sk-${keep('API key in bad JSON', secret('badjson'))}"}` + '}}' });
    expect(badJson.status).toBe(400);
  });

  it('connects API-key, basic and bearer accounts through the hosted form', async () => {
    const baseUrl = `${upstreamUrl}/v1`;
    const forms = [
      ['formShopify', { app: 'shopify', authScheme: 'API_KEY', data: { shop: 'form-store' }, redirectUrl: `${APP_ORIGIN}/back` }, [{ apiKey: keep('form: rejected shopify key', secret('rejected')) }, { apiKey: keep('form: shopify key', `shpat_${randomBytes(16).toString('hex')}`) }]],
      ['formKey', { app: 'local-key', authScheme: 'API_KEY', authConfig: { baseUrl } }, [{ apiKey: keep('form: API key', secret('form-key')) }]],
      ['formBasic', { app: 'local-basic', authScheme: 'BASIC', authConfig: { baseUrl } }, [{ username: 'bob', password: '' }, { username: 'bob', password: keep('form: password', secret('form-pw')) }]],
      ['formBearer', { app: 'local-bearer', authScheme: 'BEARER_TOKEN', authConfig: { baseUrl } }, [{ token: keep('form: bearer token', secret('form-bearer')) }]],
    ] as const;
    for (const [name, body, submissions] of forms) {
      const started = await initiate({ ...body });
      expect(started.status).toBe('INITIATED');
      const token = new URL(started.link!).pathname.split('/').pop()!;
      const browser = new BrowserClient();
      let page = capturePage(`${name} form`, await browser.get(started.link!), token);
      expect(page.status).toBe(200);
      for (const fields of submissions) {
        const action = parseForms(page.body, page.url)[0]?.action ?? started.link!;
        page = capturePage(`${name} submitted`, await browser.postForm(action, { ...fields }), token);
      }
      expect([200, 303]).toContain(page.status);
      // The used link again.
      capturePage(`${name} link again`, await new BrowserClient().get(started.link!), token);
      capturePage(`${name} post again`, await new BrowserClient().postForm(started.link!, { ...submissions.at(-1) }), token);
      expect((await call('GET', `/api/v1/connected-accounts/${started.id}`)).body.status, name).toBe('ACTIVE');
      ids[name] = started.id;
    }
  });

  it('reads credentials, refreshes, and proxies calls to the upstream', async () => {
    for (const id of Object.values(ids)) {
      const account = await call('GET', `/api/v1/connected-accounts/${id}`, { key: id === ids.inB ? projectB.apiKey : server.apiKey });
      if (account.body?.status === 'ACTIVE') await readCredentials(id, id === ids.inB ? projectB.apiKey : undefined);
    }
    await readEverything();

    // Refresh twice (rotating refresh tokens), reading the new tokens each time.
    for (let round = 0; round < 2; round++) {
      const refreshed = await call('POST', `/api/v1/connected-accounts/${ids.oauth}/refresh`);
      expect(refreshed.body.status).toBe('ACTIVE');
      await readCredentials(ids.oauth!);
    }
    await call('POST', `/api/v1/connected-accounts/${ids.apiKey}/refresh`);

    // Proxied calls: the answers carry the credentials (echoed by the upstream) and are not captured.
    for (const name of ['apiKey', 'basic', 'bearer', 'oauth', 'formKey', 'formBasic', 'formBearer']) {
      const answer = await call('GET', `/api/v1/proxy/${ids[name]}/echo?access_token=${keep('caller query secret', secret('query'))}`);
      expect(answer.status, name).toBe(200);
      expect(answer.headers.get('x-authlink-proxy')).toBe('1');
    }
    const posted = await call('POST', `/api/v1/proxy/${ids.bearer}/echo`, { body: { password: keep('caller body secret', secret('body')) } });
    expect(posted.status).toBe(200);
    // The upstream rejects: an OAuth account is refreshed and retried; an API key is not.
    await call('GET', `/api/v1/proxy/${ids.oauth}/reject`);
    await readCredentials(ids.oauth!);
    await call('GET', `/api/v1/proxy/${ids.apiKey}/reject`);
    // Refused by authlink: problems, captured.
    const away = await call('GET', `/api/v1/proxy/${ids.apiKey}/redirect-away?sig=${keep('query secret on a refused redirect', secret('sig'))}`);
    expect(away.status).toBe(400);
    for (const path of ['/..%2f..%2fadmin', '//evil.example/x', '/%252e%252e%252fadmin', '/a%5c..%5cadmin']) {
      const refused = await call('GET', `/api/v1/proxy/${ids.bearer}${path}?token=${keep('query secret on a refused path', secret('refused-path'))}`);
      expect(refused.status).toBe(400);
    }
    expect((await call('GET', `/api/v1/proxy/${ids.denied}/echo`)).status).toBe(409);
    expect((await call('GET', `/api/v1/proxy/${ids.inB}/echo`)).status).toBe(404);
  });

  it('answers wrong keys, foreign objects and invalid transitions with problems that hold no secret', async () => {
    const wrong = [keep('wrong authlink key', secret('alk_wrong')), keep('wrong bearer key', secret('alk_wrong-bearer'))];
    expect((await call('GET', '/api/v1/integrations', { key: wrong[0]! })).status).toBe(401);
    expect((await call('GET', `/api/v1/connected-accounts/${ids.apiKey}/credentials`, { key: null, headers: { authorization: `Bearer ${wrong[1]}` } })).status).toBe(401);
    expect((await call('GET', `/api/v1/proxy/${ids.apiKey}/echo`, { key: wrong[0]! })).status).toBe(401);
    expect((await call('GET', `/api/v1/connected-accounts/${ids.apiKey}/credentials`, { key: projectB.apiKey })).status).toBe(404);
    expect((await call('GET', `/api/v1/connected-accounts/${ids.inB}`)).status).toBe(404);
    expect((await call('POST', `/api/v1/connected-accounts/${ids.apiKey}/reinitiate`, { body: { data: { apiKey: keep('API key on a refused reinitiate', secret('reinit')) } } })).status).toBe(409);
    expect((await call('GET', `/api/v1/connected-accounts/${ids.denied}/credentials`)).status).toBe(409);
  });

  it('disables, enables, relabels, re-initiates and deletes', async () => {
    expect((await call('POST', `/api/v1/connected-accounts/${ids.basic}/disable`)).body.status).toBe('INACTIVE');
    expect((await call('GET', `/api/v1/connected-accounts/${ids.basic}/credentials`)).status).toBe(409);
    expect((await call('GET', `/api/v1/proxy/${ids.basic}/echo`)).status).toBe(409);
    expect((await call('POST', `/api/v1/connected-accounts/${ids.basic}/enable`)).body.status).toBe('ACTIVE');
    expect((await call('PATCH', `/api/v1/connected-accounts/${ids.bearer}`, { body: { labels: ['relabelled'] } })).status).toBe(200);

    // A FAILED OAuth account re-initiated (a new link), and an ACTIVE API-key account re-keyed after disabling.
    const again = await call('POST', `/api/v1/connected-accounts/${ids.denied}/reinitiate`, { body: {} });
    expect(again.status).toBe(200);
    keep('connect-link token (reinitiate)', new URL(again.body.redirectUrl).pathname.split('/').pop());
    await call('POST', `/api/v1/connected-accounts/${ids.apiKey}/disable`);
    const rekeyed = await call('POST', `/api/v1/connected-accounts/${ids.apiKey}/reinitiate`, { body: { data: { apiKey: keep('API key (re-keyed)', secret('rekeyed')) } } });
    expect(rekeyed.body.connectionStatus).toBe('ACTIVE');
    await readCredentials(ids.apiKey!);

    await readEverything();

    const deleted = await call('DELETE', `/api/v1/connected-accounts/${ids.oauth}`);
    expect(deleted.body).toMatchObject({ deleted: true, revocation: 'succeeded' });
    expect((await call('DELETE', `/api/v1/connected-accounts/${ids.basic}`)).body.deleted).toBe(true);
    expect((await call('DELETE', '/api/v1/entities/melissa')).status).toBeLessThan(300);
    expect((await call('GET', `/api/v1/connected-accounts/${ids.oauth}/credentials`)).status).toBe(404);
    await readEverything();
    expect(auditEvents, 'the audit trail of project A was read').toBeGreaterThan(50);
  });

  it('never shows any secret in a log line, an error, a list, a read or a page', () => {
    keep('vault encryption key', readFileSync(join(server.dataDir, 'encryption.key'), 'utf8').trim());
    expect(server.logs.length).toBeGreaterThan(100);
    expect(captured.length).toBeGreaterThan(100);
    const corpus = [...server.logs.map((line, i) => ({ what: `log line ${i}`, text: line })), ...captured];
    const leaks: string[] = [];
    let occurrences = 0;
    for (const [value, label] of secrets) {
      for (const { what, text } of corpus) {
        const count = text.split(value).length - 1;
        if (count > 0) {
          occurrences += count;
          if (leaks.length < 20) leaks.push(`${label} in ${what}: …${text.slice(Math.max(0, text.indexOf(value) - 120), text.indexOf(value) + value.length + 40)}…`);
        }
      }
    }
    // Positive control: the same search finds the secrets where they are meant to be.
    const meant = uncaptured.join('\n');
    const foundWhereMeant = [...secrets.keys()].filter((value) => meant.includes(value)).length;
    expect(foundWhereMeant).toBeGreaterThanOrEqual(20);
    console.log(`secret leak: ${occurrences} occurrences of ${secrets.size} secrets in ${corpus.length} captured lines/bodies (${server.logs.length} log lines, ${captured.length} answers and pages; ${foundWhereMeant} of them found in the ${uncaptured.length} credential and proxy answers)`);
    expect(leaks).toEqual([]);
  });

  it('keeps none of them in clear in the SQLite file or its WAL', () => {
    const files = ['authlink.db', 'authlink.db-wal'].map((name) => join(server.dataDir, name)).filter((path) => existsSync(path));
    expect(files.length).toBeGreaterThanOrEqual(1);
    const bytes = files.map((path) => ({ path, data: readFileSync(path) }));
    expect(bytes.reduce((sum, f) => sum + f.data.length, 0)).toBeGreaterThan(10_000);
    // Positive control: public values (a Shopify shop name) are stored in clear and found by the same search.
    for (const shop of ['acme-store', 'form-store']) expect(bytes.some(({ data }) => data.includes(Buffer.from(shop, 'utf8'))), shop).toBe(true);
    const found: string[] = [];
    for (const [value, label] of secrets) {
      for (const { path, data } of bytes) {
        if (data.includes(Buffer.from(value, 'utf8'))) found.push(`${label} in ${path}`);
      }
    }
    console.log(`secret leak (database): ${found.length} of ${secrets.size} secrets found in clear in ${bytes.map((f) => `${f.path.split('/').pop()} (${f.data.length} bytes)`).join(' + ')}`);
    expect(found).toEqual([]);
  });
});
