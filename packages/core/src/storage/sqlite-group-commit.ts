import { open, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CompiledQuery, SqliteDialect, type DatabaseConnection, type Driver, type QueryCompiler, type SqliteDialectConfig, type TransactionSettings } from 'kysely';

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

/** What the driver needs of the connection besides Kysely's interface. */
export interface SharedCommitHooks {
  /** Whether a transaction is open on the connection (SQLite rolls one back by itself on some errors). */
  inTransaction(): boolean;
  /** Called when writes that callers may have read were rolled back after all. */
  writesLost(): void;
}

/** Most callers one commit is shared by: bounds how long the first of them waits for it. */
export const MAX_SHARED_COMMIT = 32;

/**
 * This process's open connections per database file. A transaction left open across a turn of the
 * event loop holds SQLite's write lock; another connection of the same process that then writes
 * waits for it inside SQLite, blocking the event loop — so the commit it waits for could never
 * run. Commits are therefore shared only while a connection is its file's only one here (the
 * server's case; other processes wait on their own threads).
 */
const connectionsByFile = new Map<string, number>();

/** Why a caller of a shared commit failed although its own statements succeeded. */
class SharedCommitError extends Error {
  override readonly name = 'SharedCommitError';
}

/** A promise settled from outside; nobody may be waiting on it (the caller that commits hears of a failure directly). */
class Settlement {
  readonly promise: Promise<void>;
  #settle!: (error?: unknown) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.#settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    this.promise.catch(() => undefined);
  }

  settle(error?: unknown): void {
    this.#settle(error);
  }
}

/**
 * Callers of one shared transaction. A caller that wrote is answered once the commit is durable,
 * so no acknowledged write can be lost; a caller that only read (it may have read the others'
 * rows) once they are committed — what any reader may see, as without sharing.
 */
class SharedTransaction {
  members = 1;
  wrote = false;
  commitScheduled = false;
  readonly #committed = new Settlement();
  readonly #durable = new Settlement();

  /** What a caller waits for: durability if it wrote, the commit if it only read. */
  waitFor(wrote: boolean): Promise<void> {
    return wrote ? this.#durable.promise : this.#committed.promise;
  }

  committed(): void {
    this.#committed.settle();
  }

  settle(error?: unknown): void {
    this.#committed.settle(error);
    this.#durable.settle(error);
  }
}

/**
 * Kysely's SQLite driver with group commit:
 * - **Shared transactions.** A COMMIT writes every page the transaction changed to the WAL, a
 *   system call pair each, and transactions that run one after another touch mostly the same pages
 *   (the right edge of each table and index). So a transaction that wrote is not committed when it
 *   ends: the transaction stays open until the end of this turn of the event loop, and the callers
 *   that use the connection meanwhile — the other requests that arrived with it — run inside it, a
 *   transaction of theirs as a savepoint released or rolled back on its own. One COMMIT then
 *   serves them all (at most MAX_SHARED_COMMIT). None of them gets control back before that
 *   commit is durable, so nobody can see, or answer with, rows that a failed commit takes back. A
 *   transaction that only read commits at once: sharing it would buy nothing, and would keep a
 *   read snapshot that another process's commit could make stale before a later caller's write.
 * - **Shared syncs.** Before a caller that wrote is given control back, the WAL is fdatasync'ed by
 *   GroupSync, after the connection is released, so the next caller's statements (and its commit)
 *   run while this one's fsync is in flight.
 */
class GroupCommitDriver implements Driver {
  readonly #inner: Driver;
  readonly #writes: WriteTracker;
  readonly #wal: WalFile;
  readonly #sync: GroupSync;
  readonly #hooks: SharedCommitHooks;
  /** The open transaction callers join, if any. */
  #shared: SharedTransaction | undefined;
  /** Whether the running caller's transaction is a savepoint inside a shared transaction. */
  #inSavepoint = false;
  /** The last commit run after a turn of the event loop. */
  #pending: Promise<void> = Promise.resolve();
  /** The database file, absolute: the key of connectionsByFile. */
  readonly #file: string;

