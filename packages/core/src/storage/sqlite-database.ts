import SQLite from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import { registerChangeCounter, SqliteChangeCounter } from './change-counter.js';
import type { Database } from './database-schema.js';
import { GroupCommitSqliteDialect, WriteTracker } from './sqlite-group-commit.js';

/**
 * Opens the embedded database. WAL lets readers run beside the single writer. Durability: an
 * acknowledged write survives a crash or power loss — SQLite writes each commit to the WAL
 * (`synchronous=NORMAL`) and the WAL is fsynced before the writer goes on; the writes of one turn
 * of the event loop share a commit, and commits waiting together share an fsync
 * (sqlite-group-commit.ts).
 */
export function openSqliteDatabase(path: string): Kysely<Database> {
  const inMemory = path === ':memory:' || path === '';
  if (!inMemory) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const changes = new SqliteChangeCounter(sqlite);
  let db: Kysely<Database>;
  if (inMemory) {
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite, new WriteTracker(), changes) }) });
  } else {
    sqlite.pragma('synchronous = NORMAL');
    const writes = new WriteTracker();
    const hooks = { inTransaction: () => sqlite.inTransaction, writesLost: () => changes.noteLostWrites() };
    db = new Kysely<Database>({ dialect: new GroupCommitSqliteDialect({ database: withStatementCache(sqlite, writes, changes) }, writes, path, hooks) });
  }
  registerChangeCounter(db, changes);
  return db;
}

const CACHED_STATEMENTS = 500;
/**
 * Data statements, the transaction statements Kysely sends as they are, and the group commit's own
 * savepoint (Kysely's savepoints are named per use: not worth keeping).
 */
const CACHEABLE = /^\s*(?:(?:select|insert|update|delete|with)\b|(?:begin|commit|rollback|(?:savepoint|release savepoint|rollback to savepoint) authlink_shared)\s*$)/i;

/**
 * Kysely prepares every statement anew; preparing costs as much as running a primary-key lookup.
 * The same SQL text is reused across requests, so prepared statements are kept (bounded,
 * oldest out first). Safe because the driver runs one statement at a time and never streams.
 * Kysely runs each statement right after preparing it, so a statement that can change the
 * database (not `readonly` for SQLite) is recorded as a write here, for the group commit and for
 * the change counter that row caches check.
 */
function withStatementCache(sqlite: SQLite.Database, writes: WriteTracker, changes: SqliteChangeCounter): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement === undefined) {
        statement = sqlite.prepare(sql);
        if (CACHEABLE.test(sql)) {
          if (cache.size >= CACHED_STATEMENTS) cache.delete(cache.keys().next().value as string);
          cache.set(sql, statement);
        }
      }
      if (!statement.readonly) {
        writes.markWrite();
        changes.noteWrite(sql);
      }
      return statement;
    },
  };
}
