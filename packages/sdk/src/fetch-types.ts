/**
 * The few parts of the Fetch API the SDK uses, typed structurally so the published
 * declarations need neither the DOM lib nor `@types/node`. The platform's own `fetch`
 * (Node ≥ 20, browsers, undici, a test double…) fits {@link FetchFunction}.
 */

/** The smallest AbortSignal shape the SDK relies on, used when no platform type is in scope. */
export interface MinimalAbortSignal {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * The platform's `AbortSignal` when its type is known (DOM lib or `@types/node`),
 * otherwise {@link MinimalAbortSignal}. Resolving to the real type keeps a
 * {@link FetchInit} assignable to the platform's `RequestInit`, so a wrapper like
 * `(url, init) => fetch(url, init)` type-checks.
 */
export type AbortSignalLike = typeof globalThis extends { AbortSignal: { prototype: infer Signal } }
  ? Signal
  : MinimalAbortSignal;

/** What the SDK passes as the second argument of {@link FetchFunction}. */
export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  /** Always a string when present: JSON for the authlink API, or the caller's text for the proxy. */
  body?: string;
  /** Aborted when the request times out or the caller's own signal aborts. */
  signal: AbortSignalLike;
}

/** The response headers the SDK reads. The platform `Headers` class fits. */
export interface FetchHeaders {
  get(name: string): string | null;
  forEach(callback: (value: string, name: string) => void): void;
}

/** The response members the SDK reads. The platform `Response` class fits. */
export interface FetchResponse {
  readonly status: number;
  readonly headers: FetchHeaders;
  text(): Promise<string>;
}

/**
 * A `fetch` implementation. Defaults to the global `fetch`; inject one to add logging,
 * a proxy agent, or to serve scripted responses in tests.
 */
export type FetchFunction = (url: string, init: FetchInit) => Promise<FetchResponse>;
