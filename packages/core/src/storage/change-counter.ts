import type SQLite from 'better-sqlite3';

/**
 * A number that moves whenever the database may have changed in a way a cache of rows could
 * notice. A cached value read while the counter showed `n` is still what the database holds as
 * long as the counter still shows `n`. Read the counter before reading the rows, never after.
 */
export interface ChangeCounter {
  current(): number;
}

/**
 * Statements that only append to tables no cache holds (the audit trail, written in batches
 * while credential reads are served): they leave the counter alone.
 */
const APPEND_ONLY = /^insert into "audit_events" /;

/**
 * The embedded database's change counter. Two sources move it:
 * - this process's writes: every statement that can change the database, counted when it is
 *   prepared to run — before it runs, so a reader that saw the old count never keeps its rows;
 * - other connections' commits (another process: the CLI, a second server on the same file):
 *   SQLite's `PRAGMA data_version`, which changes when another connection committed. Reading it
 *   costs a lock on the WAL index, about a third of a primary-key lookup, so it is read once per
 *   turn of the event loop and shared by the requests of that turn: the requests the loop is
 *   handling arrived before it began. Another process's commit is therefore seen by the next turn.
 */
export class SqliteChangeCounter implements ChangeCounter {
  readonly #dataVersion: SQLite.Statement<[], number>;
  #count = 0;
  #lastVersion = -1;
  #checked = false;
  readonly #newTurn = () => {
    this.#checked = false;
  };

  constructor(sqlite: SQLite.Database) {
    this.#dataVersion = sqlite.prepare<[], number>('PRAGMA data_version').pluck();
  }

  /** Called for each statement of this connection that can write, with its SQL, before it runs. */
  noteWrite(sql: string): void {
    if (!APPEND_ONLY.test(sql)) this.#count += 1;
  }

  current(): number {
    if (!this.#checked) {
      this.#checked = true;
      setImmediate(this.#newTurn);
      const version = this.#dataVersion.get() as number;
      if (version !== this.#lastVersion) {
        this.#lastVersion = version;
        this.#count += 1;
      }
    }
    return this.#count;
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
