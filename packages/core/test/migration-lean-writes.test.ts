import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/services/audit-log.js';
import type { Database } from '../src/storage/database-schema.js';
import { migrateTo, migrateToLatest } from '../src/storage/migrate.js';
import { openDatabase } from '../src/storage/open-database.js';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from './support/test-databases.js';

const T0 = '2026-01-01T00:00:00.000Z';
const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe(`migration 0005 (${testDatabaseKind()})`, () => {
  let database: TestDatabase;
  let db: Kysely<Database>;

  beforeEach(async () => {
    database = await createTestDatabase();
    db = openDatabase(database.url);
  });

  afterEach(async () => {
    await db.destroy();
    await database.drop();
  });

  const event = (id: string, projectId: string) => ({
    id,
    project_id: projectId,
    at: T0,
    actor: 'system',
    action: 'credentials.read',
    target_type: 'connected_account',
    target_id: 'ca_1',
    outcome: 'success',
    detail: '{"includeRefreshToken":false}',
  });

  it('keeps the audit events written before it, in order and per project, and can be undone', async () => {
    await migrateTo(db as unknown as Kysely<unknown>, '0004-connection-quality');
    await db.insertInto('projects').values([{ id: 'p1', name: 'p1', created_at: T0 }, { id: 'p2', name: 'p2', created_at: T0 }]).execute();
    await db.insertInto('audit_events').values([event('evt_1', 'p1'), event('evt_2', 'p2'), event('evt_3', 'p1')]).execute();

    expect(await migrateToLatest(db as unknown as Kysely<unknown>)).toEqual(['0005-lean-writes']);
    const audit = new AuditLog(db, () => new Date(T0), silent);
    expect((await audit.list('p1', { limit: 10 })).items.map((e) => e.id)).toEqual(['evt_3', 'evt_1']);
    expect((await audit.list('p2', { limit: 10 })).items.map((e) => e.id)).toEqual(['evt_2']);
    // An id is still unique within its project.
    await expect(db.insertInto('audit_events').values(event('evt_3', 'p1')).execute()).rejects.toThrow();

    expect(await migrateTo(db as unknown as Kysely<unknown>, '0004-connection-quality')).toEqual(['0005-lean-writes']);
    expect((await db.selectFrom('audit_events').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual(['evt_1', 'evt_2', 'evt_3']);
    expect(await migrateToLatest(db as unknown as Kysely<unknown>)).toEqual(['0005-lean-writes']);
  });

  it('indexes an account by identity, and for the refresh sweep, only when there is something to find', async () => {
    await migrateToLatest(db as unknown as Kysely<unknown>);
    const query =
      database.kind === 'sqlite'
        ? sql<{ name: string; definition: string }>`select name, sql as definition from sqlite_master where type = 'index' and tbl_name = 'connected_accounts'`
        : sql<{ name: string; definition: string }>`select indexname as name, indexdef as definition from pg_indexes where tablename = 'connected_accounts'`;
    const definitions = new Map((await query.execute(db)).rows.map((row) => [row.name, row.definition]));
    for (const column of ['identity_login', 'identity_email', 'identity_id']) {
      expect(definitions.get(`connected_accounts_${column}`)).toMatch(new RegExp(`where \\(?"?${column}"? is not null`, 'i'));
    }
    expect(definitions.get('connected_accounts_refresh_due')).toMatch(/where \(?"?access_expires_at"? is not null/i);
  });
});
