import type { Executor } from '../executor.js';
import { preparedQuery, type Param } from '../prepared-query.js';

const insertEntityIfAbsent = preparedQuery((db, param: Param<{ projectId: string; entityId: string; now: string }>) =>
  db
    .insertInto('entities')
    .values({ project_id: param('projectId'), id: param('entityId'), created_at: param('now') })
    .onConflict((oc) => oc.columns(['project_id', 'id']).doNothing()),
);

/** Entities are created on first use; inserting an existing one is a no-op. */
export async function ensureEntity(db: Executor, projectId: string, entityId: string, now: string): Promise<void> {
  await insertEntityIfAbsent.execute(db, { projectId, entityId, now });
}

export async function entityExists(db: Executor, projectId: string, entityId: string): Promise<boolean> {
  const row = await db.selectFrom('entities').select('id').where('project_id', '=', projectId).where('id', '=', entityId).executeTakeFirst();
  return row !== undefined;
}

export async function deleteEntityRow(db: Executor, projectId: string, entityId: string): Promise<boolean> {
  const result = await db.deleteFrom('entities').where('project_id', '=', projectId).where('id', '=', entityId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
