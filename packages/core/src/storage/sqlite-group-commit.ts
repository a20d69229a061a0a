import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SqliteDialect, type DatabaseConnection, type Driver, type QueryCompiler, type SqliteDialectConfig, type TransactionSettings } from 'kysely';

/**
 * Group commit for the embedded database. SQLite runs with `synchronous=NORMAL`: a commit writes
 * its frames to the WAL file but does not fsync it. Before a caller that wrote is given control
 * back — so before any answer built on that write goes out — the WAL file is fdatasync'ed, on the
 * libuv thread pool, by a sync that started after the caller's commit. Every commit that arrives
 * while one sync runs shares the next one. An acknowledged write is therefore on stable storage
 * exactly as with `synchronous=FULL` (which fsyncs the WAL inside every COMMIT, blocking the event
 * loop for its duration); what changes is that writers no longer wait for each other's fsync.
 * Other callers may read a commit as soon as it is in the WAL, a fraction of a millisecond before
 * it is on stable storage; that matters only for a power loss in that window (a killed process
 * loses nothing: the WAL is in the operating system's cache).
 *
 * SQLite itself still syncs what NORMAL syncs: the WAL before a checkpoint, the database after
 * it, and the WAL header when the file is reused (https://sqlite.org/pragma.html#pragma_synchronous).
 */
export class GroupSync {
  readonly #sync: () => Promise<void>;
  /** The last sync scheduled (running or done). */
  #tail: Promise<void> = Promise.resolve();
  /** A sync scheduled after the running one and not started yet: callers from now on join it. */
  #next: Promise<void> | undefined;

  /** `sync` makes everything written before it was called durable. */
  constructor(sync: () => Promise<void>) {
    this.#sync = sync;
  }

  /** Resolves once everything written before this call is durable. */
  durable(): Promise<void> {
    if (this.#next !== undefined) return this.#next;
    const start = () => {
      // From here on, a write may land after the sync began: it waits for the one after this.
      this.#next = undefined;
      return this.#sync();
    };
    const next = this.#tail.then(start, start);
    this.#next = next;
    this.#tail = next;
    return next;
  }

  /** Resolves once no sync is running or scheduled. */
  async settled(): Promise<void> {
    await this.#tail.catch(() => undefined);
  }
}

/**
 * fdatasync of a database's WAL file. The handle is kept open: each file operation costs the event
 * loop a thread-pool round trip. SQLite never deletes or replaces the WAL while a connection (this
 * process's) has the database open; it truncates or rewrites it in place, so the handle stays
 * the file's.
 */
export class WalFile {
  readonly #path: string;
  #handle: FileHandle | undefined;

  constructor(databasePath: string) {
    this.#path = `${databasePath}-wal`;
  }

  async sync(): Promise<void> {
    if (this.#handle === undefined) {
      try {
        this.#handle = await open(this.#path, 'r+');
      } catch (error) {
        // No WAL file: everything was checkpointed into the database file, which SQLite synced.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      // A new file's directory entry must be durable too, or the file can vanish with the power.
      await syncDirectory(dirname(this.#path));
    }
    await this.#handle.datasync();
  }

  async close(): Promise<void> {
    await this.#handle?.close();
    this.#handle = undefined;
  }
}

async function syncDirectory(path: string): Promise<void> {
  const directory = await open(path, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** Whether a write ran on the connection since the last `take()`: set by the statement wrapper. */
export class WriteTracker {
  #wrote = false;
  markWrite(): void {
    this.#wrote = true;
  }
  take(): boolean {
    const wrote = this.#wrote;
    this.#wrote = false;
    return wrote;
  }
}

/**
 * Kysely's SQLite driver, waiting for the group sync when a caller releases the connection after
 * writing. The wait comes after the release, so the next caller's statements (and its commit) run
 * while this one's fsync is in flight: that is what lets commits share an fsync.
 */
class GroupCommitDriver implements Driver {
  readonly #inner: Driver;
  readonly #writes: WriteTracker;
  readonly #wal: WalFile;
  readonly #sync: GroupSync;

  constructor(inner: Driver, writes: WriteTracker, wal: WalFile) {
    this.#inner = inner;
    this.#writes = writes;
    this.#wal = wal;
    this.#sync = new GroupSync(() => wal.sync());
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  acquireConnection(): Promise<DatabaseConnection> {
    return this.#inner.acquireConnection();
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.#inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.rollbackTransaction(connection);
  }

  savepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    return this.#inner.savepoint!(connection, name, compileQuery);
  }

  rollbackToSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    return this.#inner.rollbackToSavepoint!(connection, name, compileQuery);
  }

  releaseSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    return this.#inner.releaseSavepoint!(connection, name, compileQuery);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    // Taken before the release: after it, the next holder's writes are its own to wait for.
    const wrote = this.#writes.take();
    await this.#inner.releaseConnection(connection);
    if (wrote) await this.#sync.durable();
  }

  async destroy(): Promise<void> {
    await this.#sync.settled();
    await this.#wal.close();
    await this.#inner.destroy();
  }
}

/** SqliteDialect whose driver gives control back after a write only once it is durable. */
export class GroupCommitSqliteDialect extends SqliteDialect {
  readonly #writes: WriteTracker;
  readonly #databasePath: string;

  constructor(config: SqliteDialectConfig, writes: WriteTracker, databasePath: string) {
    super(config);
    this.#writes = writes;
    this.#databasePath = databasePath;
  }

  override createDriver(): Driver {
    return new GroupCommitDriver(super.createDriver(), this.#writes, new WalFile(this.#databasePath));
  }
}
