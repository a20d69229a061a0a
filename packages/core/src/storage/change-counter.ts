import type SQLite from 'better-sqlite3';

/** The tables whose rows are cached between requests. */
export type CachedTable = 'connected_accounts' | 'integrations' | 'entities';

/**
 * A number that moves whenever rows of the given tables may have changed. A value cached from
 * those tables while the counter showed `n` is still what the database holds as long as the
 * counter still shows `n`. Read the counter before reading the rows, never after.
 */
export interface ChangeCounter {
  current(tables: readonly CachedTable[]): number;
}

/** How stale another process's commit may be when a cached row is served. */
export const OTHERS_SEEN_WITHIN_MS = 1;

/** The table a data statement writes, as Kysely spells it (quoted). */
const WRITTEN_TABLE = /^(?:insert into|update|delete from) "([a-z_]+)" /;

/**
 * What a write to each table may change among the cached tables, cascades included (an entity's
 * deletion deletes its accounts). Tables no cache holds — the audit trail, links, states, labels,
 * API keys — move nothing. Any other statement (projects, whose deletion cascades everywhere,
 * migrations, statements of unknown shape) moves every table.
 */
const CHANGES: ReadonlyMap<string, readonly CachedTable[]> = new Map<string, readonly CachedTable[]>([
  ['connected_accounts', ['connected_accounts']],
  ['integrations', ['integrations']],
  ['entities', ['entities', 'connected_accounts']],
  ['connected_account_labels', []],
  ['connect_links', []],
  ['oauth_states', []],
  ['audit_events', []],
  ['api_keys', []],
]);

/**
 * The embedded database's change counter. Two sources move it:
 * - this process's writes: every statement that can change the database, counted when it is
 *   prepared to run — before it runs, so a reader that saw the old count never keeps its rows;
 * - other connections' commits (another process: the CLI, a second server on the same file):
 *   SQLite's `PRAGMA data_version`, which changes when another connection committed. Reading it
 *   takes a lock on the WAL index, two system calls — more than a cached read costs otherwise —
 *   so it is read at most once per millisecond (OTHERS_SEEN_WITHIN_MS). Another process's commit
 *   is therefore seen by every request that starts a millisecond after it, and moves every table
 *   (which rows it wrote is not known). This process's own writes are seen at once.
 */
export class SqliteChangeCounter implements ChangeCounter {
  readonly #dataVersion: SQLite.Statement<[], number>;
  /** Writes per cached table, and writes that may have changed any table. */
  readonly #byTable: Record<CachedTable, number> = { connected_accounts: 0, integrations: 0, entities: 0 };
  #everything = 0;
  #lastVersion = -1;
  /** When data_version was last read (performance.now()). */
  #checkedAt = -Infinity;

  constructor(sqlite: SQLite.Database) {
    this.#dataVersion = sqlite.prepare<[], number>('PRAGMA data_version').pluck();
  }

  /** Called for each statement of this connection that can write, with its SQL, before it runs. */
  noteWrite(sql: string): void {
    const table = WRITTEN_TABLE.exec(sql)?.[1];
    const changes = table === undefined ? undefined : CHANGES.get(table);
    if (changes === undefined) this.#everything += 1;
    else for (const changed of changes) this.#byTable[changed] += 1;
  }

  /** Writes that may already have been read were rolled back (a shared commit failed). */
  noteLostWrites(): void {
    this.#everything += 1;
  }

  current(tables: readonly CachedTable[]): number {
    const now = performance.now();
    if (now - this.#checkedAt >= OTHERS_SEEN_WITHIN_MS) {
      this.#checkedAt = now;
      const version = this.#dataVersion.get() as number;
      if (version !== this.#lastVersion) {
        this.#lastVersion = version;
        this.#everything += 1;
      }
    }
    // Counts only grow, so their sum moves whenever any of them does.
    let count = this.#everything;
    for (const table of tables) count += this.#byTable[table];
    return count;
  }
}

/** The counter of each database that has one (SQLite). PostgreSQL has none: its rows are not cached. */
const counters = new WeakMap<object, ChangeCounter>();

export function registerChangeCounter(db: object, counter: ChangeCounter): void {
  counters.set(db, counter);
}

export function changeCounterOf(db: object): ChangeCounter | undefined {
  return counters.get(db);
}
