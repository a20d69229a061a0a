import { AuthLinkError } from './errors.js';
import type { Page } from './types.js';

/** Fetches the page at `cursor` (`undefined` for the first). */
export type PageFetcher<T> = (cursor: string | undefined) => Promise<Page<T>>;

/**
 * Walks a list across all its pages, fetching each only when the previous one is used up.
 *
 * ```ts
 * for await (const account of client.connectedAccounts.listAll({ app: 'gmail' })) { … }
 * for await (const page of client.connectedAccounts.listAll().pages()) { … }
 * const all = await client.connectedAccounts.listAll({ entityId }).toArray();
 * ```
 */
export class AutoPaginator<T> implements AsyncIterable<T> {
  readonly #fetchPage: PageFetcher<T>;
  readonly #firstCursor: string | undefined;

  /** @internal Resources build paginators; use a resource's `listAll`. */
  constructor(fetchPage: PageFetcher<T>, firstCursor?: string) {
    this.#fetchPage = fetchPage;
    this.#firstCursor = firstCursor;
  }

  /** Yields every page in turn, the first included. */
  async *pages(): AsyncGenerator<Page<T>, void, undefined> {
    let cursor = this.#firstCursor;
    const seen = new Set<string>();
    for (;;) {
      const page = await this.#fetchPage(cursor);
      yield page;
      if (page.nextCursor === null || page.nextCursor === undefined) return;
      // A server that hands back a cursor twice would loop this for ever.
      if (seen.has(page.nextCursor)) {
        throw new AuthLinkError({
          code: 'INVALID_RESPONSE',
          message: 'The server returned the same page cursor twice; stopped paging',
        });
      }
      seen.add(page.nextCursor);
      cursor = page.nextCursor;
    }
  }

  /** Yields every item of every page. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.items;
  }

  /** Collects every item of every page. */
  async toArray(): Promise<T[]> {
    const items: T[] = [];
    for await (const item of this) items.push(item);
    return items;
  }
}
