import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { AuthlinkError } from '@authlink/core';
import type * as UndiciModule from 'undici';
import type { Agent, Dispatcher } from 'undici';

type Undici = typeof UndiciModule;

export interface UpstreamClientOptions {
  /** Longest wait for the response headers. Default 30 s. */
  headersTimeoutMs?: number;
  /** Longest pause between two chunks of the response body. Default 30 s. */
  bodyTimeoutMs?: number;
  /** Longest wait for the TCP (and TLS) connection. Default 10 s, never above the headers timeout. */
  connectTimeoutMs?: number;
}

export interface UpstreamRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: Buffer | Readable | undefined;
  /** Aborted (or emits 'abort') when the caller goes away, so the upstream request stops too. */
  signal?: AbortSignal | EventEmitter | undefined;
}

export interface UpstreamResponse {
  status: number;
  headers: Dispatcher.ResponseData['headers'];
  /** The body as it arrives; errors with BodyTimeoutError if it stalls longer than the body timeout. */
  body: Dispatcher.ResponseData['body'];
}

const DEFAULT_TIMEOUT_MS = 30_000;

function isTimeout({ errors }: Undici, error: unknown): boolean {
  return error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError || error instanceof errors.ConnectTimeoutError;
}

/** Why the upstream could not be asked, as a problem the caller can act on; no URL (it may hold credentials). */
function upstreamError(undici: Undici, error: unknown, url: URL): AuthlinkError {
  const { errors } = undici;
  if (isTimeout(undici, error)) return new AuthlinkError('UPSTREAM_TIMEOUT', `${url.origin} did not answer in time`, { cause: error });
  if (error instanceof errors.RequestAbortedError || (error instanceof Error && error.name === 'AbortError')) {
    return new AuthlinkError('UPSTREAM_UNREACHABLE', 'the request was cancelled before the app answered', { cause: error });
  }
  const code = (error as { code?: unknown }).code;
  const reason = typeof code === 'string' ? ` (${code})` : '';
  return new AuthlinkError('UPSTREAM_UNREACHABLE', `${url.origin} could not be reached${reason}`, { cause: error });
}

/**
 * Sends proxy requests. One undici Agent keeps a keep-alive pool per upstream origin, shared by
 * every request for the life of the app; close() ends it. Redirects are never followed here.
 * undici is loaded with the first proxied call: a server that never proxies does not hold it.
 */
export class UpstreamClient {
  readonly #options: UpstreamClientOptions;
  #client: Promise<{ undici: Undici; agent: Agent }> | undefined;
  /** The same once loaded, so that a proxied call does not wait for an extra turn. */
  #loaded: { undici: Undici; agent: Agent } | undefined;

  constructor(options: UpstreamClientOptions = {}) {
    this.#options = options;
  }

  #open(): Promise<{ undici: Undici; agent: Agent }> {
    this.#client ??= import('undici').then((undici) => {
      const headersTimeout = this.#options.headersTimeoutMs ?? DEFAULT_TIMEOUT_MS;
      const agent = new undici.Agent({
        headersTimeout,
        bodyTimeout: this.#options.bodyTimeoutMs ?? DEFAULT_TIMEOUT_MS,
        connect: { timeout: Math.min(this.#options.connectTimeoutMs ?? 10_000, headersTimeout) },
      });
      this.#loaded = { undici, agent };
      return this.#loaded;
    });
    return this.#client;
  }

  /** Resolves once the response headers are in; the body streams afterwards. */
  async send(request: UpstreamRequest): Promise<UpstreamResponse> {
    const { undici, agent } = this.#loaded ?? (await this.#open());
    try {
      const response = await agent.request({
        origin: request.url.origin,
        path: `${request.url.pathname}${request.url.search}`,
        method: request.method,
        headers: request.headers,
        body: request.body ?? null,
        signal: request.signal,
      });
      return { status: response.statusCode, headers: response.headers, body: response.body };
    } catch (error) {
      throw upstreamError(undici, error, request.url);
    }
  }

  /** Waits for requests in flight, then closes every pooled connection. */
  async close(): Promise<void> {
    if (this.#client === undefined) return;
    const { agent } = await this.#client;
    await agent.close();
  }
}
