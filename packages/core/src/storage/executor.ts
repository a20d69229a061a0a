import type { Kysely } from 'kysely';
import { AuthlinkError } from '../errors/authlink-error.js';
import type { Database } from './database-schema.js';

/** A database handle or an open transaction: repositories work on either. */
export type Executor = Kysely<Database>;

/** Cursors are opaque to callers; inside they are the last id of the previous page. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[a-z]+_[0-9a-z]+$/.test(id)) {
    throw new AuthlinkError('VALIDATION_FAILED', 'cursor is not one this server issued', { errors: [{ path: '/cursor', message: 'invalid cursor' }] });
  }
  return id;
}

export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/** Fetches limit+1 rows to know whether another page exists without a count query. */
export function toPage<T extends { id: string }>(rows: T[], limit: number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}
