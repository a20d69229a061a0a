import { mkdtempSync, rmSync } from 'node:fs';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { changeCounterOf } from './change-counter.js';
import { GroupSync, MAX_SHARED_COMMIT } from './sqlite-group-commit.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { migrateToLatest } from './migrate.js';
import { sql, type Kysely } from 'kysely';
import type { Database } from './database-schema.js';

/** A sync that finishes only when the test says so. */
function manualSync() {
  const started: Array<() => void> = [];
  const sync = () => new Promise<void>((resolve) => started.push(resolve));
  return { sync, started, finish: (i: number) => started[i]!() };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupSync', () => {
  it('gives callers that arrive together one sync', async () => {
    const manual = manualSync();
    const group = new GroupSync(manual.sync);
    const waits = [group.durable(), group.durable(), group.durable()];
    await flush();
    expect(manual.started).toHaveLength(1);
    manual.finish(0);
    await Promise.all(waits);
  });

  it('makes a caller that arrives during a sync wait for the next one, which starts after it', async () => {
    const manual = manualSync();
    const group = new GroupSync(manual.sync);
    const early = group.durable();
    await flush();
    let lateDone = false;
    const late = group.durable().then(() => (lateDone = true));
    const alsoLate = group.durable();
    await flush();
    expect(manual.started).toHaveLength(1); // the next sync waits for the running one
    manual.finish(0);
    await early;
    await flush();
    expect(lateDone).toBe(false);
    expect(manual.started).toHaveLength(2); // one sync for both late callers
    manual.finish(1);
    await Promise.all([late, alsoLate]);
    expect(lateDone).toBe(true);
  });

  it('passes a failed sync to its callers and still runs the next', async () => {
    let calls = 0;
    const group = new GroupSync(async () => {
      calls += 1;
      if (calls === 1) throw new Error('EIO');
    });
    await expect(group.durable()).rejects.toThrow('EIO');
    await expect(group.durable()).resolves.toBeUndefined();
    await group.settled();
  });
});

