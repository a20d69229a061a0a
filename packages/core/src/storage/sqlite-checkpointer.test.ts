import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Database } from './database-schema.js';
import { migrateToLatest } from './migrate.js';
import { BACKSTOP_AUTOCHECKPOINT_PAGES, BackgroundCheckpointer, DEFAULT_AUTOCHECKPOINT_PAGES, SYNCS_BEFORE_START } from './sqlite-checkpointer.js';
import { openSqliteDatabase } from './sqlite-database.js';

const dirs: string[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'authlink-checkpoint-'));
  dirs.push(dir);
  return join(dir, 'authlink.db');
}

async function open(path: string, onBackgroundError?: (error: Error) => void): Promise<Kysely<Database>> {
  const db = openSqliteDatabase(path, onBackgroundError ? { onBackgroundError } : {});
  cleanups.push(() => db.destroy());
  await migrateToLatest(db as unknown as Kysely<unknown>);
  return db;
}

/** `count` committed writes, one transaction each, of ~2 KB (a few WAL pages each). */
async function writeRows(db: Kysely<Database>, count: number, from = 0): Promise<void> {
  const filler = 'x'.repeat(2048);
  for (let i = from; i < from + count; i += 1) {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('projects').values({ id: `p${i}`, name: filler, created_at: new Date().toISOString() }).execute();
    });
  }
}

async function autocheckpoint(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db);
  return rows[0]!.wal_autocheckpoint;
}

describe('background WAL checkpoints', () => {
  it('are not started by a server that has written little (idle memory)', async () => {
    const path = scratch();
    const db = await open(path);
    await writeRows(db, 5);
    expect(await autocheckpoint(db)).toBe(DEFAULT_AUTOCHECKPOINT_PAGES);
  });

  it('copy the WAL into the database file on the worker, never on the connection that commits', async () => {
    const path = scratch();
    const main = new SQLite(path);
    cleanups.push(() => void main.close());
    main.pragma('journal_mode = WAL');
    main.pragma('synchronous = NORMAL');
    // This connection never checkpoints: whatever reaches the database file, the worker copied.
    main.pragma('wal_autocheckpoint = 0');
    main.exec('create table t (id integer primary key, body text not null)');
    const checkpointer = new BackgroundCheckpointer(path, { setAutocheckpoint: () => {}, syncsBeforeStart: 1, syncsPerCheckpoint: 4 });
    cleanups.push(() => checkpointer.close());
    const sizeBefore = statSync(path).size;
    const insert = main.prepare('insert into t (body) values (?)');
    for (let i = 0; i < 400; i += 1) {
      insert.run('x'.repeat(4000));
      checkpointer.afterSync();
      if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await vi.waitFor(() => expect(checkpointer.checkpoints).toBeGreaterThan(0), { timeout: 10_000 });
    await checkpointer.close();
    expect(checkpointer.lastResult!.checkpointed).toBeGreaterThan(0);
    // ~1.6 MB of rows: the pages the worker copied are in the database file now.
    expect(statSync(path).size - sizeBefore).toBeGreaterThan(100_000);
    expect((main.prepare('select count(*) as n from t').get() as { n: number }).n).toBe(400);
  });

  it('take over from the event loop once the database is written to', async () => {
    const path = scratch();
    const db = await open(path);
    await writeRows(db, SYNCS_BEFORE_START + 10);
    // The worker has started and answered: the event loop's own checkpoints are only a backstop now.
    await vi.waitFor(async () => expect(await autocheckpoint(db)).toBe(BACKSTOP_AUTOCHECKPOINT_PAGES), { timeout: 10_000 });
    const sizeBefore = statSync(path).size;
    // ~2,000 WAL pages, far below the backstop: only the worker's checkpoints reach the file.
    await writeRows(db, 1000, 10_000);
    await vi.waitFor(() => expect(statSync(path).size - sizeBefore).toBeGreaterThan(1_000_000), { timeout: 10_000 });
    const reader = new SQLite(path, { readonly: true });
    cleanups.push(() => void reader.close());
    expect((reader.prepare('select count(*) as n from projects').get() as { n: number }).n).toBe(SYNCS_BEFORE_START + 10 + 1000);
  });

  it('stop with the database: the worker is gone before the connection closes, and the WAL is folded in', async () => {
    const path = scratch();
    const db = await open(path);
    await writeRows(db, SYNCS_BEFORE_START + 40);
    await vi.waitFor(async () => expect(await autocheckpoint(db)).toBe(BACKSTOP_AUTOCHECKPOINT_PAGES), { timeout: 10_000 });
    await db.destroy();
    // The server's connection was the last one: SQLite checkpointed everything and removed the WAL.
    expect(existsSync(`${path}-wal`)).toBe(false);
    const reader = new SQLite(path, { readonly: true });
    cleanups.push(() => void reader.close());
    expect((reader.prepare('select count(*) as n from projects').get() as { n: number }).n).toBe(SYNCS_BEFORE_START + 40);
    expect(statSync(path).size).toBeGreaterThan(0);
  });

  it('hand checkpoints back to SQLite and say so when the worker cannot run', async () => {
    const settings: number[] = [];
    const failures: Error[] = [];
    const checkpointer = new BackgroundCheckpointer(scratch(), {
      setAutocheckpoint: (pages) => settings.push(pages),
      onFailure: (error) => failures.push(error),
      syncsBeforeStart: 1,
      syncsPerCheckpoint: 1,
    });
    cleanups.push(() => checkpointer.close());
    checkpointer.afterSync();
    await vi.waitFor(() => expect(failures).toHaveLength(1), { timeout: 10_000 });
    expect(settings).toEqual([DEFAULT_AUTOCHECKPOINT_PAGES]);
    // Nothing more is tried after a failure.
    checkpointer.afterSync();
    expect(checkpointer.started).toBe(false);
  });
});
