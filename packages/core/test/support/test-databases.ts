import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Where the suite may create throwaway databases: the machine's PostgreSQL, trust auth. */
export const POSTGRES_ADMIN_URL = process.env.AUTHLINK_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type TestDatabaseKind = 'sqlite' | 'postgres';

/** Which database the storage-backed suites run on: `AUTHLINK_TEST_DATABASE=postgres` switches them. */
export function testDatabaseKind(): TestDatabaseKind {
  return process.env.AUTHLINK_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
}

export interface TestDatabase {
  kind: TestDatabaseKind;
  /** An AUTHLINK_DATABASE_URL for it. */
  url: string;
  drop: () => Promise<void>;
}

async function withAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database of the given kind, dropped again by `drop`. */
export async function createTestDatabase(kind: TestDatabaseKind = testDatabaseKind()): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'authlink-db-'));
    return { kind, url: `sqlite:${join(dir, 'authlink.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `authlink_t_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.href,
    drop: () => withAdmin(async (client) => void (await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}
