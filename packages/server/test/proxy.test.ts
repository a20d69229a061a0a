/**
 * `ANY /api/v1/proxy/{id}/{path}` against a real authlink server and a real HTTP upstream on
 * loopback: what the app receives, what the caller gets back, and what never leaves authlink.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthLink } from '@authlink/sdk';
import { buildApp } from '@authlink/server';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectOAuthAccount, createOidcIntegration, TEST_CLIENT } from './support/oauth-connection.js';
import { startOidcPeer, type OidcPeer } from './support/oidc-peer.js';
import { createProject, freePort, startTestServer, type TestServer } from './support/test-server.js';

const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Seen {
  /** The client port of the connection it came on: equal ports, one reused connection. */
  port: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bytes: number;
  sha256: string;
}

/** A plain node:http API that records every request it receives and answers by path. */
class Upstream {
  readonly seen: Seen[] = [];
  arrivals = 0;
  /** Requests whose connection closed before they were answered. */
  abandoned = 0;
  /** Bytes of the request body in progress, for the streaming tests. */
  receiving = 0;
  release: () => void = () => {};
  readonly bigBody = randomBytes(5 * MiB);
  readonly #firstTokens = new Map<string, string>();
  #server!: Server;
  url = '';

  async start(): Promise<void> {
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  hits(path: string): Seen[] {
    return this.seen.filter((s) => s.url.split('?')[0] === path);
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    this.arrivals += 1;
    const hash = createHash('sha256');
    let bytes = 0;
    this.receiving = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      this.receiving = bytes;
      hash.update(chunk);
    });
    req.on('end', () => {
      const seen = { port: req.socket.remotePort ?? 0, method: req.method ?? '', url: req.url ?? '', headers: req.headers, bytes, sha256: hash.digest('hex') };
      this.seen.push(seen);
      this.#answer(seen, res);
    });
  }

  #answer(seen: Seen, res: ServerResponse): void {
    const json = (status: number, body: unknown, headers: Record<string, string | string[]> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    const path = seen.url.split('?')[0] ?? '';
    const token = seen.headers.authorization ?? '';
    switch (path) {
      case '/v1/created':
        return json(201, { created: true }, {
          'x-custom': 'yes',
          connection: 'keep-alive, x-hop',
          'x-hop': 'connection-specific',
          'keep-alive': 'timeout=5, max=77',
          'set-cookie': ['session=upstream; HttpOnly', 'other=1'],
          'alt-svc': 'h3=":443"',
        });
      case '/v1/missing':
        return json(404, { message: 'Not Found' });
      case '/v1/empty':
        return void res.writeHead(204).end();
      case '/v1/big':
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(this.bigBody.length) });
        return void res.end(this.bigBody);
      case '/v1/drip':
        // Half now, half once the test has seen the first half arrive through the proxy.
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first|');
        this.release = () => res.end('second');
        return;
      case '/v1/hang':
        res.on('close', () => {
          if (!res.writableFinished) this.abandoned += 1;
        });
        return; // never answers
      case '/v1/always-401':
        return json(401, { message: 'Bad credentials' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
      case '/v1/redirect-away':
        return void res.writeHead(302, { location: decoy.url + '/v1/echo' }).end();
      case '/v1/redirect-home':
        return void res.writeHead(302, { location: '/v1/echo?via=redirect' }).end();
      case '/v1/redirect-loop':
        return void res.writeHead(302, { location: '/v1/redirect-loop' }).end();
      case '/v1/see-other':
        return void res.writeHead(303, { location: 'echo?after=post' }).end();
      default:
        if (path.startsWith('/v1/reject-first/')) {
          // 401 for the first token this path sees, 200 for any other: an access token that expired early.
          const first = this.#firstTokens.get(path) ?? token;
          this.#firstTokens.set(path, first);
          return token === first ? json(401, { message: 'token expired' }) : json(200, { ok: true, bytes: seen.bytes, sha256: seen.sha256 });
        }
        return json(200, { method: seen.method, url: seen.url, bytes: seen.bytes, sha256: seen.sha256 });
    }
  }
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: any;
}

/**
 * A request whose path goes out byte for byte (fetch would resolve "..", drop "\" and the like).
 * `body` may be a function that writes a streamed body itself.
 */
