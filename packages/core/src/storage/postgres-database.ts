import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from './database-schema.js';

export interface PostgresOptions {
  /** Connections per process; N processes open up to N × this many. */
  poolSize?: number;
}

/**
 * Opens PostgreSQL through a pool. Several authlink processes may share the database: every
 * cross-process decision (single-use links and states, refresh leases) is a conditional UPDATE,
 * so no other coordinator is needed.
 */
export function openPostgresDatabase(connectionString: string, options: PostgresOptions = {}): Kysely<Database> {
  // The driver is loaded on first use: a server on SQLite never needs it (~14 MB resident).
  const pool = async () => {
    const { default: pg } = await import('pg');
    const created = new pg.Pool({ connectionString, max: options.poolSize ?? 10, idleTimeoutMillis: 30_000 });
    // An idle client that loses its connection must not crash the process; the pool replaces it.
    created.on('error', () => {});
    return created;
  };
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
