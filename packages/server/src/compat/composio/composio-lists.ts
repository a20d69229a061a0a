import { AuthlinkError, type Page } from '@authlink/core';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * Composio clients send several values as one comma-joined query parameter (`user_ids=a,b`).
 * Each value is checked against `item`; none at all is no filter.
 */
export function commaList(value: string | undefined, item: TSchema, path: string, normalize: (v: string) => string = (v) => v): string[] | undefined {
  if (value === undefined) return undefined;
  const values = [...new Set(value.split(',').map((v) => normalize(v.trim())).filter((v) => v !== ''))];
  const wrong = values.filter((v): boolean => !Value.Check(item, v));
  if (wrong.length > 0) {
    throw new AuthlinkError('VALIDATION_FAILED', `${path}: not valid: ${wrong.map((v) => JSON.stringify(v.slice(0, 80))).join(', ')}`, {
      errors: wrong.map(() => ({ path, message: 'not a valid value' })),
    });
  }
  return values.length === 0 ? undefined : values;
}

export interface NumberedPage<T> {
  items: T[];
  page: number;
  /** A lower bound: the pages seen so far, plus one when there are more. Our lists page by cursor and do not count. */
  totalPages: number;
}

/** Composio v1 pages by number; our lists page by cursor, so page n is reached by walking n - 1 pages. */
export async function pageByNumber<T>(fetchPage: (limit: number, cursor: string | undefined) => Promise<Page<T>>, page: number, pageSize: number): Promise<NumberedPage<T>> {
  let cursor: string | undefined;
  for (let n = 1; ; n += 1) {
    const current = await fetchPage(pageSize, cursor);
    if (n === page) return { items: current.items, page, totalPages: current.nextCursor === null ? n : n + 1 };
    if (current.nextCursor === null) return { items: [], page, totalPages: n };
    cursor = current.nextCursor;
  }
}
