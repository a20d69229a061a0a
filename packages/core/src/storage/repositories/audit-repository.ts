import type { Insertable, Selectable } from 'kysely';
import type { AuditEventsTable } from '../database-schema.js';
import { decodeCursor, toPage, type Executor } from '../executor.js';

export type AuditEventRow = Selectable<AuditEventsTable>;

export async function insertAuditEvents(db: Executor, rows: readonly Insertable<AuditEventsTable>[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('audit_events').values([...rows]).execute();
}

export interface AuditFilter {
  action?: string | undefined;
  targetId?: string | undefined;
  actor?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export async function listAuditEvents(db: Executor, projectId: string, filter: AuditFilter): Promise<{ items: AuditEventRow[]; nextCursor: string | null }> {
  const after = decodeCursor(filter.cursor);
  let query = db.selectFrom('audit_events').selectAll().where('project_id', '=', projectId);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.targetId !== undefined) query = query.where('target_id', '=', filter.targetId);
  if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('at', '<', filter.until);
  if (after !== undefined) query = query.where('id', '<', after);
  const rows = await query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
  return toPage(rows, filter.limit);
}