describe('openSqliteDatabase (group commit)', () => {
  const dirs: string[] = [];
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('commits concurrent transactions that another connection then reads, and closes cleanly', async () => {
    const { db, path } = await open();
    await Promise.all(Array.from({ length: 50 }, (_, i) => db.transaction().execute((trx) => insertProject(trx, `prj_${i}`))));
    const other = new SQLite(path, { readonly: true });
    cleanups.push(() => other.close());
    expect(other.prepare('select count(*) as n from projects').get()).toEqual({ n: 50 });
    await db.destroy();
    expect(other.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  async function open() {
    const dir = mkdtempSync(join(tmpdir(), 'authlink-group-commit-'));
    dirs.push(dir);
    const path = join(dir, 'db.sqlite');
    const db = openSqliteDatabase(path);
    await migrateToLatest(db as unknown as Kysely<unknown>);
    const other = new SQLite(path, { readonly: true });
    cleanups.push(() => db.destroy(), () => other.close());
    const committed = (id: string) => other.prepare('select count(*) as n from projects where id = ?').pluck().get(id) === 1;
    return { db, path, committed };
  }
  const insertProject = (db: Kysely<Database>, id: string) => db.insertInto('projects').values({ id, name: id, created_at: new Date().toISOString() }).execute();

  it('answers each transaction of a shared commit only once another connection can read its rows', async () => {
    const { db, committed } = await open();
    const seen: boolean[] = [];
    await Promise.all(
      Array.from({ length: 3 * MAX_SHARED_COMMIT }, (_, i) =>
        db
          .transaction()
          .execute((trx) => insertProject(trx, `prj_${i}`))
          .then(() => seen.push(committed(`prj_${i}`))),
      ),
    );
    expect(seen).toHaveLength(3 * MAX_SHARED_COMMIT);
    expect(seen.every(Boolean)).toBe(true);
  });

  it('rolls back a failing transaction alone; the others of its commit keep their rows', async () => {
    const { db, committed } = await open();
    const results = await Promise.allSettled(
      [0, 1, 2, 3].map((i) =>
        db.transaction().execute(async (trx) => {
          await insertProject(trx, `prj_${i}`);
          if (i === 2) throw new Error('changed my mind');
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect([0, 1, 2, 3].map((i) => committed(`prj_${i}`))).toEqual([true, true, false, true]);
  });

  it('holds back a read that saw rows of a shared transaction until they are committed', async () => {
    const { db, committed } = await open();
    const write = db.transaction().execute((trx) => insertProject(trx, 'prj_w'));
    const read = db
      .selectFrom('projects')
      .select('id')
      .where('id', '=', 'prj_w')
      .execute()
      .then((rows) => ({ rows, committedThen: committed('prj_w') }));
    const [, { rows, committedThen }] = await Promise.all([write, read]);
    expect(rows).toEqual([{ id: 'prj_w' }]);
    expect(committedThen).toBe(true);
  });

  it('fails every caller of a commit that fails, keeps none of their rows, and moves the change counter', async () => {
    const { db, committed } = await open();
    // A deferred foreign key is checked at COMMIT: the one way to make a commit fail on demand.
    await sql`create table parents (id text primary key)`.execute(db);
    await sql`create table children (id text primary key, parent text references parents (id) deferrable initially deferred)`.execute(db);
    const counter = changeCounterOf(db)!;
    const before = counter.current(['integrations']);
    const results = await Promise.allSettled([
      db.transaction().execute((trx) => insertProject(trx, 'prj_a')),
      db.transaction().execute(async (trx) => {
        await sql`insert into children (id, parent) values ('c', 'nobody')`.execute(trx);
      }),
      db.transaction().execute((trx) => insertProject(trx, 'prj_b')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY/);
    expect([committed('prj_a'), committed('prj_b')]).toEqual([false, false]);
    expect(counter.current(['integrations'])).toBeGreaterThan(before);
    // The connection is usable again at once.
    await db.transaction().execute((trx) => insertProject(trx, 'prj_after'));
    expect(committed('prj_after')).toBe(true);
  });

  it('does not leave a transaction open for later when another connection of this process uses the file', async () => {
    const { db, path, committed } = await open();
    const second = openSqliteDatabase(path);
    cleanups.push(() => second.destroy());
    const started = Date.now();
    const first = db.transaction().execute((trx) => insertProject(trx, 'prj_1'));
    // Long enough for the transaction to be done and its connection released, still in this turn.
    for (let i = 0; i < 200; i += 1) await Promise.resolve();
    // Left open, its write lock would make this write wait inside SQLite with the event loop
    // blocked, for a commit that could then never run ("database is locked" after 5 s).
    await insertProject(second, 'prj_2');
    await first;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect([committed('prj_1'), committed('prj_2')]).toEqual([true, true]);
  });

  it('commits a transaction still waiting for the end of the turn when the database is closed', async () => {
    const { db, committed } = await open();
    const write = db.transaction().execute((trx) => insertProject(trx, 'prj_last'));
    for (let i = 0; i < 200; i += 1) await Promise.resolve();
    await db.destroy();
    await write;
    expect(committed('prj_last')).toBe(true);
  });

  it('answers a writer of a shared commit after the WAL is synced, a reader of it once committed', async () => {
    const { db, path } = await open();
    const probe = await openFile(path, 'r');
    const proto = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const datasync = proto.datasync;
    const events: string[] = [];
    const spy = vi.spyOn(proto, 'datasync').mockImplementation(async function (this: FileHandle) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      await datasync.call(this);
      events.push('synced');
    });
    cleanups.push(() => spy.mockRestore());
    const write = db
      .transaction()
      .execute((trx) => insertProject(trx, 'prj_w'))
      .then(() => events.push('writer answered'));
    const read = db
      .selectFrom('projects')
      .select('id')
      .where('id', '=', 'prj_w')
      .execute()
      .then((rows) => events.push(`reader answered with ${rows.length} row`));
    await Promise.all([write, read]);
    expect(events).toEqual(['reader answered with 1 row', 'synced', 'writer answered']);
  });
});
