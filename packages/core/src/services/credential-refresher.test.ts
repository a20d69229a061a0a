import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Catalog } from '../catalog/catalog.js';
import type { Database } from '../storage/database-schema.js';
import { migrateToLatest } from '../storage/migrate.js';
import { openSqliteDatabase } from '../storage/sqlite-database.js';
import { Vault } from '../vault/vault.js';
import { createAuthlinkServices, type AuthlinkServices } from './authlink-services.js';

/**
 * Refreshes across processes. A caller decides to refresh on what it has seen of the account; by
 * the time it holds the refresh lease, another process may have refreshed already (it held the
 * lease while this one waited, and released it). Those credentials answer this caller too —
 * refreshing again would spend a grant, and with a rotating refresh token race the other process.
 */
describe('credential refresh after another process refreshed', () => {
  let dir: string;
  let db: Kysely<Database>;
  let services: AuthlinkServices;
  let other: SQLite.Database;
  let tokenEndpoint: Server;
  let grants: number;
  let projectId: string;
  let integrationId: string;

  beforeEach(async () => {
    grants = 0;
    // A token endpoint that grants client-credentials tokens and counts the grants.
    tokenEndpoint = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        grants += 1;
        response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        response.end(JSON.stringify({ access_token: `at-${grants}`, token_type: 'Bearer', expires_in: 3600 }));
      });
    });
    await new Promise<void>((resolve) => tokenEndpoint.listen(0, '127.0.0.1', resolve));
    const tokenUrl = `http://127.0.0.1:${(tokenEndpoint.address() as AddressInfo).port}/token`;

    dir = mkdtempSync(join(tmpdir(), 'authlink-refresher-'));
    const path = join(dir, 'authlink.db');
    db = openSqliteDatabase(path);
    await migrateToLatest(db as unknown as Kysely<unknown>);
    services = createAuthlinkServices({ db, vault: new Vault(randomBytes(32)), catalog: Catalog.fromDefinitions([]), publicUrl: 'http://127.0.0.1:1' });
    projectId = (await services.projects.create('refresh')).projectId;
    integrationId = (
      await services.integrations.create(projectId, { app: 'm2m-test', authScheme: 'CLIENT_CREDENTIALS', authConfig: { tokenUrl, clientId: 'c', clientSecret: 's' } })
    ).id;
    other = new SQLite(path);
    other.pragma('busy_timeout = 5000');
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    other.close();
    await services.audit.flush();
    await db.destroy();
    await new Promise((resolve) => tokenEndpoint.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not repeat a forced refresh that another process made after this caller looked', async () => {
    const started = await services.connections.initiate(projectId, { integrationId });
    expect(started.connectionStatus).toBe('ACTIVE');
    expect(grants).toBe(1);
    const id = started.connectedAccountId;

    // This process's view of the account stays what it read: its clock stands still, so it does
    // not look for other processes' commits (a millisecond's staleness, made to last).
    const now = performance.now();
    vi.spyOn(performance, 'now').mockReturnValue(now);
    const seen = await services.refresher.fresh(projectId, id);
    // Another process refreshed meanwhile: new credentials version, its lease released.
    other.prepare('update connected_accounts set credentials_version = credentials_version + 1, refresh_lease_owner = null where id = ?').run(id);
    expect((await services.refresher.fresh(projectId, id)).row.credentials_version).toBe(seen.row.credentials_version); // still the old view

    await services.refresher.fresh(projectId, id, { force: true });
    expect(grants).toBe(1);
  });

  it('still refreshes when forced and nobody else did', async () => {
    const id = (await services.connections.initiate(projectId, { integrationId })).connectedAccountId;
    const before = await services.refresher.fresh(projectId, id);
    const after = await services.refresher.fresh(projectId, id, { force: true });
    expect(grants).toBe(2);
    expect(after.row.credentials_version).toBe(before.row.credentials_version + 1);
    expect(after.credentials.accessToken).toBe('at-2');
  });
});
