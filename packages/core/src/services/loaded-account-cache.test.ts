import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Catalog } from '../catalog/catalog.js';
import { AuthlinkError } from '../errors/authlink-error.js';
import type { Database } from '../storage/database-schema.js';
import { OTHERS_SEEN_WITHIN_MS } from '../storage/change-counter.js';
import { migrateToLatest } from '../storage/migrate.js';
import { openSqliteDatabase } from '../storage/sqlite-database.js';
import { Vault } from '../vault/vault.js';
import { AccountSecrets } from './account-secrets.js';
import { createAuthlinkServices, type AuthlinkServices } from './authlink-services.js';

/**
 * Credential reads keep loaded accounts while SQLite's change counter stands still. Whatever
 * happens between two reads — through the services, or by another connection to the same file —
 * a read must answer what reading the database afresh answers.
 */

/** Another process's commits are seen by reads a millisecond later (storage/change-counter.ts). */
const afterOthersAreSeen = () => new Promise((resolve) => setTimeout(resolve, OTHERS_SEEN_WITHIN_MS + 1));

const catalog = Catalog.fromDefinitions([
  {
    key: 'cache-test',
    name: 'Cache test',
    description: 'An app for the loaded-account tests',
    categories: ['test'],
    docsUrl: 'https://example.com/docs',
    baseUrl: 'http://127.0.0.1:9',
    authSchemes: [
      {
        scheme: 'API_KEY',
        fields: [{ name: 'apiKey', label: 'API key', secret: true, required: true, suppliedBy: 'user' }],
        placement: [{ in: 'header', name: 'x-key', value: '{apiKey}' }],
      },
    ],
  },
]);

type Outcome = { apiKey: string } | 'CONNECTED_ACCOUNT_NOT_FOUND' | 'CONNECTION_NOT_ACTIVE';

