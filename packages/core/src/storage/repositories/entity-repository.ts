import type { Executor } from '../executor.js';

/** Entities are created on first use; inserting an existing one is a no-op. */
export async function ensureEntity(db: Executor, projectId: string, entityId: string, now: string): Promise<void> {
  await db
    .insertInto('entities')
    .values({ project_id: projectId, id: entityId, created_at: now })
    .onConflict((oc) => oc.columns(['project_id', 'id']).doNothing())
    .execute();
}

export async function entityExists(db: Executor, projectId: string, entityId: string): Promise<boolean> {
  const row = await db.selectFrom('entities').select('id').where('project_id', '=', projectId).where('id', '=', entityId).executeTakeFirst();
  return row !== undefined;
}

export async function deleteEntityRow(db: Executor, projectId: string, entityId: string): Promise<boolean> {
  const result = await db.deleteFrom('entities').where('project_id', '=', projectId).where('id', '=', entityId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
