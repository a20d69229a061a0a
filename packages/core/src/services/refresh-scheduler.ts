import { addSeconds } from '../clock.js';
import { findAccountsDueForRefresh } from '../storage/repositories/refresh-lease-repository.js';
import type { CredentialRefresher } from './credential-refresher.js';
import type { ServiceContext } from './service-context.js';

export interface RefreshSchedulerOptions {
  /** How often to look for accounts about to expire. */
  intervalSeconds: number;
  /** Look this far ahead; the refresher's own margin decides whether each one is due. */
  horizonSeconds: number;
  /** Accounts per sweep; the rest wait for the next one. */
  batchSize: number;
  /** Integrations configured by issuer read its metadata again after this long. */
  metadataMaxAgeSeconds: number;
}

export const DEFAULT_REFRESH_SCHEDULE: RefreshSchedulerOptions = Object.freeze({
  intervalSeconds: 30,
  horizonSeconds: 6 * 60,
  batchSize: 100,
  metadataMaxAgeSeconds: 24 * 60 * 60,
});

/**
 * Renews credentials nobody is reading, and re-reads issuers' metadata when it is old, so an account stays usable for months untouched. Each
 * account goes through the same refresher as reads do, so the lease keeps sweeps of several
 * processes from refreshing the same account twice.
 */
export class RefreshScheduler {
  readonly #ctx: ServiceContext;
  readonly #refresher: CredentialRefresher;
  readonly #options: RefreshSchedulerOptions;
  #timer: NodeJS.Timeout | undefined;
  #sweep: Promise<number> | undefined;

  constructor(context: ServiceContext, refresher: CredentialRefresher, options: Partial<RefreshSchedulerOptions> = {}) {
    this.#ctx = context;
    this.#refresher = refresher;
    this.#options = { ...DEFAULT_REFRESH_SCHEDULE, ...options };
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.sweep(), this.#options.intervalSeconds * 1000);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sweep;
  }

  /** One pass; returns how many accounts it looked at. Overlapping calls share one pass. */
  sweep(): Promise<number> {
    this.#sweep ??= this.#run().finally(() => {
      this.#sweep = undefined;
    });
    return this.#sweep;
  }

  async #run(): Promise<number> {
    const now = this.#ctx.clock();
    const due = await findAccountsDueForRefresh(this.#ctx.db, now.toISOString(), addSeconds(now, this.#options.horizonSeconds).toISOString(), this.#options.batchSize);
    for (const account of due) {
      try {
        await this.#refresher.fresh(account.projectId, account.id);
      } catch (error) {
        // Recorded on the account by the refresher; one bad account must not stop the sweep.
        this.#ctx.logger.warn({ connectedAccountId: account.id, err: error instanceof Error ? error.message : String(error) }, 'background refresh failed');
      }
    }
    try {
      await this.#ctx.integrations.refreshStaleMetadata(addSeconds(now, -this.#options.metadataMaxAgeSeconds), this.#options.batchSize);
    } catch (error) {
      this.#ctx.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'issuer metadata sweep failed');
    }
    return due.length;
  }
}
