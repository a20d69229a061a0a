import SQLite from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import type { Database } from './database-schema.js';

/**
 * Opens the embedded database. WAL lets readers run beside the single writer; `synchronous=FULL`
 * makes an acknowledged commit survive a crash or power loss (the cost is an fsync per commit).
 */
export function openSqliteDatabase(path: string): Kysely<Database> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
}

const CACHED_STATEMENTS = 500;

/**
 * Kysely prepares every statement anew; preparing costs as much as running a primary-key lookup.
 * The same SQL text is reused across requests, so prepared data statements are kept (bounded,
 * oldest out first). Safe because the driver runs one statement at a time and never streams.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      const cached = cache.get(sql);
      if (cached) return cached;
      const statement = sqlite.prepare(sql);
      if (/^\s*(select|insert|update|delete|with)\b/i.test(sql)) {
        if (cache.size >= CACHED_STATEMENTS) cache.delete(cache.keys().next().value as string);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}