  constructor(inner: Driver, writes: WriteTracker, databasePath: string, hooks: SharedCommitHooks) {
    this.#inner = inner;
    this.#file = resolve(databasePath);
    const wal = new WalFile(databasePath);
    // Counted from the start: a connection opened but not used yet may write in this very turn.
    connectionsByFile.set(this.#file, (connectionsByFile.get(this.#file) ?? 0) + 1);
    this.#writes = writes;
    this.#wal = wal;
    this.#hooks = hooks;
    this.#sync = new GroupSync(() => wal.sync());
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  acquireConnection(): Promise<DatabaseConnection> {
    return this.#inner.acquireConnection();
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (this.#shared === undefined) {
      await this.#inner.beginTransaction(connection, settings);
      this.#shared = new SharedTransaction();
      return;
    }
    await connection.executeQuery(CompiledQuery.raw('savepoint authlink_shared'));
    this.#inSavepoint = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    // The shared transaction itself commits when the connection is released (releaseConnection).
    if (!this.#inSavepoint) return;
    this.#inSavepoint = false;
    await connection.executeQuery(CompiledQuery.raw('release savepoint authlink_shared'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (!this.#inSavepoint) {
      // The caller that opened it: nobody else is in it yet (callers hold the connection in turn).
      this.#shared = undefined;
      await this.#inner.rollbackTransaction(connection);
      return;
    }
    this.#inSavepoint = false;
    try {
      await connection.executeQuery(CompiledQuery.raw('rollback to savepoint authlink_shared'));
      await connection.executeQuery(CompiledQuery.raw('release savepoint authlink_shared'));
    } catch {
      // SQLite rolled the whole transaction back already (an I/O error, a full disk): seen at release.
    }
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
    const shared = this.#shared;
    if (shared === undefined) {
      await this.#inner.releaseConnection(connection);
      if (wrote) await this.#sync.durable();
      return;
    }
    shared.wrote ||= wrote;
    if (!this.#hooks.inTransaction()) {
      this.#shared = undefined;
      const error = new SharedCommitError('the transaction was rolled back by the database');
      this.#lose(shared, error);
      await this.#inner.releaseConnection(connection);
      throw error;
    }
    if (shared.wrote && shared.members < MAX_SHARED_COMMIT && connectionsByFile.get(this.#file) === 1) {
      // Left open for whoever comes next in this turn of the event loop; committed at its end.
      shared.members += 1;
      this.#commitAfterThisTurn(shared);
      await this.#inner.releaseConnection(connection);
      return shared.waitFor(wrote);
    }
    await this.#commit(connection, shared);
    return shared.waitFor(wrote);
  }

  #commitAfterThisTurn(shared: SharedTransaction): void {
    if (shared.commitScheduled) return;
    shared.commitScheduled = true;
    setImmediate(() => {
      this.#pending = this.#commitLater(shared).catch(() => undefined);
    });
  }

  /** Commits a shared transaction nobody else committed (a failure reaches its callers through it). */
  async #commitLater(shared: SharedTransaction): Promise<void> {
    const connection = await this.acquireConnection();
    if (this.#shared !== shared) {
      await this.#inner.releaseConnection(connection);
      return;
    }
    await this.#commit(connection, shared);
  }

  /** Commits the shared transaction and releases the connection; its callers are settled by the commit and by the sync after it. */
  async #commit(connection: DatabaseConnection, shared: SharedTransaction): Promise<void> {
    this.#shared = undefined;
    try {
      await this.#inner.commitTransaction(connection);
    } catch (error) {
      if (this.#hooks.inTransaction()) await this.#inner.rollbackTransaction(connection).catch(() => undefined);
      this.#lose(shared, error);
      await this.#inner.releaseConnection(connection);
      throw error;
    }
    await this.#inner.releaseConnection(connection);
    shared.committed();
    if (!shared.wrote) return shared.settle();
    this.#sync.durable().then(
      () => shared.settle(),
      (error: unknown) => shared.settle(error),
    );
  }

  #lose(shared: SharedTransaction, error: unknown): void {
    // Callers that read the group's rows did so inside it and fail with it; a cache filled from
    // them must not outlive it either.
    if (shared.wrote) this.#hooks.writesLost();
    shared.settle(error);
  }

  async destroy(): Promise<void> {
    // Callers still waiting for a commit scheduled after this turn get it before the file closes.
    const shared = this.#shared;
    if (shared !== undefined) await this.#commitLater(shared).catch(() => undefined);
    await this.#pending;
    await this.#sync.settled();
    await this.#wal.close();
    await this.#inner.destroy();
    const left = (connectionsByFile.get(this.#file) ?? 1) - 1;
    if (left > 0) connectionsByFile.set(this.#file, left);
    else connectionsByFile.delete(this.#file);
  }
}

/** SqliteDialect whose driver shares commits and gives control back after a write only once it is durable. */
export class GroupCommitSqliteDialect extends SqliteDialect {
  readonly #writes: WriteTracker;
  readonly #databasePath: string;

  readonly #hooks: SharedCommitHooks;

  constructor(config: SqliteDialectConfig, writes: WriteTracker, databasePath: string, hooks: SharedCommitHooks) {
    super(config);
    this.#writes = writes;
    this.#databasePath = databasePath;
    this.#hooks = hooks;
  }

  override createDriver(): Driver {
    return new GroupCommitDriver(super.createDriver(), this.#writes, this.#databasePath, this.#hooks);
  }
}
