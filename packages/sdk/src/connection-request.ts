import { AuthLinkError, ConnectionFailedError, ConnectionTimeoutError } from './errors.js';
import type { FailedConnectionStatus } from './errors.js';
import type { AbortSignalLike } from './fetch-types.js';
import { assertDuration } from './http.js';
import type { RequestOptions } from './http.js';
import { sleep } from './sleep.js';
import type { ConnectedAccount, InitiateConnectionResponse, InitiatedConnectionStatus } from './types.js';

/** Default of {@link WaitUntilActiveOptions.timeoutMs}: two minutes. */
export const DEFAULT_WAIT_TIMEOUT_MS = 120_000;
/** Default of {@link WaitUntilActiveOptions.intervalMs}: one second. */
export const DEFAULT_POLL_INTERVAL_MS = 1_000;

/** Options of {@link ConnectionRequest.waitUntilActive}. */
export interface WaitUntilActiveOptions {
  /** How long to wait in all, in milliseconds. Default 120 000; `Infinity` waits for ever. */
  timeoutMs?: number;
  /** Pause between two reads of the account, in milliseconds. Default 1 000. */
  intervalMs?: number;
  /** Stops waiting; the promise then rejects with code `ABORTED`. */
  signal?: AbortSignalLike;
}

/** Reads one connected account; `timeoutMs` is what is left of the wait. */
export type ConnectedAccountReader = (id: string, options: RequestOptions) => Promise<ConnectedAccount>;

const FAILED_STATUSES: ReadonlySet<string> = new Set<FailedConnectionStatus>(['FAILED', 'EXPIRED', 'INACTIVE']);

/**
 * A connection that was just initiated (or re-initiated). Send the end user's browser to
 * `redirectUrl` when there is one, then `waitUntilActive()`. Serializes to its three
 * answer fields, so it can be returned from an HTTP handler as is.
 */
export class ConnectionRequest implements InitiateConnectionResponse {
  readonly connectionStatus: InitiatedConnectionStatus;
  readonly connectedAccountId: string;
  readonly redirectUrl: string | null;
  readonly #readAccount: ConnectedAccountReader;

  /** @internal Built by `initiate`, `reinitiate` and `entity.initiateConnection`. */
  constructor(response: InitiateConnectionResponse, readAccount: ConnectedAccountReader) {
    this.connectionStatus = response.connectionStatus;
    this.connectedAccountId = response.connectedAccountId;
    this.redirectUrl = response.redirectUrl;
    this.#readAccount = readAccount;
  }

  /**
   * Polls the connected account until it is `ACTIVE` and resolves with it.
   *
   * Rejects with {@link ConnectionFailedError} when the account reaches `FAILED`, `EXPIRED`
   * or `INACTIVE`; with {@link ConnectionTimeoutError} when `timeoutMs` passes first.
   * Transient failures of a poll (network error, request timeout, 429, 5xx) are retried
   * until then; any other error (401, 404…) rejects at once.
   */
  async waitUntilActive(options: WaitUntilActiveOptions = {}): Promise<ConnectedAccount> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    const intervalMs = options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    assertDuration(timeoutMs, 'timeoutMs');
    assertDuration(intervalMs, 'intervalMs');
    const { signal } = options;
    const deadline = Date.now() + timeoutMs;
    let lastAccount: ConnectedAccount | undefined;
    let lastError: unknown;

    const timedOut = (): ConnectionTimeoutError =>
      new ConnectionTimeoutError({
        connectedAccountId: this.connectedAccountId,
        timeoutMs,
        lastAccount,
        cause: lastError,
      });

    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw timedOut();
      try {
        const account = await this.#readAccount(this.connectedAccountId, {
          timeoutMs: remaining,
          ...(signal === undefined ? {} : { signal }),
        });
        lastAccount = account;
        lastError = undefined;
        if (account.status === 'ACTIVE') return account;
        if (isFailed(account)) throw new ConnectionFailedError(account);
      } catch (error) {
        if (!isTransient(error)) throw error;
        lastError = error;
      }
      const pause = Math.min(intervalMs, deadline - Date.now());
      if (pause <= 0) throw timedOut();
      await sleep(pause, signal);
    }
  }
}

function isFailed(account: ConnectedAccount): account is ConnectedAccount & { status: FailedConnectionStatus } {
  return FAILED_STATUSES.has(account.status);
}

/** Failures worth another poll: no answer, or an answer that says "try later". */
function isTransient(error: unknown): boolean {
  if (!(error instanceof AuthLinkError) || error instanceof ConnectionFailedError) return false;
  if (error.code === 'NETWORK_ERROR' || error.code === 'REQUEST_TIMEOUT') return true;
  return error.status !== undefined && (error.status === 429 || error.status >= 500);
}