describe('loaded accounts on SQLite', () => {
  let dir: string;
  let path: string;
  let db: Kysely<Database>;
  let services: AuthlinkServices;
  let vault: Vault;
  let other: SQLite.Database;
  let projectId: string;
  let integrationId: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'authlink-loaded-'));
    path = join(dir, 'authlink.db');
    db = openSqliteDatabase(path);
    await migrateToLatest(db as unknown as Kysely<unknown>);
    vault = new Vault(randomBytes(32));
    services = createAuthlinkServices({ db, vault, catalog, publicUrl: 'http://127.0.0.1:1' });
    projectId = (await services.projects.create('cache')).projectId;
    integrationId = (await services.integrations.create(projectId, { app: 'cache-test', authScheme: 'API_KEY' })).id;
    other = new SQLite(path);
    other.pragma('busy_timeout = 5000');
  });

  afterEach(async () => {
    other.close();
    await services.audit.flush();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const connect = async (apiKey: string) =>
    (await services.connections.initiate(projectId, { integrationId, data: { apiKey }, validate: false })).connectedAccountId;

  async function read(id: string): Promise<Outcome> {
    try {
      const view = await services.connections.credentials(projectId, id);
      return { apiKey: String(view.credentials.apiKey) };
    } catch (error) {
      if (error instanceof AuthlinkError && (error.code === 'CONNECTED_ACCOUNT_NOT_FOUND' || error.code === 'CONNECTION_NOT_ACTIVE')) return error.code;
      throw error;
    }
  }

  /** What the database says, read by the other connection. */
  function truth(id: string): Outcome {
    const row = other.prepare('select status, credentials_ciphertext from connected_accounts where id = ?').get(id) as { status: string; credentials_ciphertext: string } | undefined;
    if (row === undefined) return 'CONNECTED_ACCOUNT_NOT_FOUND';
    if (row.status !== 'ACTIVE') return 'CONNECTION_NOT_ACTIVE';
    return { apiKey: String(new AccountSecrets(vault).openCredentials(id, row.credentials_ciphertext).apiKey) };
  }

  it('answers from memory while nothing changed, and never after a write', async () => {
    const id = await connect('first');
    await afterOthersAreSeen();
    const first = await services.refresher.fresh(projectId, id);
    expect(await services.refresher.fresh(projectId, id)).toBe(first); // the same object: kept
    await services.connections.disable(projectId, id);
    expect(await read(id)).toBe('CONNECTION_NOT_ACTIVE');
    await services.connections.enable(projectId, id);
    expect(await read(id)).toEqual({ apiKey: 'first' });
    await services.connections.disable(projectId, id);
    await services.connections.reinitiate(projectId, id, { data: { apiKey: 'second' }, validate: false });
    expect(await read(id)).toEqual({ apiKey: 'second' });
    await services.connections.delete(projectId, id);
    expect(await read(id)).toBe('CONNECTED_ACCOUNT_NOT_FOUND');
  });

  it('hands out frozen rows: no caller can change what the next one reads', async () => {
    const id = await connect('k');
    const loaded = await services.refresher.fresh(projectId, id);
    expect(Object.isFrozen(loaded.row)).toBe(true);
    expect(Object.isFrozen(loaded.integration)).toBe(true);
    expect(Object.isFrozen(loaded.credentials)).toBe(true);
  });

  it('gives the accounts of one integration one integration object, until the integration changes', async () => {
    const [a, b] = [await connect('a'), await connect('b')];
    const first = await services.refresher.fresh(projectId, a);
    expect((await services.refresher.fresh(projectId, b)).integration).toBe(first.integration);
    await services.integrations.update(projectId, integrationId, { name: 'renamed' });
    const after = await services.refresher.fresh(projectId, a);
    expect(after.integration).not.toBe(first.integration);
    expect(after.integration.name).toBe('renamed');
    expect((await services.refresher.fresh(projectId, b)).integration).toBe(after.integration);
  });

  it('never keeps an integration row read before a write that landed after the read', async () => {
    const count = services.integrations.changeCount();
    const stale = await db.selectFrom('integrations').selectAll().where('id', '=', integrationId).executeTakeFirstOrThrow();
    await services.integrations.update(projectId, integrationId, { name: 'renamed' });
    // The row is what was read; it is kept under the count it was read at, which the write moved on from.
    expect(services.integrations.adopt(stale, count).name).not.toBe('renamed');
    expect((await services.integrations.get(projectId, integrationId)).name).toBe('renamed');
  });

  it("sees another process's write a millisecond later", async () => {
    const id = await connect('k');
    expect(await read(id)).toEqual({ apiKey: 'k' });
    other.prepare("update connected_accounts set status = 'EXPIRED' where id = ?").run(id);
    await afterOthersAreSeen();
    expect(await read(id)).toBe('CONNECTION_NOT_ACTIVE');
  });

  it('agrees with the database after any sequence of writes, here or elsewhere (property)', async () => {
    const account = fc.integer({ min: 0, max: 2 });
    const step = fc.oneof(
      fc.record({ kind: fc.constant('read' as const), id: account }),
      fc.record({ kind: fc.constantFrom('disable' as const, 'enable' as const, 'reinitiate' as const), id: account, key: fc.string({ minLength: 1, maxLength: 8 }) }),
      fc.record({ kind: fc.constantFrom('expireElsewhere' as const, 'activateElsewhere' as const, 'rekeyElsewhere' as const, 'deleteElsewhere' as const), id: account, key: fc.string({ minLength: 1, maxLength: 8 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        // Accounts of this run, read once so that they are cached before the steps begin.
        const ids = [await connect('k0'), await connect('k1'), await connect('k2')];
        for (const id of ids) expect(await read(id)).toEqual(truth(id));
        for (const { id: index, ...s } of steps) {
          const id = ids[index]!;
          if (s.kind === 'read') {
            expect(await read(id)).toEqual(truth(id));
            continue;
          }
          const exists = truth(id) !== 'CONNECTED_ACCOUNT_NOT_FOUND';
          if (s.kind === 'disable' || s.kind === 'enable' || s.kind === 'reinitiate') {
            if (!exists) continue;
            // Through the services: seen at once, in the same turn.
            await (s.kind === 'reinitiate'
              ? services.connections.reinitiate(projectId, id, { data: { apiKey: s.key }, validate: false }).catch(() => undefined)
              : services.connections[s.kind](projectId, id).catch(() => undefined));
          } else {
            // Another process: seen a millisecond later.
            if (s.kind === 'expireElsewhere') other.prepare("update connected_accounts set status = 'EXPIRED' where id = ?").run(id);
            if (s.kind === 'activateElsewhere') other.prepare("update connected_accounts set status = 'ACTIVE' where id = ?").run(id);
            if (s.kind === 'rekeyElsewhere') {
              other.prepare('update connected_accounts set credentials_ciphertext = ? where id = ?').run(new AccountSecrets(vault).sealCredentials(id, { apiKey: s.key }), id);
            }
            if (s.kind === 'deleteElsewhere') other.prepare('delete from connected_accounts where id = ?').run(id);
            await afterOthersAreSeen();
          }
          expect(await read(id)).toEqual(truth(id));
        }
      }),
      { numRuns: 60 },
    );
  });
});
