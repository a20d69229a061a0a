/**
 * Several REAL `authlink serve` processes (the build output) on ONE PostgreSQL database behave as
 * one service. The test plays the load balancer: every process has the same public URL (A's), and
 * each request goes to whichever process the test picks. A, B, C use the default refresh lease;
 * D and E use a 5-second one (AUTHLINK_REFRESH_LEASE_SECONDS=5) for the lease hand-over tests.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type ClientRequest, type RequestListener } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { loadConfig, openRuntime } from '@authlink/server';
import pg from 'pg';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../../core/test/support/test-databases.js';
import { authorizeAtOidcPeer, BrowserClient } from './support/browser-client.js';
import { TEST_CLIENT } from './support/oauth-connection.js';
import { randomAccountId, startOidcPeer, type OidcPeer } from './support/oidc-peer.js';
import { CLI, REPO_ROOT, within } from './support/built-cli.js';
import { freePort } from './support/test-server.js';

const execFileAsync = promisify(execFile);
const API_KEY = `mp-key-${randomBytes(12).toString('base64url')}`;
// Short enough for the hand-over tests; 3 s left too little slack on a loaded machine (the test of
// a provider slower than the lease once saw two refreshes in a full run, and passed alone).
const SHORT_LEASE_SECONDS = 5;
const WAIT_MS = 20_000;
const READS = 1000;

interface Node {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Exit code, or the signal name when killed. */
  exited: Promise<number | string>;
}

const children = new Set<Node>();
const closers: Array<() => Promise<unknown>> = [];

/** Polls `check` every 20 ms until it is true; fails after `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Starts `authlink serve` on `port` and resolves once it answers /healthz. */
async function serve(name: string, port: number, env: Record<string, string>): Promise<Node> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AUTHLINK_')) clean[key] = value;
  const child = spawn(process.execPath, [CLI, 'serve'], { cwd: REPO_ROOT, env: { ...clean, ...env, AUTHLINK_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: string) => (output = (output + chunk).slice(-4000));
  child.stdout!.setEncoding('utf8').on('data', keep);
  child.stderr!.setEncoding('utf8').on('data', keep);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const node: Node = { name, port, url: `http://127.0.0.1:${port}`, child, output: () => output, exited };
  children.add(node);
  void exited.then(() => children.delete(node));
  await until(
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited before serving: ${output}`);
      return fetch(`${node.url}/healthz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.status === 200, () => false);
    },
    WAIT_MS,
    `${name} to answer /healthz: ${output}`,
  );
  return node;
}

function exitOf(node: Node, ms = WAIT_MS): Promise<number | string> {
  return within(node.exited, ms, () => `${node.name} did not exit: ${node.output()}`);
}