function call(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: Buffer | string | ((req: ReturnType<typeof httpRequest>) => Promise<void>); base?: string; onFirstChunk?: () => void } = {},
): Promise<Answer> {
  const base = new URL(options.base ?? server.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: base.hostname, port: base.port, method, path, headers: { 'x-api-key': server.apiKey, ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        if (chunks.length === 0) options.onFirstChunk?.();
        chunks.push(chunk);
      });
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        let body: unknown = raw.toString('utf8');
        try {
          body = JSON.parse(body as string);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (typeof options.body === 'function') options.body(req).catch(reject);
    else req.end(options.body);
  });
}

async function initiate(body: Record<string, unknown>, key = server.apiKey): Promise<string> {
  const created = await server.api('POST', '/api/v1/connected-accounts', body, key);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect(created.body.connectionStatus).toBe('ACTIVE');
  return created.body.connectedAccountId as string;
}

let server: TestServer;
let upstream: Upstream;
let decoy: Upstream;
let peer: OidcPeer;
const ids = { bearer: '', basic: '', apiKey: '', shopify: '', github: '', openweather: '', oauth: '' };
const OPENWEATHER_KEY = '0123456789abcdef0123456789abcdef';

beforeAll(async () => {
  server = await startTestServer({ logLevel: 'warn' });
  upstream = new Upstream();
  decoy = new Upstream();
  await Promise.all([upstream.start(), decoy.start()]);
  const baseUrl = `${upstream.url}/v1`;
  ids.bearer = await initiate({ app: 'local-bearer', authScheme: 'BEARER_TOKEN', authConfig: { baseUrl }, data: { token: 'bearer-secret' } });
  ids.basic = await initiate({ app: 'local-basic', authScheme: 'BASIC', authConfig: { baseUrl }, data: { username: 'alice', password: 'pa:ss' } });
  ids.apiKey = await initiate({ app: 'local-key', authScheme: 'API_KEY', authConfig: { baseUrl }, data: { apiKey: 'key-secret' } });
  // Catalog apps pointed at the local upstream: Shopify's custom header and templated base URL, GitHub's default headers.
  ids.shopify = await initiate({
    app: 'shopify',
    authScheme: 'API_KEY',
    authConfig: { baseUrl: `${upstream.url}/{shop}/admin/api/2025-01` },
    data: { shop: 'acme', apiKey: 'shpat_secret' },
  });
  ids.github = await initiate({ app: 'github', authScheme: 'API_KEY', authConfig: { baseUrl }, data: { apiKey: 'ghp_secret' } });
  // OpenWeather places its key in the query string (appid).
  ids.openweather = await initiate({ app: 'openweather', authScheme: 'API_KEY', authConfig: { baseUrl }, data: { apiKey: OPENWEATHER_KEY } });

  peer = await startOidcPeer({ clients: [{ ...TEST_CLIENT, redirectUris: [`${server.url}/oauth/callback`] }] });
  const integrationId = await createOidcIntegration(server, peer, 'acme-api');
  const patched = await server.api('PATCH', `/api/v1/integrations/${integrationId}`, { authConfig: { baseUrl } });
  expect(patched.status).toBe(200);
  ids.oauth = await connectOAuthAccount(server, integrationId, 'proxy-user');
});

afterAll(async () => {
  await server?.close();
  await Promise.all([upstream?.close(), decoy?.close(), peer?.close()]);
});

