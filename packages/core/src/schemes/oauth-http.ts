import * as oauth from 'oauth4webapi';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * oauth4webapi refuses plain http, rightly. The one exception we make is a provider on the
 * loopback interface (local development and the test suites' real OpenID provider): such traffic
 * never leaves the machine.
 */
export function isLoopbackHttp(url: string | URL): boolean {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  return parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname);
}

export function requestOptions(url: string | URL, timeoutMs = 15_000): { [oauth.allowInsecureRequests]?: boolean; signal: AbortSignal } {
  return isLoopbackHttp(url)
    ? { [oauth.allowInsecureRequests]: true, signal: AbortSignal.timeout(timeoutMs) }
    : { signal: AbortSignal.timeout(timeoutMs) };
}
