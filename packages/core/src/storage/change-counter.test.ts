import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changeCounterOf, OTHERS_SEEN_WITHIN_MS, type CachedTable, type ChangeCounter } from './change-counter.js';
import type { Database } from './database-schema.js';
import { migrateToLatest } from './migrate.js';
import { openPostgresDatabase } from './postgres-database.js';
import { openSqliteDatabase } from './sqlite-database.js';

const afterOthersAreSeen = () => new Promise((resolve) => setTimeout(resolve, OTHERS_SEEN_WITHIN_MS + 1));

describe('SqliteChangeCounter', () => {
  let dir: string;
  let path: string;
  let db: Kysely<Database>;
  let changes: ChangeCounter;
  const ALL: readonly CachedTable[] = ['connected_accounts', 'integrations', 'entities'];
  const counter = { current: () => changes.current(ALL) };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'authlink-changes-'));
    path = join(dir, 'authlink.db');
    db = openSqliteDatabase(path);
    await migrateToLatest(db as unknown as Kysely<unknown>);
    changes = changeCounterOf(db)!;
    await afterOthersAreSeen();
  });

  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const insertProject = (id: string) => db.insertInto('projects').values({ id, name: id, created_at: new Date().toISOString() }).execute();

  it('moves with every write of this process, within the same turn', async () => {
    const before = counter.current();
    await insertProject('prj_a');
    const afterInsert = counter.current();
    expect(afterInsert).toBeGreaterThan(before);
    await db.updateTable('projects').set({ name: 'renamed' }).where('id', '=', 'prj_a').execute();
    expect(counter.current()).toBeGreaterThan(afterInsert);
  });

  it('moves for a write that changed nothing and for one rolled back: it only ever errs towards a miss', async () => {
    const before = counter.current();
    await db.deleteFrom('projects').where('id', '=', 'prj_none').execute();
    expect(counter.current()).toBeGreaterThan(before);
    const again = counter.current();
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('projects').values({ id: 'prj_b', name: 'b', created_at: new Date().toISOString() }).execute();
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(counter.current()).toBeGreaterThan(again);
  });

  it('moves only for the tables written, and for what their deletion cascades to', async () => {
    await insertProject('prj_a');
    const accounts = changes.current(['connected_accounts']);
    const integrations = changes.current(['integrations']);
    const entities = changes.current(['entities']);
    await db.insertInto('entities').values({ project_id: 'prj_a', id: 'user-1', created_at: new Date().toISOString() }).execute();
    // An entity's deletion deletes its accounts: a write to entities moves both.
    expect(changes.current(['entities'])).toBeGreaterThan(entities);
    expect(changes.current(['connected_accounts'])).toBeGreaterThan(accounts);
    expect(changes.current(['integrations'])).toBe(integrations);
    // A project's deletion cascades to everything: a write to projects moves every table.
    await db.updateTable('projects').set({ name: 'renamed' }).where('id', '=', 'prj_a').execute();
    expect(changes.current(['integrations'])).toBeGreaterThan(integrations);
    // Statements of a shape it does not know move everything too.
    const before = changes.current(['integrations']);
    await sql`insert or ignore into projects (id, name, created_at) values ('prj_b', 'b', '2026-01-01T00:00:00.000Z')`.execute(db);
    expect(changes.current(['integrations'])).toBeGreaterThan(before);
  });

  it('stays put for reads and for tables no cache holds (audit events, links, labels)', async () => {
    await insertProject('prj_a');
    const before = counter.current();
    await db.selectFrom('projects').selectAll().execute();
    await db
      .insertInto('audit_events')
      .values({ id: 'evt_1', project_id: 'prj_a', at: new Date().toISOString(), actor: 'system', action: 'credentials.read', target_type: 'connected_account', target_id: 'ca_1', outcome: 'success', detail: '{}' })
      .execute();
    await db.insertInto('api_keys').values({ id: 'key_1', project_id: 'prj_a', key_hash: 'h', key_prefix: 'alk_', created_at: new Date().toISOString() }).execute();
    await afterOthersAreSeen();
    expect(counter.current()).toBe(before);
  });

  it("sees another connection's commit within a millisecond", async () => {
    const before = counter.current();
    const other = new SQLite(path);
    try {
      other.prepare("insert into projects (id, name, created_at) values ('prj_other', 'other', '2026-01-01T00:00:00.000Z')").run();
      await afterOthersAreSeen();
      const after = counter.current();
      expect(after).toBeGreaterThan(before);
      // Nothing else committed: later reads agree.
      await afterOthersAreSeen();
      expect(counter.current()).toBe(after);
      // A read by the other connection changes nothing.
      other.prepare('select count(*) from projects').get();
      await afterOthersAreSeen();
      expect(counter.current()).toBe(after);
    } finally {
      other.close();
    }
  });

  it('is registered for every SQLite database, in memory too, and for no PostgreSQL one', async () => {
    const memory = openSqliteDatabase(':memory:');
    const postgres = openPostgresDatabase('postgres://nobody@127.0.0.1:1/none');
    try {
      expect(changeCounterOf(memory)).toBeDefined();
      expect(changeCounterOf(postgres)).toBeUndefined();
      expect(await sql<{ one: number }>`select 1 as one`.execute(memory)).toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await memory.destroy();
      await postgres.destroy();
    }
  });
});
