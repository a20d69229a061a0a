import type { Readable } from 'node:stream';
import { AuthlinkError } from '@authlink/core';
import { Agent, errors, type Dispatcher } from 'undici';

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
  /** Aborted when the caller goes away, so the upstream request stops too. */
  signal?: AbortSignal | undefined;
}

export interface UpstreamResponse {
  status: number;
  headers: Dispatcher.ResponseData['headers'];
  /** The body as it arrives; errors with BodyTimeoutError if it stalls longer than the body timeout. */
  body: Dispatcher.ResponseData['body'];
}

const DEFAULT_TIMEOUT_MS = 30_000;

function isTimeout(error: unknown): boolean {
  return error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError || error instanceof errors.ConnectTimeoutError;
}

/** Why the upstream could not be asked, as a problem the caller can act on; no URL (it may hold credentials). */
function upstreamError(error: unknown, url: URL): AuthlinkError {
  if (isTimeout(error)) return new AuthlinkError('UPSTREAM_TIMEOUT', `${url.origin} did not answer in time`, { cause: error });
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
 */
export class UpstreamClient {
  readonly #agent: Agent;

  constructor(options: UpstreamClientOptions = {}) {
    const headersTimeout = options.headersTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#agent = new Agent({
      headersTimeout,
      bodyTimeout: options.bodyTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      connect: { timeout: Math.min(options.connectTimeoutMs ?? 10_000, headersTimeout) },
    });
  }

  /** Resolves once the response headers are in; the body streams afterwards. */
  async send(request: UpstreamRequest): Promise<UpstreamResponse> {
    try {
      const response = await this.#agent.request({
        origin: request.url.origin,
        path: `${request.url.pathname}${request.url.search}`,
        method: request.method,
        headers: request.headers,
        body: request.body ?? null,
        signal: request.signal,
      });
      return { status: response.statusCode, headers: response.headers, body: response.body };
    } catch (error) {
      throw upstreamError(error, request.url);
    }
  }

  /** Waits for requests in flight, then closes every pooled connection. */
  close(): Promise<void> {
    return this.#agent.close();
  }
}
