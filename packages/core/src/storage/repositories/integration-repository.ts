import type { AuthSchemeName } from '../../catalog/app-definition.js';
import type { Integration, IntegrationConfig } from '../../model.js';
import type { IntegrationRow, IntegrationUpdate, NewIntegrationRow } from '../database-schema.js';
import { decodeCursor, toPage, type Executor } from '../executor.js';
import { preparedQuery, type Param } from '../prepared-query.js';

export function toIntegration(row: IntegrationRow): Integration {
  return {
    id: row.id,
    projectId: row.project_id,
    app: row.app,
    name: row.name,
    authScheme: row.auth_scheme as AuthSchemeName,
    scopes: JSON.parse(row.scopes) as string[],
    clientId: row.client_id,
    hasClientSecret: row.client_secret_ciphertext !== null,
    config: JSON.parse(row.config) as IntegrationConfig,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function insertIntegration(db: Executor, row: NewIntegrationRow): Promise<void> {
  await db.insertInto('integrations').values(row).execute();
}

const integrationById = preparedQuery((db, param: Param<{ projectId: string; id: string }>) =>
  db.selectFrom('integrations').selectAll().where('project_id', '=', param('projectId')).where('id', '=', param('id')),
);

export async function findIntegrationRow(db: Executor, projectId: string, id: string): Promise<IntegrationRow | undefined> {
  const [row] = (await integrationById.execute(db, { projectId, id })).rows;
  return row;
}

export async function listIntegrationRows(
  db: Executor,
  projectId: string,
  filter: { app?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: IntegrationRow[]; nextCursor: string | null }> {
  const after = decodeCursor(filter.cursor);
  let query = db.selectFrom('integrations').selectAll().where('project_id', '=', projectId);
  if (filter.app !== undefined) query = query.where('app', '=', filter.app);
  if (after !== undefined) query = query.where('id', '<', after);
  const rows = await query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
  return toPage(rows, filter.limit);
}

export async function findIntegrationRowsForApp(db: Executor, projectId: string, app: string): Promise<IntegrationRow[]> {
  return db.selectFrom('integrations').selectAll().where('project_id', '=', projectId).where('app', '=', app).orderBy('id', 'asc').execute();
}

export async function updateIntegrationRow(db: Executor, projectId: string, id: string, update: IntegrationUpdate): Promise<void> {
  await db.updateTable('integrations').set(update).where('project_id', '=', projectId).where('id', '=', id).execute();
}

export async function deleteIntegrationRow(db: Executor, projectId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('integrations').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