async function api(node: Node, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${node.url}${path}`, {
    method,
    headers: { 'x-api-key': API_KEY, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

/** The same URL on another process (what a load balancer does). */
function onNode(url: string, node: Node): string {
  const moved = new URL(url);
  moved.port = String(node.port);
  return moved.href;
}

async function listen(handler: RequestListener): Promise<string> {
  const server = createServer(handler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => new Promise((resolve) => server.close(resolve).closeAllConnections()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * Forwards to `target`, holding `grant_type=refresh_token` requests for `delayMs`. The request of a
 * client that goes away (a killed process) is dropped: it never reaches the provider.
 */
async function startDelayingProxy(target: string, delayMs: number) {
  const stats = { slowArrived: 0, dropped: 0 };
  const url = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let upstream: ClientRequest | undefined;
      const forward = () => {
        upstream = httpRequest(`${target}${req.url}`, { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        upstream.end(body);
      };
      const slow = body.toString('utf8').includes('grant_type=refresh_token');
      if (slow) stats.slowArrived += 1;
      const timer = slow ? setTimeout(forward, delayMs) : undefined;
      if (!slow) forward();
      res.on('close', () => {
        if (res.writableFinished) return;
        clearTimeout(timer);
        upstream?.destroy();
        stats.dropped += 1;
      });
    });
  });
  return { url, stats };
}

/** Whether a NEW TCP connection to the port is refused. */
function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe.skipIf(testDatabaseKind() !== 'postgres')('several authlink serve processes on one PostgreSQL database', () => {
  let database: TestDatabase;
  let db: pg.Client;
  let env: Record<string, string>;
  let A: Node, B: Node, C: Node, D: Node, E: Node;

  async function startPeer(accessTokenTtlSeconds?: number): Promise<OidcPeer> {
    const peer = await startOidcPeer({ clients: [{ ...TEST_CLIENT, redirectUris: [`${A.url}/oauth/callback`] }], ...(accessTokenTtlSeconds && { accessTokenTtlSeconds }) });
    closers.push(() => peer.close());
    return peer;
  }

  /** Creates an OAuth integration and connects a fresh user through the whole browser flow (all on A). */
  async function connectAccount(app: string, authConfig: Record<string, unknown>): Promise<string> {
    const integration = await api(A, 'POST', '/api/v1/integrations', { app, authScheme: 'OAUTH2', authConfig: { ...TEST_CLIENT, ...authConfig } });
    expect(integration.status, JSON.stringify(integration.body)).toBe(201);
    const login = randomAccountId();
    const started = await api(A, 'POST', '/api/v1/connected-accounts', { integrationId: integration.body.id, entityId: login });
    const page = await authorizeAtOidcPeer(new BrowserClient(), started.body.redirectUrl, { login, consent: 'approve' });
    expect(page.status, page.body.slice(0, 300)).toBe(200);
    const account = await api(A, 'GET', `/api/v1/connected-accounts/${started.body.connectedAccountId}`);
    expect(account.body.status, account.body.statusReason).toBe('ACTIVE');
    return started.body.connectedAccountId as string;
  }

  /** A peer whose refresh grants are held `delayMs` by a proxy, and an account connected through it. */
  async function slowRefreshAccount(app: string, delayMs: number, ttl?: number) {
    const peer = await startPeer(ttl);
    const proxy = await startDelayingProxy(peer.issuer, delayMs);
    const id = await connectAccount(app, { authorizationUrl: peer.authorizationEndpoint, tokenUrl: `${proxy.url}/token`, scopes: ['profile'] });
    const leaseOwner = async () => (await db.query('SELECT refresh_lease_owner FROM connected_accounts WHERE id = $1', [id])).rows[0]?.refresh_lease_owner ?? null;
    const refreshes = () => peer.tokenRequests.filter((r) => r.grantType === 'refresh_token');
    return { peer, proxy, id, leaseOwner, refreshes };
  }

  /** An account whose API (node:http, answering after `?ms=`) is called through `node`'s proxy route. */
  async function slowApiAccount(node: Node) {
    const upstream = { arrivals: 0 };
    const url = await listen((req, res) => {
      upstream.arrivals += 1;
      const timer = setTimeout(() => res.writeHead(200).end('ok'), Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms')));
      res.on('close', () => clearTimeout(timer));
    });
    const created = await api(node, 'POST', '/api/v1/connected-accounts', { app: `slow-api-${node.name.toLowerCase()}`, authScheme: 'BEARER_TOKEN', authConfig: { baseUrl: `${url}/v1` }, data: { token: 't' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const call = (ms: number) =>
      fetch(`${node.url}/api/v1/proxy/${created.body.connectedAccountId}/slow?ms=${ms}`, { headers: { 'x-api-key': API_KEY }, signal: AbortSignal.timeout(15_000) }).then(
        async (response) => ({ status: response.status, body: await response.text() }),
        (error: unknown) => error,
      );
    return { upstream, call };
  }

  beforeAll(async () => {
    expect(existsSync(CLI)).toBe(true); // built by vitest.global-setup.ts
    database = await createTestDatabase('postgres');
    const dataDir = mkdtempSync(join(tmpdir(), 'authlink-mp-'));
    closers.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const ports = await Promise.all(Array.from({ length: 5 }, () => freePort()));
    env = {
      AUTHLINK_DATABASE_URL: database.url,
      AUTHLINK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      AUTHLINK_API_KEY: API_KEY,
      AUTHLINK_PUBLIC_URL: `http://127.0.0.1:${ports[0]}`,
      AUTHLINK_DATA_DIR: dataDir,
      AUTHLINK_LOG_LEVEL: 'warn',
    };
    // A first, the rest together: starting together is a test of its own below.
    A = await serve('A', ports[0]!, env);
    const short = { ...env, AUTHLINK_REFRESH_LEASE_SECONDS: String(SHORT_LEASE_SECONDS) };
    [B, C, D, E] = await Promise.all([serve('B', ports[1]!, env), serve('C', ports[2]!, env), serve('D', ports[3]!, short), serve('E', ports[4]!, short)]);
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
  }, 180_000);

  afterAll(async () => {
    const left = [...children];
    for (const node of left) node.child.kill('SIGKILL');
    await Promise.all(left.map((node) => exitOf(node, 5_000).catch(() => undefined)));
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await db?.end().catch(() => undefined);
    await database?.drop();
  }, 60_000);

  it('completes a flow whose callback lands on another process; the link and the state are single-use across processes', async () => {
    const peer = await startPeer();
    const integration = await api(A, 'POST', '/api/v1/integrations', { app: 'acme-idp', authScheme: 'OAUTH2', authConfig: { issuer: peer.issuer, ...TEST_CLIENT, scopes: ['openid', 'email'] } });
    expect(integration.status, JSON.stringify(integration.body)).toBe(201);
    const login = randomAccountId();
    const started = await api(A, 'POST', '/api/v1/connected-accounts', { integrationId: integration.body.id, entityId: login });
    expect(started.body.connectionStatus).toBe('INITIATED');
    expect(started.body.redirectUrl.startsWith(`${A.url}/connect/`)).toBe(true);
    const id = started.body.connectedAccountId as string;

    const browser = new BrowserClient();
    const landing = await authorizeAtOidcPeer(browser, started.body.redirectUrl, { login, consent: 'approve', stopAt: (url) => url.pathname === '/oauth/callback' });
    expect(new URL(landing.url).origin).toBe(A.url);
    expect(new URL(landing.url).searchParams.get('code')).toBeTruthy();

    // The link was opened on A: B refuses it.
    const reopened = await fetch(onNode(started.body.redirectUrl, B), { redirect: 'manual' });
    expect(reopened.status).toBe(410);
    expect(reopened.headers.get('location')).toBeNull();

    // The balancer sends the callback to B, with the cookies this browser holds for the public URL.
    const cookie = Object.entries(browser.cookiesFor(landing.url)).map(([name, value]) => `${name}=${value}`).join('; ');
    const headers: Record<string, string> = cookie === '' ? {} : { cookie };
    const completed = await fetch(onNode(landing.url, B), { redirect: 'manual', headers });
    expect(completed.status, await completed.text()).toBe(200);
    for (const node of [C, A]) expect((await api(node, 'GET', `/api/v1/connected-accounts/${id}`)).body.status).toBe('ACTIVE');
    const credentials = await api(C, 'GET', `/api/v1/connected-accounts/${id}/credentials`);
    expect(credentials.status).toBe(200);
    expect(credentials.body.credentials.accessToken).toEqual(expect.any(String));

    // The same callback replayed on C changes nothing.
    const replayed = await fetch(onNode(landing.url, C), { redirect: 'manual', headers });
    expect(replayed.status).toBe(400);
    expect(await replayed.text()).toContain('already used');
    expect((await api(B, 'GET', `/api/v1/connected-accounts/${id}`)).body.status).toBe('ACTIVE');
    expect(peer.grants.authorizationCode).toBe(1);
    expect(peer.serverErrors).toEqual([]);
  });

  it(`renews an expiring token with ONE grant for ${READS} concurrent reads spread over the processes`, async () => {
    // Long enough that the renewed token is not due again before the burst is over (3-8 s here).
    const ttl = 20;
    const peer = await startPeer(ttl);
    const id = await connectAccount('burst-idp', { issuer: peer.issuer, scopes: ['openid', 'email'] });
    const before = (await api(B, 'GET', `/api/v1/connected-accounts/${id}/credentials`)).body.credentials.accessToken as string;
    await sleep(ttl * 750 + 200); // in the last quarter of the token's lifetime: due
    const grantsBefore = peer.grants.refreshToken;

    const nodes = [A, B, C];
    const agent = new Agent({ connections: READS, headersTimeout: 20_000, bodyTimeout: 20_000 });
    const startedAt = Date.now();
    const reads = await within(
      Promise.all(
        Array.from({ length: READS }, async (_, i) => {
          const response = await request(`${nodes[i % nodes.length]!.url}/api/v1/connected-accounts/${id}/credentials`, { dispatcher: agent, headers: { 'x-api-key': API_KEY } });
          const body = (await response.body.json()) as any;
          return { status: response.statusCode, token: body?.credentials?.accessToken as string | undefined, code: body?.code as string | undefined };
        }),
      ),
      30_000,
      () => 'the burst of reads did not finish',
    ).finally(() => agent.close());
    const elapsedMs = Date.now() - startedAt;
    const grants = peer.grants.refreshToken - grantsBefore;
    console.log(`multi-process: ${grants} refresh grants for ${READS} concurrent reads on ${nodes.length} processes (${elapsedMs} ms)`);

    // No refresh token was presented twice: a reused one would have failed with invalid_grant.
    expect(peer.tokenRequests.filter((r) => r.grantType === 'refresh_token')).toEqual([{ grantType: 'refresh_token', ok: true }]);
    expect(grants).toBe(1);
    expect(reads.filter((read) => read.status !== 200)).toEqual([]);
    const tokens = new Set(reads.map((read) => read.token));
    expect(tokens.size).toBe(1);
    expect(tokens.has(before)).toBe(false);
    expect(peer.serverErrors).toEqual([]);
  }, 90_000);

  it('refreshes once when the provider is slower than the lease', async () => {
    const { peer, id, refreshes } = await slowRefreshAccount('slower-than-lease-idp', SHORT_LEASE_SECONDS * 1000 + 1_000);
    const first = api(D, 'POST', `/api/v1/connected-accounts/${id}/refresh`);
    await sleep(200);
    const second = api(E, 'POST', `/api/v1/connected-accounts/${id}/refresh`);
    const answers = await within(Promise.all([first, second]), 20_000, () => 'the refreshes did not finish');
    const account = await api(C, 'GET', `/api/v1/connected-accounts/${id}`);
    console.log(`multi-process: refresh slower than the lease: ${JSON.stringify(refreshes())}, account ${account.body.status} (${account.body.statusReason})`);
    expect(refreshes()).toEqual([{ grantType: 'refresh_token', ok: true }]);
    expect(peer.grants.refreshToken).toBe(1);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(account.body.status).toBe('ACTIVE');
  }, 40_000);

  it('lets another process take over the lease of a process killed while refreshing', async () => {
    // Refreshes take 2 s at the "provider", so D is caught holding the lease; the proxy drops D's
    // request when D dies, so D's grant never reaches the provider (see the report).
    const ttl = 3;
    const { peer, proxy, id, leaseOwner, refreshes } = await slowRefreshAccount('slow-idp', 2_000, ttl);
    const connectedAt = Date.now();
    const onD = api(D, 'POST', `/api/v1/connected-accounts/${id}/refresh`).catch((error: unknown) => error);
    await until(async () => proxy.stats.slowArrived === 1 && (await leaseOwner()) !== null, 5_000, 'D to hold the lease with its refresh at the provider');
    D.child.kill('SIGKILL');
    const killedAt = Date.now();
    expect(await exitOf(D)).toBe('SIGKILL');
    expect(await within(onD, 5_000, () => 'the refresh call on D did not settle')).toBeInstanceOf(Error);
    await until(() => proxy.stats.dropped === 1, 5_000, 'the proxy to drop D request');

    // Once the token is due, E reads it while the dead process's lease still runs.
    await sleep(Math.max(0, connectedAt + ttl * 800 - Date.now()));
    expect(await leaseOwner()).not.toBeNull();
    const readAt = Date.now();
    const read = await api(E, 'GET', `/api/v1/connected-accounts/${id}/credentials`);
    const doneAt = Date.now();
    console.log(`multi-process: E answered ${doneAt - killedAt} ms after the lease holder was killed, waiting ${doneAt - readAt} ms (lease ${SHORT_LEASE_SECONDS} s, provider delay 2 s)`);
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expect(doneAt - readAt).toBeGreaterThan(2_000); // a refresh through the 2-s provider, after the lease ran out
    expect(doneAt - killedAt).toBeLessThan(SHORT_LEASE_SECONDS * 1000 + 4_000);
    const token = read.body.credentials.accessToken as string;
    const introspected = await fetch(`${peer.issuer}/token/introspection`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${TEST_CLIENT.clientId}:${TEST_CLIENT.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(((await introspected.json()) as { active: boolean }).active).toBe(true);
    expect(peer.grants.refreshToken).toBe(1);
    expect(await leaseOwner()).toBeNull();
    expect((await api(C, 'GET', `/api/v1/connected-accounts/${id}`)).body).toMatchObject({ status: 'ACTIVE', statusReason: null });

    // Nothing lost: the stored refresh token is the provider's latest, and it still works.
    const again = await api(C, 'POST', `/api/v1/connected-accounts/${id}/refresh`);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.status).toBe('ACTIVE');
    expect(peer.grants.refreshToken).toBe(2);
    expect(refreshes().every((r) => r.ok)).toBe(true);
    expect(peer.serverErrors).toEqual([]);
  }, 60_000);

  it('rotates the encryption key while two processes serve reads: 0 failed reads, then the old key can go', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i += 1) {
      const created = await api(A, 'POST', '/api/v1/connected-accounts', { app: 'rotation-app', authScheme: 'API_KEY', entityId: `rot-${i}`, data: { apiKey: `sk-rot-${i}` } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      ids.push(created.body.connectedAccountId as string);
    }
    // The earlier tests' OAuth accounts are still refreshed in the background by A–E, which write
    // with the old key: a rotation is finished only once every node writes with the new one, and
    // these nodes never will. Their accounts go, so that what is measured is the rotation itself.
    await db.query("DELETE FROM connected_accounts WHERE app <> 'rotation-app'");
    const newKey = randomBytes(32).toString('base64');
    const rotatedEnv = { ...env, AUTHLINK_ENCRYPTION_KEY: newKey, AUTHLINK_PREVIOUS_ENCRYPTION_KEYS: env.AUTHLINK_ENCRYPTION_KEY! };
    const [portF, portG, portH] = [await freePort(), await freePort(), await freePort()];
    const [F, G] = await Promise.all([serve('F', portF!, rotatedEnv), serve('G', portG!, rotatedEnv)]);

    let reads = 0;
    let failed = 0;
    let running = true;
    const load = (async () => {
      while (running) {
        const answers = await Promise.all(ids.map((id, i) => api(i % 2 === 0 ? F : G, 'GET', `/api/v1/connected-accounts/${id}/credentials`)));
        reads += answers.length;
        failed += answers.filter((answer) => answer.status !== 200).length;
      }
    })();
    const cli = (args: string[]) => execFileAsync(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...rotatedEnv }, timeout: 60_000 });
    const rotated = await cli(['keys', 'rotate', '--batch-size', '5']);
    running = false;
    await load;
    console.log(`multi-process key rotation: ${reads} reads on 2 processes during rotation, ${failed} failed; ${rotated.stdout.trim()}`);
    expect(failed).toBe(0);
    expect(reads).toBeGreaterThan(0);
    const status = JSON.parse((await cli(['keys', 'status', '--json'])).stdout) as { currentKeyId: string; ciphertextsByKey: Record<string, number> };
    expect(Object.keys(status.ciphertextsByKey)).toEqual([status.currentKeyId]);

    // A process that no longer has the old key reads every secret.
    const H = await serve('H', portH!, { ...env, AUTHLINK_ENCRYPTION_KEY: newKey });
    const answers = await Promise.all(ids.map((id) => api(H, 'GET', `/api/v1/connected-accounts/${id}/credentials`)));
    expect(answers.map((answer) => answer.body.credentials?.apiKey)).toEqual(ids.map((_, i) => `sk-rot-${i}`));
    for (const node of [F, G, H]) node.child.kill('SIGTERM');
  }, 120_000);

  it('starts processes together on a fresh database', async () => {
    const fresh = await createTestDatabase('postgres');
    closers.push(() => fresh.drop());
    const freshEnv = { ...env, AUTHLINK_DATABASE_URL: fresh.url };
    await (await openRuntime(loadConfig({ ...freshEnv, AUTHLINK_API_KEY: '' }))).close(); // migrated, no project yet
    const blocker = new pg.Client({ connectionString: fresh.url });
    await blocker.connect();
    closers.push(() => blocker.end());
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE projects IN ACCESS EXCLUSIVE MODE');
    const ports = [await freePort(), await freePort()];
    const started = Promise.allSettled(ports.map((port, i) => serve(`fresh-${i}`, port, freshEnv)));
    const waiting = "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
    // In a transaction pg_stat_activity is a snapshot: clear it on every look.
    await until(async () => (await blocker.query('SELECT pg_stat_clear_snapshot()').then(() => blocker.query(waiting))).rows[0].n >= ports.length, WAIT_MS, 'both processes to wait');
    await blocker.query('COMMIT');
    const outcomes = await started;
    expect(outcomes.map((outcome) => (outcome.status === 'rejected' ? String(outcome.reason).slice(0, 200) : 'serving'))).toEqual(['serving', 'serving']);
  }, 60_000);

  it('drains in-flight requests on SIGTERM, refuses new connections and exits 0', async () => {
    const { upstream, call } = await slowApiAccount(B);
    let settled = false;
    const inFlight = call(1500).finally(() => (settled = true));
    await until(() => upstream.arrivals === 1, 5_000, 'the proxied request to reach the upstream');
    B.child.kill('SIGTERM');
    await until(() => refusesConnections(B.port), 1_000, 'B to refuse new connections');
    expect(settled).toBe(false); // refused while the request was still in flight
    expect(await within(inFlight, 10_000, () => 'the in-flight request did not finish')).toEqual({ status: 200, body: 'ok' });
    expect(await exitOf(B, 10_000)).toBe(0);
  }, 30_000);

  it('exits at once on a second SIGTERM during shutdown', async () => {
    const { upstream, call } = await slowApiAccount(C);
    const longOne = call(10_000);
    await until(() => upstream.arrivals === 1, 5_000, 'the proxied request to reach the upstream');
    C.child.kill('SIGTERM');
    await sleep(200);
    expect(C.child.exitCode).toBeNull(); // still draining
    const signalledAt = Date.now();
    C.child.kill('SIGTERM');
    expect(await exitOf(C, 2_000)).not.toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(2_000);
    expect(await longOne).toBeInstanceOf(Error);
  }, 30_000);
});
