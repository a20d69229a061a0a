import type { Executor } from '../executor.js';
import type { Insertable } from 'kysely';
import type { ProjectRow, ProjectsTable } from '../database-schema.js';

export async function insertProject(db: Executor, project: Insertable<ProjectsTable>): Promise<void> {
  await db.insertInto('projects').values(project).execute();
}

export async function findProject(db: Executor, id: string): Promise<ProjectRow | undefined> {
  return db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertApiKey(
  db: Executor,
  key: { id: string; projectId: string; keyHash: string; keyPrefix: string; createdAt: string },
): Promise<void> {
  await db
    .insertInto('api_keys')
    .values({ id: key.id, project_id: key.projectId, key_hash: key.keyHash, key_prefix: key.keyPrefix, created_at: key.createdAt })
    .execute();
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