describe('credentials', () => {
  it('sends a bearer token, basic credentials and an API key the way each scheme says', async () => {
    await call('GET', `/api/v1/proxy/${ids.bearer}/echo`);
    await call('GET', `/api/v1/proxy/${ids.basic}/echo`);
    await call('GET', `/api/v1/proxy/${ids.apiKey}/echo`);
    const [bearer, basic, apiKey] = upstream.hits('/v1/echo').slice(-3);
    expect(bearer?.headers.authorization).toBe('Bearer bearer-secret');
    expect(basic?.headers.authorization).toBe(`Basic ${Buffer.from('alice:pa:ss').toString('base64')}`);
    expect(apiKey?.headers.authorization).toBe('Bearer key-secret');
  });

  it("puts Shopify's token in its own header, on the base URL templated with the shop, and forwards no Authorization", async () => {
    const answer = await call('GET', `/api/v1/proxy/${ids.shopify}/shop.json`, { headers: { 'x-api-key': '', authorization: `Bearer ${server.apiKey}` } });
    expect(answer.status).toBe(200);
    const seen = upstream.seen.at(-1)!;
    expect(seen.url).toBe('/acme/admin/api/2025-01/shop.json');
    expect(seen.headers['x-shopify-access-token']).toBe('shpat_secret');
    expect(seen.headers.authorization).toBeUndefined();
  });

  it("puts a query credential on every call (OpenWeather's appid), in place of the caller's parameter of that name", async () => {
    for (const n of [1, 2]) {
      const answer = await call('GET', `/api/v1/proxy/${ids.openweather}/data/2.5/weather?q=London&appid=mine&n=${n}`);
      expect(answer.status).toBe(200);
    }
    const hits = upstream.hits('/v1/data/2.5/weather').slice(-2);
    expect(hits.map((hit) => new URL(hit.url, upstream.url).searchParams.get('n'))).toEqual(['1', '2']);
    for (const hit of hits) {
      const query = new URL(hit.url, upstream.url).searchParams;
      expect(query.getAll('appid')).toEqual([OPENWEATHER_KEY]);
      expect(query.get('q')).toBe('London');
      expect(hit.headers.authorization).toBeUndefined();
    }
  });

  it("adds the app's default headers, lets the caller override them, and never lets it override the credentials", async () => {
    await call('GET', `/api/v1/proxy/${ids.github}/user`, { headers: { accept: 'application/vnd.github.raw+json', authorization: 'Bearer forged' } });
    const seen = upstream.seen.at(-1)!;
    expect(seen.headers['x-github-api-version']).toBe('2022-11-28');
    expect(seen.headers.accept).toBe('application/vnd.github.raw+json');
    expect(seen.headers.authorization).toBe('Bearer ghp_secret');
  });

  it("never forwards the caller's authlink key, in x-api-key or in Authorization", async () => {
    await call('GET', `/api/v1/proxy/${ids.bearer}/echo`);
    await call('GET', `/api/v1/proxy/${ids.bearer}/echo`, { headers: { 'x-api-key': '', authorization: `Bearer ${server.apiKey}` } });
    for (const seen of upstream.hits('/v1/echo').slice(-2)) {
      expect(seen.headers['x-api-key']).toBeUndefined();
      expect(seen.headers.authorization).toBe('Bearer bearer-secret');
      expect(JSON.stringify(seen.headers)).not.toContain(server.apiKey);
    }
  });
});

