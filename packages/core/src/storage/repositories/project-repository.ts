import type { Executor } from '../executor.js';
import type { Insertable } from 'kysely';
import type { ProjectRow, ProjectsTable } from '../database-schema.js';

export async function insertProject(db: Executor, project: Insertable<ProjectsTable>): Promise<void> {
  await db.insertInto('projects').values(project).execute();
}

/**
 * Inserts a project unless one with its id exists: processes starting together on one database
 * all try to create the bootstrap project. True when this call created it.
 */
export async function insertProjectIfAbsent(db: Executor, project: Insertable<ProjectsTable>): Promise<boolean> {
  const result = await db.insertInto('projects').values(project).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function findProject(db: Executor, id: string): Promise<ProjectRow | undefined> {
  return db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A key hash is unique: inserting the same key twice (two processes bootstrapping) is a no-op. */
export async function insertApiKey(
  db: Executor,
  key: { id: string; projectId: string; keyHash: string; keyPrefix: string; createdAt: string },
): Promise<boolean> {
  const result = await db
    .insertInto('api_keys')
    .values({ id: key.id, project_id: key.projectId, key_hash: key.keyHash, key_prefix: key.keyPrefix, created_at: key.createdAt })
    .onConflict((oc) => oc.column('key_hash').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function findApiKeyByHash(db: Executor, keyHash: string): Promise<{ projectId: string; keyId: string } | undefined> {
  const row = await db.selectFrom('api_keys').select(['project_id', 'id']).where('key_hash', '=', keyHash).executeTakeFirst();
  return row && { projectId: row.project_id, keyId: row.id };
}

export async function updateProjectSettings(
  db: Executor,
  projectId: string,
  settings: { allowed_redirect_urls?: string; require_same_browser?: number; confirmation_url?: string | null },
): Promise<void> {
  await db.updateTable('projects').set(settings).where('id', '=', projectId).execute();
}

export async function apiKeyHashExists(db: Executor, projectId: string, keyHash: string): Promise<boolean> {
  const row = await db
    .selectFrom('api_keys')
    .select('id')
    .where('project_id', '=', projectId)
    .where('key_hash', '=', keyHash)
    .executeTakeFirst();
  return row !== undefined;
}
