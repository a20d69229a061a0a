import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Catalog, Clock, FlowTimings, RefreshPolicy } from '@authlink/core';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp, loadConfig, openRuntime, REDACT_PATHS, type Runtime } from '@authlink/server';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../../../core/test/support/test-databases.js';
import { readAnswer } from './http-answer.js';

export interface TestServer {
  url: string;
  /** The database it runs on (`AUTHLINK_TEST_DATABASE=postgres` puts the suites on PostgreSQL). */
  database: TestDatabase;
  /** AUTHLINK_ENCRYPTION_KEY (PostgreSQL) or undefined (SQLite keeps a key file in dataDir). */
  encryptionKey: string | undefined;
  app: FastifyInstance;
  runtime: Runtime;
  dataDir: string;
  /** API key of project A (`default`, via AUTHLINK_API_KEY). */
  apiKey: string;
  /** Every log line the server wrote. */
  logs: string[];
  /** Calls the API as project A (or with `key`). */
  api: (method: string, path: string, body?: unknown, key?: string) => Promise<{ status: number; body: any; headers: Headers }>;
  /** Moves the server's clock forward. */
  advance: (seconds: number) => void;
  close: () => Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A real server on a random loopback port, on a fresh SQLite file in a temporary directory. */
export interface TestServerOptions {
  timings?: Partial<FlowTimings>;
  refreshPolicy?: Partial<RefreshPolicy>;
  logLevel?: string;
  /** Share another server's database (a second node of the same service). */
  sameDatabaseAs?: TestServer;
  /** Encryption keys (base64): the current one and those that may still decrypt. */
  keys?: { current: string; previous?: string[] };
  /** Defaults are high so that suites sending many requests from 127.0.0.1 are not limited. */
  rateLimits?: { browserPerMinute?: number; failedKeysPerMinute?: number };
  /** Apps to serve instead of the shipped catalog (e.g. apps whose endpoints are local test peers). */
  catalog?: Catalog;
  /** A port chosen beforehand (`freePort()`), for peers that must know the callback URL before the catalog exists. */
  port?: number;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const ownsDataDir = options.sameDatabaseAs === undefined;
  const dataDir = options.sameDatabaseAs?.dataDir ?? mkdtempSync(join(tmpdir(), 'authlink-test-'));
  const port = options.port ?? (await freePort());
  const apiKey = options.sameDatabaseAs?.apiKey ?? `test-key-${Math.random().toString(36).slice(2)}`;
  // SQLite lives in the data directory (shared by a second node through it); PostgreSQL is a
  // database of its own, with the encryption key every node must share.
  const shared = options.sameDatabaseAs;
  const database = shared
    ? shared.database.kind === 'postgres'
      ? shared.database
      : undefined
    : testDatabaseKind() === 'postgres'
      ? await createTestDatabase('postgres')
      : undefined;
  const encryptionKey = options.keys?.current ?? (database ? (shared?.encryptionKey ?? randomBytes(32).toString('base64')) : undefined);
  const config = loadConfig({
    AUTHLINK_DATA_DIR: dataDir,
    AUTHLINK_PORT: String(port),
    AUTHLINK_API_KEY: apiKey,
    ...(database && { AUTHLINK_DATABASE_URL: database.url }),
    ...(encryptionKey !== undefined && { AUTHLINK_ENCRYPTION_KEY: encryptionKey }),
    ...(options.keys?.previous && { AUTHLINK_PREVIOUS_ENCRYPTION_KEYS: options.keys.previous.join(',') }),
  });
  let offsetMs = 0;
  const clock: Clock = () => new Date(Date.now() + offsetMs);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
      callback();
    },
  });
  const logger = pino({ level: options.logLevel ?? 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
  const runtime = await openRuntime(config, {
    clock,
    logger,
    ...(options.timings && { timings: options.timings }),
    ...(options.refreshPolicy && { refreshPolicy: options.refreshPolicy }),
    ...(options.catalog && { catalog: options.catalog }),
  });
  const app = await buildApp({
    services: runtime.services,
    publicUrl: config.publicUrl,
    logger,
    checkDatabase: runtime.checkDatabase,
    rateLimits: { browserPerMinute: 1_000_000, failedKeysPerMinute: 1_000_000, ...options.rateLimits },
  });
  await app.listen({ port, host: '127.0.0.1' });
  const url = config.publicUrl;

  const api: TestServer['api'] = async (method, path, body, key = apiKey) => {
    const headers: Record<string, string> = { 'x-api-key': key };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const { status, body: parsed, headers: answerHeaders } = await readAnswer(response);
    return { status, body: parsed, headers: answerHeaders };
  };

  return {
    url,
    database: database ?? { kind: 'sqlite', url: config.databaseUrl, drop: async () => {} },
    encryptionKey,
    app,
    runtime,
    dataDir,
    apiKey,
    logs,
    api,
    advance: (seconds) => {
      offsetMs += seconds * 1000;
    },
    close: async () => {
      await app.close();
      await runtime.close();
      if (ownsDataDir) {
        rmSync(dataDir, { recursive: true, force: true });
        await database?.drop();
      }
    },
  };
}

/** A second project with its own key, for isolation tests. */
export async function createProject(server: TestServer, name: string): Promise<{ projectId: string; apiKey: string }> {
  return server.runtime.services.projects.create(name);
}
