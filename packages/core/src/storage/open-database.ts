import type { Kysely } from 'kysely';
import type { Database } from './database-schema.js';
import { openPostgresDatabase, type PostgresOptions } from './postgres-database.js';
import { openSqliteDatabase } from './sqlite-database.js';

export type DatabaseKind = 'sqlite' | 'postgres';

export function databaseKind(url: string): DatabaseKind | undefined {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres';
  return undefined;
}

/** `sqlite:PATH` (or `sqlite::memory:`) or `postgres://…`, the forms AUTHLINK_DATABASE_URL takes. */
export function openDatabase(url: string, options: PostgresOptions = {}): Kysely<Database> {
  const kind = databaseKind(url);
  if (kind === 'sqlite') return openSqliteDatabase(url.slice('sqlite:'.length));
  if (kind === 'postgres') return openPostgresDatabase(url, options);
  throw new Error('database URL must start with sqlite: or postgres://');
}
