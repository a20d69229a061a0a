import { sql } from 'kysely';
import type { TestServer } from './test-server.js';

/** The tables that hold a project's state (the audit log is an account of requests, not state). */
export const STATE_TABLES = ['projects', 'api_keys', 'integrations', 'entities', 'connected_accounts', 'connected_account_labels', 'connect_links', 'oauth_states'] as const;

export type Snapshot = Record<(typeof STATE_TABLES)[number], string[]>;

/** Every row of every state table, serialised and sorted: equal snapshots mean nothing changed. */
export async function snapshot(server: TestServer): Promise<Snapshot> {
  const result = {} as Snapshot;
  for (const table of STATE_TABLES) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(server.runtime.db);
    result[table] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return result;
}
