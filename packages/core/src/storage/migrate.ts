import { Migrator, type Kysely, type Migration, type MigrationProvider, type MigrationResult } from 'kysely';
import * as initial from './migrations/0001-initial.js';
import * as credentialLifecycle from './migrations/0002-credential-lifecycle.js';
import * as projectSecurity from './migrations/0003-project-security.js';
import * as connectionQuality from './migrations/0004-connection-quality.js';
import * as leanWrites from './migrations/0005-lean-writes.js';

/** Migrations are imported statically: the list is code-reviewed and works from src and dist alike. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-credential-lifecycle': credentialLifecycle,
  '0003-project-security': projectSecurity,
  '0004-connection-quality': connectionQuality,
  '0005-lean-writes': leanWrites,
};

class StaticMigrationProvider implements MigrationProvider {
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(MIGRATIONS);
  }
}

export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

function migrator(db: Kysely<unknown>): Migrator {
  return new Migrator({
    db,
    provider: new StaticMigrationProvider(),
    migrationTableName: 'authlink_migrations',
    migrationLockTableName: 'authlink_migrations_lock',
  });
}

function applied(results: readonly MigrationResult[], error: unknown): string[] {
  const failed = results.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new MigrationError(`migration ${failed?.migrationName ?? '(unknown)'} failed`, { cause: error });
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Brings the schema up to date; returns the names of the migrations applied now. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const { error, results = [] } = await migrator(db).migrateToLatest();
  return applied(results, error);
}

/** Brings the schema to the named migration, up or down (upgrade tests start from an older schema). */
export async function migrateTo(db: Kysely<unknown>, name: string): Promise<string[]> {
  const { error, results = [] } = await migrator(db).migrateTo(name);
  return applied(results, error);
}
