import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Suites that run the real CLI (`node packages/server/dist/cli.js`) need a current build. It is
 * made once here, before any test file starts, so parallel files never rebuild dist/ at once.
 */
export default function buildOnce(): void {
  const root = fileURLToPath(new URL('.', import.meta.url));
  try {
    execFileSync('npx', ['tsc', '-b', 'packages/core', 'packages/sdk', 'packages/server'], { cwd: root, stdio: 'pipe', timeout: 180_000 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`the build failed, so the CLI suites cannot run:\n${String(stdout ?? '')}${String(stderr ?? '')}`.slice(0, 4000), { cause: error });
  }
}