describe('request', () => {
  it('keeps the query string as sent', async () => {
    const answer = await call('GET', `/api/v1/proxy/${ids.bearer}/echo?b=2&a=1&a=%20x&q=a+b&empty=`);
    expect(answer.body.url).toBe('/v1/echo?b=2&a=1&a=%20x&q=a+b&empty=');
  });

  it('forwards a long path whole', async () => {
    const long = `/echo/${'a'.repeat(2000)}`;
    const answer = await call('GET', `/api/v1/proxy/${ids.bearer}${long}`);
    expect(answer.body.url).toBe(`/v1${long}`);
  });

  it('forwards end-to-end headers and drops hop-by-hop ones, cookies and forwarding headers', async () => {
    await call('POST', `/api/v1/proxy/${ids.bearer}/echo`, {
      headers: {
        'content-type': 'application/json',
        'x-request-id': 'req-1',
        connection: 'keep-alive, x-secret-hop',
        'x-secret-hop': 'only-for-this-hop',
        'keep-alive': 'timeout=5',
        cookie: 'authlink_session=abc',
        'x-forwarded-for': '10.0.0.1',
        forwarded: 'for=10.0.0.1',
      },
      body: '{}',
    });
    const { headers } = upstream.seen.at(-1)!;
    expect(headers['x-request-id']).toBe('req-1');
    expect(headers['content-type']).toBe('application/json');
    for (const name of ['x-secret-hop', 'cookie', 'x-forwarded-for', 'forwarded']) expect(headers[name], name).toBeUndefined();
    expect(headers['keep-alive']).not.toBe('timeout=5');
    expect(headers.host).toBe(new URL(upstream.url).host);
  });

  it('passes a JSON body through byte for byte, unparsed, and a form body too', async () => {
    const json = '{"a":1,   "b":[1,2] , "a":2}';
    const answer = await call('POST', `/api/v1/proxy/${ids.bearer}/echo`, { headers: { 'content-type': 'application/json' }, body: json });
    expect(answer.body.sha256).toBe(sha256(Buffer.from(json)));
    const form = 'a=1&b=%20';
    const formAnswer = await call('PUT', `/api/v1/proxy/${ids.bearer}/echo`, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    expect(formAnswer.body).toMatchObject({ method: 'PUT', sha256: sha256(Buffer.from(form)) });
    const plain = await call('DELETE', `/api/v1/proxy/${ids.bearer}/echo`, { headers: { 'transfer-encoding': 'chunked' }, body: 'no content type' });
    expect(plain.body).toMatchObject({ method: 'DELETE', bytes: 15 });
  });

  it('streams a 5 MiB request body: the app receives bytes before the caller has sent them all, and all of them', async () => {
    const body = randomBytes(5 * MiB);
    let receivedBeforeEnd = 0;
    const answer = await call('POST', `/api/v1/proxy/${ids.bearer}/upload`, {
      headers: { 'content-type': 'application/octet-stream' }, // chunked: no length to go by
      body: async (req) => {
        req.write(body.subarray(0, 2 * MiB));
        const deadline = Date.now() + 5000;
        while (upstream.receiving === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        receivedBeforeEnd = upstream.receiving;
        req.end(body.subarray(2 * MiB));
      },
    });
    expect(receivedBeforeEnd).toBeGreaterThan(0);
    expect(answer.body).toMatchObject({ bytes: body.length, sha256: sha256(body) });
  });
});

describe('response', () => {
  it('passes the status and end-to-end headers back; drops hop-by-hop fields, cookies and Alt-Svc', async () => {
    const answer = await call('POST', `/api/v1/proxy/${ids.bearer}/created`, { headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ created: true });
    expect(answer.headers['x-custom']).toBe('yes');
    expect(answer.headers['x-authlink-proxy']).toBe('1');
    expect(answer.headers['x-hop']).toBeUndefined();
    expect(answer.headers['keep-alive']).not.toBe('timeout=5, max=77');
    expect(answer.headers['set-cookie']).toBeUndefined();
    expect(answer.headers['alt-svc']).toBeUndefined();
  });

  it('reuses one keep-alive connection to the app across calls', async () => {
    await call('GET', `/api/v1/proxy/${ids.bearer}/echo`);
    await call('GET', `/api/v1/proxy/${ids.basic}/echo`);
    const [a, b] = upstream.hits('/v1/echo').slice(-2);
    expect(a?.port).toBe(b?.port);
  });

  it("passes the app's 404 through as the app wrote it, not as a problem", async () => {
    const answer = await call('GET', `/api/v1/proxy/${ids.bearer}/missing`);
    expect(answer.status).toBe(404);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.body).toEqual({ message: 'Not Found' });
  });

  it('answers 204 and HEAD without a body', async () => {
    expect((await call('DELETE', `/api/v1/proxy/${ids.bearer}/empty`)).status).toBe(204);
    const head = await call('HEAD', `/api/v1/proxy/${ids.bearer}/big`);
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(5 * MiB));
    expect(head.raw.length).toBe(0);
  });

  it('streams a 5 MiB response body whole', async () => {
    const answer = await call('GET', `/api/v1/proxy/${ids.bearer}/big`);
    expect(answer.status).toBe(200);
    expect(answer.raw.length).toBe(5 * MiB);
    expect(sha256(answer.raw)).toBe(sha256(upstream.bigBody));
  });

  it('streams the response: the caller reads the first bytes before the app has finished', async () => {
    const answer = await call('GET', `/api/v1/proxy/${ids.bearer}/drip`, { onFirstChunk: () => upstream.release() });
    expect(answer.raw.toString()).toBe('first|second');
  });
});

