import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints on a worker thread. SQLite checkpoints automatically inside the commit that
 * takes the WAL past `wal_autocheckpoint` pages, on the connection that committed — for the
 * server, the event loop: it copies the WAL's pages into the database file and waits for two
 * fsyncs while every request waits. On the VM of bench/results that was a stall of ~25 ms every
 * ~1000 pages, ~110 µs of each initiated connection. Here a connection of its own, on a worker
 * thread, runs PASSIVE checkpoints (they never wait for, nor block, readers and the writer) while
 * the event loop goes on; the server's connection keeps a high `wal_autocheckpoint` as a backstop
 * should the worker fall behind or fail.
 *
 * Durability is SQLite's own: the checkpointing connection uses `synchronous=NORMAL`, which
 * syncs the WAL before copying and the database after, before the WAL can be reused.
 */

/** The server connection's automatic checkpoint while the worker checkpoints (pages, ~40 MB). */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 10_000;
/** SQLite's default, kept until the worker runs and restored if it fails. */
export const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;
/** Synced commits before the worker is started: a server that only started (or idles) does not need it. */
export const SYNCS_BEFORE_START = 64;
/** Synced commits between two checkpoints, while none is running. */
export const SYNCS_PER_CHECKPOINT = 8;

/** What one PASSIVE checkpoint reported (PRAGMA wal_checkpoint): frames in the WAL, frames copied. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

export interface CheckpointerOptions {
  /** Sets the server connection's wal_autocheckpoint (pages). */
  setAutocheckpoint(pages: number): void;
  /** The worker could not run; SQLite's own checkpoints take over again. */
  onFailure?(error: Error): void;
  syncsBeforeStart?: number;
  syncsPerCheckpoint?: number;
}

// The worker's code, inline so that it runs the same from the TypeScript sources (tests) and from
// the build. CommonJS: an eval'd worker is a script. It answers each message with the checkpoint's result.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage(checkpoint.get());
  } catch {
    // Another connection's checkpoint holds the lock, or the disk failed: the next one tries again.
    parentPort.postMessage({ busy: 1, log: -1, checkpointed: -1 });
  }
});
parentPort.postMessage('ready');
`;

export class BackgroundCheckpointer {
  readonly #path: string;
  readonly #options: CheckpointerOptions;
  readonly #syncsBeforeStart: number;
  readonly #syncsPerCheckpoint: number;
  #worker: Worker | undefined;
  #exited: Promise<void> = Promise.resolve();
  #syncs = 0;
  #syncsSinceCheckpoint = 0;
  #running = false;
  #failed = false;
  #closed = false;
  /** Resolves when the running checkpoint (if any) has answered. */
  #idle: Promise<void> = Promise.resolve();
  #answer: ((result: CheckpointResult | undefined) => void) | undefined;
  /** Checkpoints run, and the last one's result (for tests and diagnostics). */
  checkpoints = 0;
  lastResult: CheckpointResult | undefined;

  constructor(databasePath: string, options: CheckpointerOptions) {
    this.#path = resolve(databasePath);
    this.#options = options;
    this.#syncsBeforeStart = options.syncsBeforeStart ?? SYNCS_BEFORE_START;
    this.#syncsPerCheckpoint = options.syncsPerCheckpoint ?? SYNCS_PER_CHECKPOINT;
  }

  /** Whether the worker thread runs. */
  get started(): boolean {
    return this.#worker !== undefined;
  }

  /** Called after each fsync of the WAL (commits synced): decides whether a checkpoint is due. */
  afterSync(): void {
    if (this.#failed || this.#closed) return;
    this.#syncs += 1;
    this.#syncsSinceCheckpoint += 1;
    if (this.#worker === undefined && this.#syncs < this.#syncsBeforeStart) return;
    if (this.#running || this.#syncsSinceCheckpoint < this.#syncsPerCheckpoint) return;
    this.#checkpoint();
  }

  #checkpoint(): void {
    this.#running = true;
    this.#syncsSinceCheckpoint = 0;
    const worker = this.#worker ?? this.#start();
    this.#idle = new Promise((done) => {
      this.#answer = (result) => {
        this.#running = false;
        this.#answer = undefined;
        if (result !== undefined) {
          this.checkpoints += 1;
          this.lastResult = result;
        }
        done();
      };
    });
    worker.postMessage('checkpoint');
  }

  #start(): Worker {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path: this.#path } });
    // A checkpoint the process should not wait for at exit: the server closes it on shutdown.
    worker.unref();
    worker.on('message', (message: CheckpointResult | 'ready') => {
      if (message === 'ready') {
        this.#options.setAutocheckpoint(BACKSTOP_AUTOCHECKPOINT_PAGES);
        return;
      }
      this.#answer?.(message);
    });
    worker.on('error', (error) => this.#fail(error));
    this.#exited = new Promise((done) => {
      worker.once('exit', (code) => {
        this.#answer?.(undefined);
        if (!this.#closed) this.#fail(new Error(`the checkpoint worker exited (code ${code})`));
        done();
      });
    });
    this.#worker = worker;
    return worker;
  }

  #fail(error: Error): void {
    if (this.#failed || this.#closed) return;
    this.#failed = true;
    this.#worker = undefined;
    this.#answer?.(undefined);
    this.#options.setAutocheckpoint(DEFAULT_AUTOCHECKPOINT_PAGES);
    this.#options.onFailure?.(error);
  }

  /** Waits for a running checkpoint, then stops the worker (before the server's connection closes). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker === undefined) return;
    await this.#idle;
    worker.postMessage('close');
    await this.#exited;
  }
}
