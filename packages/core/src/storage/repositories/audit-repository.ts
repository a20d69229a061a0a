import type { Insertable, Selectable } from 'kysely';
import type { AuditEventsTable } from '../database-schema.js';
import { decodeCursor, toPage, type Executor } from '../executor.js';
import { preparedQuery, type Param, type PreparedQuery } from '../prepared-query.js';

export type AuditEventRow = Selectable<AuditEventsTable>;

type NewAuditEventRow = Insertable<AuditEventsTable>;

const COLUMNS = ['id', 'project_id', 'at', 'actor', 'action', 'target_type', 'target_id', 'outcome', 'detail'] as const;
/** Rows per INSERT: few statements per batch, and few distinct statement texts (one per size up to this). */
const CHUNK = 64;

/** Parameter names of row r: r0_id, r0_project_id, … */
const PARAMS = Array.from({ length: CHUNK }, (_, r) => COLUMNS.map((column) => `r${r}_${column}`));

const insertsBySize = new Map<number, PreparedQuery<Record<string, unknown>, unknown>>();

/** A multi-row INSERT of `size` rows, compiled once. */
function insertOf(size: number): PreparedQuery<Record<string, unknown>, unknown> {
  let insert = insertsBySize.get(size);
  if (insert === undefined) {
    insert = preparedQuery((db, param: Param<Record<string, string>>) =>
      db
        .insertInto('audit_events')
        .values(PARAMS.slice(0, size).map((names) => Object.fromEntries(COLUMNS.map((column, c) => [column, param(names[c]!)])) as unknown as NewAuditEventRow)),
    );
    insertsBySize.set(size, insert);
  }
  return insert;
}

/**
 * Writes a batch of events in one transaction. Audit batches arrive hundreds at a time on busy
 * servers; building and compiling one INSERT of that many rows through Kysely cost more than the
 * rows themselves, so chunks of fixed size reuse compiled (and prepared) statements.
 */
export async function insertAuditEvents(db: Executor, rows: readonly NewAuditEventRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (let start = 0; start < rows.length; start += CHUNK) {
      const chunk = rows.slice(start, start + CHUNK);
      const params: Record<string, unknown> = {};
      chunk.forEach((row, r) => {
        const names = PARAMS[r]!;
        COLUMNS.forEach((column, c) => {
          params[names[c]!] = row[column] ?? null;
        });
      });
      await insertOf(chunk.length).execute(trx, params);
    }
  });
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
