import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Catalog, findAuthScheme, type OutgoingRequest, type ResolvedScheme } from '@authlink/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserClient } from './support/browser-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';

/**
 * `oauth-sign` (request's signer) is the independent implementation the provider below verifies
 * with: authlink signs with `oauth-1.0a`, so a shared bug cannot make both sides agree. It ships no
 * types; this is the part used.
 */
const oauthSign = createRequire(import.meta.url)('oauth-sign') as {
  hmacsign(method: string, baseUri: string, params: Record<string, string | string[]>, consumerSecret: string, tokenSecret?: string): string;
};

const CONSUMER = { key: 'acme-consumer-key', secret: 'acme-consumer-secret&with/odd chars' };

interface RequestToken {
  secret: string;
  callback: string;
  verifier: string;
}

/** A local OAuth 1.0a provider (RFC 5849) that checks every signature, timestamp and nonce. */
interface OAuth1Provider {
  base: string;
  requestTokens: Map<string, RequestToken>;
  accessTokens: Map<string, string>;
  /** Every signed request, with the provider's verdict. */
  verdicts: { path: string; ok: boolean; problem?: string }[];
  close: () => Promise<void>;
}

const token = () => randomBytes(12).toString('hex');

/** RFC 5849 §3.5.1: `OAuth name="value", …`, names and values percent-encoded. */
function parseAuthorization(header: string | undefined): Record<string, string> | undefined {
  const match = /^OAuth\s+(.*)$/s.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const params: Record<string, string> = {};
  for (const part of match[1].split(',')) {
    const pair = /^\s*([^=\s]+)="([^"]*)"\s*$/.exec(part);
    if (!pair?.[1] || pair[2] === undefined) return undefined;
    params[decodeURIComponent(pair[1])] = decodeURIComponent(pair[2]);
  }
  return params;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function startOAuth1Provider(): Promise<OAuth1Provider> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider: OAuth1Provider = {
    base,
    requestTokens: new Map(),
    accessTokens: new Map(),
    verdicts: [],
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
  const nonces = new Set<string>();

  /** §3.2: recompute the signature over method, base URI, header + query + form parameters. */
  function verify(request: IncomingMessage, url: URL, body: string, tokenSecret: (token: string | undefined) => string | undefined) {
    const header = parseAuthorization(request.headers.authorization);
    if (!header) return { problem: 'parameter_absent' };
    const { oauth_signature: signature, realm: _realm, ...protocol } = header;
    if (protocol.oauth_consumer_key !== CONSUMER.key) return { problem: 'consumer_key_unknown' };
    if (protocol.oauth_signature_method !== 'HMAC-SHA1') return { problem: 'signature_method_rejected' };
    if (protocol.oauth_version !== undefined && protocol.oauth_version !== '1.0') return { problem: 'version_rejected' };
    const timestamp = Number(protocol.oauth_timestamp);
    if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return { problem: 'timestamp_refused' };
    const nonceKey = `${protocol.oauth_timestamp}:${protocol.oauth_nonce}:${protocol.oauth_token ?? ''}`;
    if (!protocol.oauth_nonce || nonces.has(nonceKey)) return { problem: 'nonce_used' };
    const secret = tokenSecret(protocol.oauth_token);
    if (secret === undefined) return { problem: 'token_rejected' };

    const params: Record<string, string | string[]> = { ...protocol };
    const add = (name: string, value: string) => {
      const seen = params[name];
      params[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
    };
    for (const [name, value] of url.searchParams) add(name, value);
    if ((request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      for (const [name, value] of new URLSearchParams(body)) add(name, value);
    }
    const expected = oauthSign.hmacsign(request.method ?? 'GET', `${url.protocol}//${url.host}${url.pathname}`, params, CONSUMER.secret, secret);
    if (signature !== expected) return { problem: 'signature_invalid' };
    nonces.add(nonceKey);
    return { protocol };
  }

  function refuse(response: ServerResponse, path: string, problem: string): void {
    provider.verdicts.push({ path, ok: false, problem });
    response.writeHead(401, { 'content-type': 'application/x-www-form-urlencoded' }).end(`oauth_problem=${problem}`);
  }

  function answerForm(response: ServerResponse, path: string, values: Record<string, string>): void {
    provider.verdicts.push({ path, ok: true });
    response.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' }).end(new URLSearchParams(values).toString());
  }

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      const body = await readBody(request);
      const url = new URL(request.url ?? '/', base);
      const path = url.pathname;

      if (request.method === 'POST' && path === '/oauth/request_token') {
        const result = verify(request, url, body, (t) => (t === undefined ? '' : undefined));
        if (!result.protocol) return refuse(response, path, result.problem);
        const callback = result.protocol.oauth_callback;
        if (!callback) return refuse(response, path, 'parameter_absent');
        const issued = token();
        const secret = token();
        provider.requestTokens.set(issued, { secret, callback, verifier: token() });
        return answerForm(response, path, { oauth_token: issued, oauth_token_secret: secret, oauth_callback_confirmed: 'true' });
      }

      if (request.method === 'GET' && path === '/oauth/authorize') {
        // The resource owner approves at once (§2.2): back to the callback, keeping its query.
        const pending = provider.requestTokens.get(url.searchParams.get('oauth_token') ?? '');
        if (!pending) return response.writeHead(400).end('unknown request token');
        const back = new URL(pending.callback);
        back.searchParams.set('oauth_token', url.searchParams.get('oauth_token') ?? '');
        back.searchParams.set('oauth_verifier', pending.verifier);
        return response.writeHead(302, { location: back.href }).end();
      }

      if (request.method === 'POST' && path === '/oauth/access_token') {
        const result = verify(request, url, body, (t) => (t === undefined ? undefined : provider.requestTokens.get(t)?.secret));
        if (!result.protocol) return refuse(response, path, result.problem);
        const requestToken = result.protocol.oauth_token ?? '';
        if (provider.requestTokens.get(requestToken)?.verifier !== result.protocol.oauth_verifier) return refuse(response, path, 'verifier_invalid');
        provider.requestTokens.delete(requestToken);
        const issued = token();
        const secret = token();
        provider.accessTokens.set(issued, secret);
        return answerForm(response, path, { oauth_token: issued, oauth_token_secret: secret, user_id: '42' });
      }

      if (path.startsWith('/api/')) {
        const result = verify(request, url, body, (t) => (t === undefined ? undefined : provider.accessTokens.get(t)));
        if (!result.protocol) return refuse(response, path, result.problem);
        provider.verdicts.push({ path, ok: true });
        return response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ user: 'ada', method: request.method }));
      }
      response.writeHead(404).end();
    })().catch((error: unknown) => response.writeHead(500).end(String(error)));
  });
  return provider;
}

