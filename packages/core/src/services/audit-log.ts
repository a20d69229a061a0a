import type { Clock } from '../clock.js';
import { newId } from '../ids.js';
import type { Page } from '../model.js';
import type { Executor } from '../storage/executor.js';
import { insertAuditEvents, listAuditEvents, type AuditFilter } from '../storage/repositories/audit-repository.js';
import type { Logger } from './logger.js';

export const AUDIT_ACTIONS = [
  'api_key.created',
  'integration.created',
  'integration.updated',
  'integration.deleted',
  'connected_account.initiated',
  'connected_account.status_changed',
  'connected_account.deleted',
  'credentials.read',
  'credentials.refreshed',
  'proxy.request',
  'project.settings_changed',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Who did it: `key:<api key id>`, `browser` (connect pages, callback), `system` (background work), `cli`. */
export type AuditActor = string;

/** Facts about an event. Never a secret: values are ids, statuses, app keys, HTTP statuses, reasons. */
export type AuditDetail = Record<string, string | number | boolean | null>;

export interface AuditEventInput {
  projectId: string;
  actor: AuditActor;
  action: AuditAction;
  targetType: 'api_key' | 'integration' | 'connected_account' | 'project';
  targetId: string | null;
  outcome: 'success' | 'failure' | 'refused';
  detail?: AuditDetail;
}

export interface AuditEvent extends Omit<AuditEventInput, 'detail'> {
  id: string;
  at: string;
  detail: AuditDetail;
}

const FLUSH_EVERY_MS = 200;
const FLUSH_AT = 500;

/**
 * The audit trail. Events are written in small batches off the request path (a credential read
 * or a proxied call must not wait for an fsync of its own); `flush` runs on shutdown, so only a
 * crash can lose the last fraction of a second of events.
 */
export class AuditLog {
  readonly #db: Executor;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #pending: Parameters<typeof insertAuditEvents>[1][number][] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(db: Executor, clock: Clock, logger: Logger) {
    this.#db = db;
    this.#clock = clock;
    this.#logger = logger;
  }

  record(event: AuditEventInput): void {
    const now = this.#clock();
    this.#pending.push({
      id: newId('evt', now),
      project_id: event.projectId,
      at: now.toISOString(),
      actor: event.actor,
      action: event.action,
      target_type: event.targetType,
      target_id: event.targetId,
      outcome: event.outcome,
      detail: JSON.stringify(event.detail ?? {}),
    });
    if (this.#pending.length >= FLUSH_AT) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS).unref();
  }

  /** Writes what is pending; resolves when it is on disk. */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    this.#flushing = this.#flushing.then(async () => {
      try {
        await insertAuditEvents(this.#db, batch);
      } catch (error) {
        this.#logger.error({ err: error instanceof Error ? error.message : String(error), events: batch.length }, 'audit events could not be written');
      }
    });
    return this.#flushing;
  }

  async list(projectId: string, filter: AuditFilter): Promise<Page<AuditEvent>> {
    await this.flush();
    const page = await listAuditEvents(this.#db, projectId, filter);
    return {
      items: page.items.map((row) => ({
        id: row.id,
        at: row.at,
        projectId: row.project_id,
        actor: row.actor,
        action: row.action as AuditAction,
        targetType: row.target_type as AuditEvent['targetType'],
        targetId: row.target_id,
        outcome: row.outcome as AuditEvent['outcome'],
        detail: JSON.parse(row.detail) as AuditDetail,
      })),
      nextCursor: page.nextCursor,
    };
  }
}
