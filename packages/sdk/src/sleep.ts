import { abortedError } from './errors.js';
import type { AbortSignalLike } from './fetch-types.js';

// setTimeout fires at once for delays past 2^31 - 1 ms.
const MAX_TIMER_MS = 2_147_483_647;

/** Resolves after `ms` milliseconds; rejects with an `ABORTED` error as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignalLike): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError(signal.reason));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.min(ms, MAX_TIMER_MS));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