let server: TestServer;
let provider: OAuth1Provider;
let integrationId: string;

beforeAll(async () => {
  provider = await startOAuth1Provider();
  const catalog = Catalog.fromDefinitions([
    {
      key: 'acme-oauth1',
      name: 'Acme (OAuth 1.0a)',
      description: 'A local OAuth 1.0a provider',
      categories: ['test'],
      docsUrl: 'https://example.com/docs',
      baseUrl: `${provider.base}/api`,
      authSchemes: [
        {
          scheme: 'OAUTH1',
          fields: [],
          requestTokenUrl: `${provider.base}/oauth/request_token`,
          authorizationUrl: `${provider.base}/oauth/authorize`,
          tokenUrl: `${provider.base}/oauth/access_token`,
          placement: [],
        },
      ],
    },
  ]);
  server = await startTestServer({ logLevel: 'warn', catalog });
  const created = await server.api('POST', '/api/v1/integrations', { app: 'acme-oauth1', authConfig: { clientId: CONSUMER.key, clientSecret: CONSUMER.secret } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect(created.body.authScheme).toBe('OAUTH1');
  integrationId = created.body.id as string;
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
});

async function initiate(entityId: string): Promise<{ connectedAccountId: string; redirectUrl: string }> {
  const started = await server.api('POST', '/api/v1/connected-accounts', { integrationId, entityId, redirectUrl: 'http://app.example/done' });
  expect(started.status).toBe(201);
  expect(started.body.connectionStatus).toBe('INITIATED');
  return started.body;
}

/** What the proxy will hand to `apply`: the request, bound for the app's API. */
function outgoing(method: string, path: string, query: Record<string, string> = {}): OutgoingRequest & { method: string; url: URL } {
  return { method, url: new URL(`${provider.base}/api${path}`), query: new URLSearchParams(query), headers: {} };
}

async function send(request: OutgoingRequest & { method: string; url: URL }) {
  const target = new URL(request.url);
  for (const [name, value] of request.query) target.searchParams.append(name, value);
  const headers = { ...request.headers, ...(request.form && { 'content-type': 'application/x-www-form-urlencoded' }) };
  return fetch(target, { method: request.method, headers, ...(request.form && { body: request.form.toString() }) });
}

describe('OAUTH1 (RFC 5849, three-legged, HMAC-SHA1)', () => {
  let accountId: string;
  let credentials: Record<string, unknown>;

  it('connects through /connect, the provider and /oauth/callback, with every request signed', async () => {
    const started = await initiate('oauth1-user');
    const end = await new BrowserClient().follow(started.redirectUrl, { stopAt: (url) => url.hostname === 'app.example' });
    const back = new URL(end.url);
    expect(Object.fromEntries(back.searchParams)).toMatchObject({ status: 'success', connectedAccountId: started.connectedAccountId });

    const account = await server.api('GET', `/api/v1/connected-accounts/${started.connectedAccountId}`);
    expect(account.body).toMatchObject({ status: 'ACTIVE', authScheme: 'OAUTH1' });
    const read = await server.api('GET', `/api/v1/connected-accounts/${started.connectedAccountId}/credentials`);
    credentials = read.body.credentials as Record<string, unknown>;
    expect(provider.accessTokens.get(credentials.accessToken as string)).toBe(credentials.tokenSecret);
    expect(JSON.stringify(read.body)).not.toContain(CONSUMER.secret);

    expect(provider.verdicts.filter((v) => v.path.startsWith('/oauth/'))).toEqual([
      { path: '/oauth/request_token', ok: true },
      { path: '/oauth/access_token', ok: true },
    ]);
    accountId = started.connectedAccountId;
  });

  it('signs API requests the provider verifies: query, repeated and form parameters included', async () => {
    expect(accountId).toBeDefined();
    const scheme = findAuthScheme('OAUTH1')!;
    const resolved: ResolvedScheme = { scheme: 'OAUTH1', fields: [], placement: [], baseUrl: `${provider.base}/api` };
    const client = { clientId: CONSUMER.key, clientSecret: CONSUMER.secret };

    const get = outgoing('GET', '/me', { fields: 'name,email', 'q': 'a b+c~!*()' });
    get.query.append('tag', 'b');
    get.query.append('tag', 'a');
    scheme.apply(credentials, resolved, {}, get, client);
    expect(get.headers.authorization).toMatch(/^OAuth /);
    expect((await send(get)).status).toBe(200);

    const post = outgoing('POST', '/statuses/update');
    post.form = new URLSearchParams({ status: 'Hello Ladies + Gentlemen, a signed OAuth request!' });
    scheme.apply(credentials, resolved, {}, post, client);
    const posted = await send(post);
    expect(posted.status).toBe(200);
    expect(await posted.json()).toEqual({ user: 'ada', method: 'POST' });
  });

  it('signs proxied API calls the provider verifies: query string and form body included', async () => {
    expect(accountId).toBeDefined();
    const verdicts = provider.verdicts.length;
    const get = await fetch(`${server.url}/api/v1/proxy/${accountId}/me?fields=name,email&tag=b&tag=a`, { headers: { 'x-api-key': server.apiKey } });
    expect(get.status).toBe(200);
    expect(await get.json()).toEqual({ user: 'ada', method: 'GET' });

    const post = await fetch(`${server.url}/api/v1/proxy/${accountId}/statuses/update`, {
      method: 'POST',
      headers: { 'x-api-key': server.apiKey, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ status: 'Hello Ladies + Gentlemen, a signed OAuth request!' }).toString(),
    });
    expect(post.status).toBe(200);
    expect(provider.verdicts.slice(verdicts)).toEqual([
      { path: '/api/me', ok: true },
      { path: '/api/statuses/update', ok: true },
    ]);
  });

  it('is refused by the provider when the signature is tampered with or replayed (the verifier is real)', async () => {
    const scheme = findAuthScheme('OAUTH1')!;
    const resolved: ResolvedScheme = { scheme: 'OAUTH1', fields: [], placement: [], baseUrl: `${provider.base}/api` };
    const client = { clientId: CONSUMER.key, clientSecret: CONSUMER.secret };

    const tampered = outgoing('GET', '/me');
    scheme.apply(credentials, resolved, {}, tampered, client);
    tampered.headers.authorization = tampered.headers.authorization!.replace(/oauth_signature="([^"]{4})/, 'oauth_signature="AAAA');
    const refused = await send(tampered);
    expect(refused.status).toBe(401);
    expect(await refused.text()).toBe('oauth_problem=signature_invalid');

    const signedForOtherPath = outgoing('GET', '/me');
    scheme.apply(credentials, resolved, {}, signedForOtherPath, client);
    expect((await send({ ...signedForOtherPath, url: new URL(`${provider.base}/api/admin`) })).status).toBe(401);

    const once = outgoing('GET', '/me');
    scheme.apply(credentials, resolved, {}, once, client);
    expect((await send(once)).status).toBe(200);
    expect((await send(once)).status).toBe(401); // same nonce and timestamp
  });

  it('refuses to sign a request it cannot sign completely', () => {
    const scheme = findAuthScheme('OAUTH1')!;
    const resolved: ResolvedScheme = { scheme: 'OAUTH1', fields: [], placement: [], baseUrl: `${provider.base}/api` };
    expect(() => scheme.apply(credentials, resolved, {}, { headers: {}, query: new URLSearchParams() }, { clientId: CONSUMER.key, clientSecret: CONSUMER.secret })).toThrow(/method and url/);
    expect(() => scheme.apply(credentials, resolved, {}, outgoing('GET', '/me'))).toThrow(/integration client/);
  });

  it('fails the connection when the callback names another request token than the flow obtained', async () => {
    const started = await initiate('oauth1-mixup');
    const browser = new BrowserClient();
    const atProvider = await browser.follow(started.redirectUrl, { stopAt: (url) => url.pathname === '/oauth/authorize' });
    const requestToken = new URL(atProvider.url).searchParams.get('oauth_token') ?? '';
    const pending = provider.requestTokens.get(requestToken);
    expect(pending).toBeDefined();
    // The callback carries authlink's state (OAuth 1.0a has none of its own).
    expect(new URL(pending!.callback).searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const forged = new URL(pending!.callback);
    forged.searchParams.set('oauth_token', 'someone-elses-request-token');
    forged.searchParams.set('oauth_verifier', pending!.verifier);
    const end = await browser.follow(forged.href, { stopAt: (url) => url.hostname === 'app.example' });
    expect(Object.fromEntries(new URL(end.url).searchParams)).toMatchObject({ status: 'failed', error: 'token_mismatch' });
    const account = await server.api('GET', `/api/v1/connected-accounts/${started.connectedAccountId}`);
    expect(account.body.status).toBe('FAILED');
    expect(provider.verdicts.at(-1)?.path).toBe('/oauth/request_token'); // no access token request was made
  });

  it('fails the connection when the user denies access (no verifier)', async () => {
    const started = await initiate('oauth1-denied');
    const browser = new BrowserClient();
    const atProvider = await browser.follow(started.redirectUrl, { stopAt: (url) => url.pathname === '/oauth/authorize' });
    const requestToken = new URL(atProvider.url).searchParams.get('oauth_token') ?? '';
    const denied = new URL(provider.requestTokens.get(requestToken)!.callback);
    denied.searchParams.set('denied', requestToken);
    const end = await browser.follow(denied.href, { stopAt: (url) => url.hostname === 'app.example' });
    expect(Object.fromEntries(new URL(end.url).searchParams)).toMatchObject({ status: 'failed', error: 'access_denied' });
  });

  it('needs an app that declares its request token endpoint, and the consumer secret', async () => {
    const outside = await server.api('POST', '/api/v1/integrations', { app: 'some-oauth1-app', authScheme: 'OAUTH1', authConfig: { clientId: 'k', clientSecret: 's' } });
    expect(outside.status).toBe(400);
    expect(outside.body.code).toBe('UNSUPPORTED_AUTH_SCHEME');
    const noSecret = await server.api('POST', '/api/v1/integrations', { app: 'acme-oauth1', authConfig: { clientId: 'k' } });
    expect(noSecret.status).toBe(400);
    expect(noSecret.body.errors).toEqual([expect.objectContaining({ path: '/authConfig/clientSecret' })]);
  });
});