describe('401 from the app', () => {
  it('refreshes an OAuth token once and retries once with the new one, replaying the body', async () => {
    const grants = peer.grants.refreshToken;
    const body = JSON.stringify({ note: 'sent twice' });
    const answer = await call('POST', `/api/v1/proxy/${ids.oauth}/reject-first/small`, { headers: { 'content-type': 'application/json' }, body });
    expect(answer.status).toBe(200);
    expect(peer.grants.refreshToken - grants).toBe(1);
    const [first, retry, ...more] = upstream.hits('/v1/reject-first/small');
    expect(more).toHaveLength(0);
    expect(first?.headers.authorization).not.toBe(retry?.headers.authorization);
    expect([first?.sha256, retry?.sha256]).toEqual([sha256(Buffer.from(body)), sha256(Buffer.from(body))]);
  });

  it('does not retry a body over 1 MiB that streamed through: the 401 comes back', async () => {
    const grants = peer.grants.refreshToken;
    const answer = await call('PUT', `/api/v1/proxy/${ids.oauth}/reject-first/large`, { body: randomBytes(2 * MiB) });
    expect(answer.status).toBe(401);
    expect(peer.grants.refreshToken).toBe(grants);
    expect(upstream.hits('/v1/reject-first/large')).toHaveLength(1);
  });

  it('does not retry when refreshing cannot change the credentials (an API key)', async () => {
    const answer = await call('GET', `/api/v1/proxy/${ids.apiKey}/always-401`);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(upstream.hits('/v1/always-401')).toHaveLength(1);
  });
});

describe('redirects', () => {
  it('follows a redirect on the same base, with the credentials', async () => {
    const answer = await call('GET', `/api/v1/proxy/${ids.bearer}/redirect-home`);
    expect(answer.status).toBe(200);
    expect(answer.body.url).toBe('/v1/echo?via=redirect');
    expect(upstream.seen.at(-1)?.headers.authorization).toBe('Bearer bearer-secret');
  });

  it('continues a POST answered with 303 as a GET without the body', async () => {
    const answer = await call('POST', `/api/v1/proxy/${ids.bearer}/see-other`, { headers: { 'content-type': 'text/plain' }, body: 'payload' });
    expect(answer.body).toMatchObject({ method: 'GET', url: '/v1/echo?after=post', bytes: 0 });
    expect(upstream.seen.at(-1)?.headers['content-type']).toBeUndefined();
  });

  it('follows at most 3 redirects, then passes the next one back', async () => {
    const before = upstream.hits('/v1/redirect-loop').length;
    const answer = await call('GET', `/api/v1/proxy/${ids.bearer}/redirect-loop`);
    expect(answer.status).toBe(302);
    expect(upstream.hits('/v1/redirect-loop').length - before).toBe(4);
  });

  it('refuses a redirect to another host with 400 and never requests it', async () => {
    const answer = await call('GET', `/api/v1/proxy/${ids.bearer}/redirect-away`);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('PROXY_TARGET_REFUSED');
    expect(decoy.arrivals).toBe(0);
  });
});

describe('refusals', () => {
  it.each([
    ['an absolute URL in the path', '/http://169.254.169.254/latest/meta-data'],
    ['raw dot segments', '/../../apps'],
    ['encoded dot segments and slashes', '/..%2f..%2fapps'],
    ['percent-encoded dots', '/%2e%2e/%2e%2e/apps'],
    ['a network-path reference', '//evil.example/x'],
    ['"@" in the authority position', '/@evil.example/x'],
    ['backslashes', '/a\\..\\..\\apps'],
    ['encoded backslashes', '/a%5c..%5capps'],
  ])('refuses %s with 400 and the app sees nothing', async (_name, path) => {
    const arrivals = upstream.arrivals;
    const answer = await call('GET', `/api/v1/proxy/${ids.bearer}${path}`);
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.body.code).toBe('PROXY_TARGET_REFUSED');
    expect(upstream.arrivals).toBe(arrivals);
  });

  it('refuses an authority glued to the account id', async () => {
    const answer = await call('GET', `/api/v1/proxy/${ids.bearer}@evil.example/x`);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('VALIDATION_FAILED');
  });

  it("answers 404 for another project's account, and the app sees nothing", async () => {
    const other = await createProject(server, 'proxy-other');
    const theirs = await initiate({ app: 'local-bearer-b', authScheme: 'BEARER_TOKEN', authConfig: { baseUrl: `${upstream.url}/v1` }, data: { token: 'b-secret' } }, other.apiKey);
    const arrivals = upstream.arrivals;
    const answer = await call('GET', `/api/v1/proxy/${theirs}/echo`);
    expect(answer.status).toBe(404);
    expect(answer.body.code).toBe('CONNECTED_ACCOUNT_NOT_FOUND');
    expect(upstream.arrivals).toBe(arrivals);
  });

  it('answers 409 for a disabled account', async () => {
    const id = await initiate({ app: 'local-bearer', data: { token: 'disabled-secret' } });
    expect((await server.api('POST', `/api/v1/connected-accounts/${id}/disable`)).status).toBe(200);
    const answer = await call('POST', `/api/v1/proxy/${id}/echo`, { body: 'x'.repeat(1000) });
    expect(answer.status).toBe(409);
    expect(answer.body.code).toBe('CONNECTION_NOT_ACTIVE');
  });

  it('refuses TRACE, which would echo the credentials back, and the app sees nothing', async () => {
    const arrivals = upstream.arrivals;
    const answer = await call('TRACE', `/api/v1/proxy/${ids.bearer}/echo`);
    expect(answer.status).toBe(405);
    expect(answer.body.code).toBe('METHOD_NOT_ALLOWED');
    expect(upstream.arrivals).toBe(arrivals);
  });
});

