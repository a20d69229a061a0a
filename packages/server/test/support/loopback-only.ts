/**
 * Preload (vitest `setupFiles`) of the Composio suites. The SDKs under test call home: version
 * checks against the npm registry, usage telemetry to Composio. Their own switches turn off what
 * they can (set below and in the suites); anything left that tries to leave 127.0.0.1 is refused
 * here, in the test process, and recorded so that the suites can say what was attempted.
 */
import childProcess from 'node:child_process';
import dns from 'node:dns';
import net from 'node:net';

export interface RefusedAttempt {
  via: 'socket' | 'dns' | 'fetch' | 'spawn';
  target: string;
}

const REGISTRY = Symbol.for('authlink.test.refusedAttempts');
type WithRegistry = typeof globalThis & { [REGISTRY]?: RefusedAttempt[] };

/** Every attempt refused in this test file's process so far. */
export function refusedAttempts(): readonly RefusedAttempt[] {
  return (globalThis as WithRegistry)[REGISTRY] ?? [];
}

function refuse(via: RefusedAttempt['via'], target: string): Error {
  const registry = ((globalThis as WithRegistry)[REGISTRY] ??= []);
  registry.push({ via, target });
  return Object.assign(new Error(`loopback-only: refused ${via} to ${target}`), { code: 'ECONNREFUSED' });
}

export function isLoopback(host: string | undefined): boolean {
  if (host === undefined || host === '' || host === 'localhost') return true;
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare) || bare === '::ffff:127.0.0.1';
}

// Composio's switches: no telemetry (composio-core and @composio/core both read this), quiet logs.
process.env.TELEMETRY_DISABLED = 'true';
process.env.COMPOSIO_LOGGING_LEVEL = 'error';
process.env.COMPOSIO_LOG_LEVEL = 'warn';

if (!(globalThis as WithRegistry)[REGISTRY]) {
  (globalThis as WithRegistry)[REGISTRY] = [];

  // Every TCP and TLS client (http, https, undici/fetch, axios) ends in Socket#connect.
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]): net.Socket {
    const [first, second] = args;
    const options = typeof first === 'object' && first !== null && !Array.isArray(first) ? (first as { host?: string; port?: number; path?: string | null }) : undefined;
    const host = options ? options.host : typeof second === 'string' ? second : undefined;
    // A local (IPC) socket names a path and no host (tls.connect passes `path: null` for TCP).
    const isPipe = host === undefined && (typeof options?.path === 'string' || (typeof first === 'string' && Number.isNaN(Number(first))));
    if (!isPipe && !isLoopback(host)) {
      const error = refuse('socket', `${host}:${String(options?.port ?? first)}`);
      process.nextTick(() => this.destroy(error));
      return this;
    }
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;

  const lookup = dns.lookup;
  dns.lookup = function guardedLookup(hostname: string, ...rest: unknown[]) {
    if (!isLoopback(hostname)) {
      const callback = rest[rest.length - 1];
      const error = refuse('dns', hostname);
      if (typeof callback === 'function') process.nextTick(() => (callback as (e: Error) => void)(error));
      return undefined;
    }
    return (lookup as (...a: unknown[]) => unknown)(hostname, ...rest);
  } as typeof dns.lookup;

  const fetch = globalThis.fetch;
  globalThis.fetch = async function guardedFetch(input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (!isLoopback(url.hostname)) throw new TypeError('fetch failed', { cause: refuse('fetch', url.origin) });
    return fetch(input, init);
  };

  // composio-core 0.5 sends telemetry from a detached `node -e` child, beyond any in-process guard.
  const spawn = childProcess.spawn;
  childProcess.spawn = function guardedSpawn(command: string, ...rest: unknown[]) {
    const args = Array.isArray(rest[0]) ? (rest[0] as string[]) : [];
    if (args.includes('-e') || args.includes('--eval')) throw refuse('spawn', `${command} ${args.join(' ').slice(0, 120)}`);
    return (spawn as (...a: unknown[]) => childProcess.ChildProcess)(command, ...rest);
  } as typeof childProcess.spawn;
}
