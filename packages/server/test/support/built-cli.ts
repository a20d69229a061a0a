import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root and the built CLI (made current by vitest.global-setup.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const CLI = join(REPO_ROOT, 'packages/server/dist/cli.js');

/** Bounds a wait: rejects with `what()` after `ms`, so no test hangs on a child process. */
export async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what()}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