describe('upstream failures', () => {
  let shortFuse: FastifyInstance;
  let shortFuseUrl: string;

  beforeAll(async () => {
    shortFuse = await buildApp({ services: server.runtime.services, publicUrl: server.url, proxyTimeoutMs: 300 });
    await shortFuse.listen({ port: 0, host: '127.0.0.1' });
    shortFuseUrl = `http://127.0.0.1:${(shortFuse.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await shortFuse?.close();
  });

  it('answers 504 when the app does not answer in time', async () => {
    const started = Date.now();
    const answer = await call('GET', `/api/v1/proxy/${ids.bearer}/hang`, { base: shortFuseUrl });
    expect(answer.status).toBe(504);
    expect(answer.body.code).toBe('UPSTREAM_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('stops the upstream request when the caller goes away', async () => {
    const abandoned = upstream.abandoned;
    const hits = upstream.hits('/v1/hang').length;
    const req = httpRequest({ host: '127.0.0.1', port: new URL(server.url).port, path: `/api/v1/proxy/${ids.bearer}/hang`, headers: { 'x-api-key': server.apiKey } });
    req.on('error', () => {});
    req.end();
    const deadline = Date.now() + 5000;
    while (upstream.hits('/v1/hang').length === hits && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    req.destroy();
    while (upstream.abandoned === abandoned && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(upstream.abandoned).toBe(abandoned + 1);
  });

  it('answers 502 when the app cannot be reached', async () => {
    const closedPort = await freePort();
    const id = await initiate({ app: 'local-gone', authScheme: 'BEARER_TOKEN', authConfig: { baseUrl: `http://127.0.0.1:${closedPort}/v1` }, data: { token: 't' } });
    const answer = await call('GET', `/api/v1/proxy/${id}/echo`);
    expect(answer.status).toBe(502);
    expect(answer.body.code).toBe('UPSTREAM_UNREACHABLE');
  });
});

describe('SDK', () => {
  it('round-trips through client.proxy, and an app 404 resolves rather than rejects', async () => {
    const client = new AuthLink({ apiKey: server.apiKey, baseUrl: server.url });
    const answer = await client.proxy<{ method: string; url: string; sha256: string }>(ids.bearer, {
      method: 'POST',
      path: '/echo',
      query: { page: 2, tag: ['a', 'b'] },
      body: { hello: 'world' },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['x-authlink-proxy']).toBe('1');
    expect(answer.data).toMatchObject({ method: 'POST', url: '/v1/echo?page=2&tag=a&tag=b', sha256: sha256(Buffer.from('{"hello":"world"}')) });
    await expect(client.proxy(ids.bearer, { path: '/missing' })).resolves.toMatchObject({ status: 404, data: { message: 'Not Found' } });
  });
});

describe('OpenAPI', () => {
  it('documents the proxy route under the proxy tag', async () => {
    const doc = (await server.api('GET', '/openapi.json')).body;
    const path = Object.keys(doc.paths).find((p) => p.startsWith('/api/v1/proxy/'));
    expect(path).toBeDefined();
    expect(doc.paths[path!].get.tags).toEqual(['proxy']);
    expect(Object.keys(doc.paths[path!]).sort()).toEqual(['delete', 'get', 'head', 'options', 'patch', 'post', 'put']);
    expect(doc.paths[path!].get.parameters[0]).toMatchObject({ name: 'connectedAccountId', schema: { pattern: '^[a-z]+_[0-9a-z]+$' } });
  });
});
