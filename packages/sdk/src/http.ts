import { AuthLinkError, abortedError, invalidArgument } from './errors.js';
import type { ProblemDetails } from './errors.js';
import type { AbortSignalLike, FetchFunction, FetchHeaders } from './fetch-types.js';
import { buildQueryString } from './query-string.js';
import type { HttpMethod, QueryParams } from './types.js';

/** Per-call options every SDK method takes as its last argument. */
export interface RequestOptions {
  /** Aborts the call; it then rejects with code `ABORTED`. */
  signal?: AbortSignalLike;
  /** Overrides the client's `timeoutMs` for this call. `Infinity` waits for ever. */
  timeoutMs?: number;
}

/** What {@link HttpClient} is built from; the client validates it first. */
export interface HttpClientConfig {
  apiKey: string;
  baseUrl: string;
  fetch: FetchFunction;
  timeoutMs: number;
}

/** One call to the authlink server. */
export interface HttpRequest {
  method: HttpMethod;
  /** Absolute path, segments already encoded (see {@link pathSegment}); may carry a query string. */
  path: string;
  query?: QueryParams;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is; for the proxy. */
  body?: string;
  headers?: Record<string, string>;
  options?: RequestOptions;
}

/** An answer with its body read. */
export interface HttpAnswer {
  status: number;
  headers: FetchHeaders;
  text: string;
}

// setTimeout fires at once for delays past 2^31 - 1 ms.
const MAX_TIMER_MS = 2_147_483_647;

const STATUS_TITLES: Readonly<Record<number, string>> = Object.freeze({
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
});

/** Encodes one path segment, refusing an empty one (it would address a different route). */
export function pathSegment(value: string, what: string): string {
  if (typeof value !== 'string' || value === '') throw invalidArgument(`${what} must be a non-empty string`);
  return encodeURIComponent(value);
}

/** Checks a timeout or interval: a positive number of milliseconds, `Infinity` allowed. */
export function assertDuration(value: number, what: string): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw invalidArgument(`${what} must be a positive number of milliseconds`);
  }
}

/**
 * Sends requests to the authlink server: adds the API key, enforces timeouts and turns
 * every failure into an {@link AuthLinkError}. The key lives in a private field so it
 * does not show when the client is logged or serialized.
 */
export class HttpClient {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly #apiKey: string;
  readonly #fetch: FetchFunction;

  constructor(config: HttpClientConfig) {
    this.baseUrl = config.baseUrl;
    this.timeoutMs = config.timeoutMs;
    this.#apiKey = config.apiKey;
    this.#fetch = config.fetch;
  }

  /** Sends a request and returns its parsed JSON body (`undefined` for an empty one); throws on a non-2xx answer. */
  async request<T>(request: HttpRequest): Promise<T> {
    const answer = await this.send(request);
    if (answer.status < 200 || answer.status > 299) throw this.errorFor(request, answer);
    if (answer.text.trim() === '') return undefined as T;
    try {
      return JSON.parse(answer.text) as T;
    } catch (error) {
      throw new AuthLinkError({
        code: 'INVALID_RESPONSE',
        status: answer.status,
        message: `${request.method} ${pathOnly(request.path)} answered ${answer.status} with a body that is not JSON`,
        cause: error,
      });
    }
  }

  /** Sends a request and returns the answer whatever its status; throws only when no answer came. */
  async send(request: HttpRequest): Promise<HttpAnswer> {
    const { method, options } = request;
    const timeoutMs = options?.timeoutMs ?? this.timeoutMs;
    assertDuration(timeoutMs, 'timeoutMs');
    const signal = options?.signal;
    if (signal?.aborted) throw abortedError(signal.reason);

    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    let body = request.body;
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      headers['content-type'] = 'application/json';
    }
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      if (name.toLowerCase() !== 'x-api-key') headers[name.toLowerCase()] = value;
    }
    headers['x-api-key'] = this.#apiKey;

    // A fetch that ignores its signal must not hang the call: the race below settles
    // on a timeout or abort whatever the fetch does.
    const controller = new AbortController();
    let stop: (error: AuthLinkError, reason?: unknown) => void = () => undefined;
    const stopped = new Promise<never>((_, reject) => {
      stop = (error, reason) => {
        reject(error);
        controller.abort(reason);
      };
    });
    stopped.catch(() => undefined);
    const label = `${method} ${pathOnly(request.path)}`;
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => {
          stop(
            new AuthLinkError({ code: 'REQUEST_TIMEOUT', message: `${label} got no answer within ${timeoutMs} ms` }),
          );
        }, Math.min(timeoutMs, MAX_TIMER_MS))
      : undefined;
    const onAbort = (): void => stop(abortedError(signal?.reason), signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });

    try {
      const init = { method, headers, signal: controller.signal, ...(body === undefined ? {} : { body }) };
      const response = await Promise.race([this.#fetch(this.#url(request), init), stopped]);
      const text = await Promise.race([response.text(), stopped]);
      return { status: response.status, headers: response.headers, text };
    } catch (error) {
      if (error instanceof AuthLinkError) throw error;
      throw new AuthLinkError({
        code: 'NETWORK_ERROR',
        message: this.#redact(`${label} could not reach the authlink server: ${describe(error)}`),
        cause: error,
      });
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * The error for a non-2xx answer: the server's problem document when it sent one,
   * else an `about:blank` problem with code `HTTP_<status>` (RFC 9457 §4.2.1).
   */
  errorFor(request: HttpRequest, answer: HttpAnswer): AuthLinkError {
    const { status } = answer;
    const text = this.#redact(answer.text);
    const body = /json/i.test(answer.headers.get('content-type') ?? '') ? parseJson(text) : undefined;
    const fallbackDetail = looseDetail(body, text);
    const problem: ProblemDetails =
      isRecord(body) && typeof body.code === 'string'
        ? {
            ...body,
            type: typeof body.type === 'string' ? body.type : 'about:blank',
            title: typeof body.title === 'string' ? body.title : statusTitle(status),
            status: typeof body.status === 'number' ? body.status : status,
            code: body.code,
          }
        : {
            type: 'about:blank',
            title: statusTitle(status),
            status,
            code: `HTTP_${status}`,
            ...(fallbackDetail === undefined ? {} : { detail: fallbackDetail }),
          };
    const detail = typeof problem.detail === 'string' ? problem.detail : undefined;
    return new AuthLinkError({
      code: problem.code,
      status,
      detail,
      problem,
      message: `${request.method} ${pathOnly(request.path)} → ${status} ${problem.code}: ${detail ?? problem.title}`,
    });
  }

  #url(request: HttpRequest): string {
    const query = buildQueryString(request.query);
    const joined = query !== '' && request.path.includes('?') ? `&${query.slice(1)}` : query;
    return `${this.baseUrl}${request.path}${joined}`;
  }

  /** Keeps the API key out of messages, whatever a server or network layer echoes back. */
  #redact(text: string): string {
    return this.#apiKey.length >= 6 ? text.split(this.#apiKey).join('[redacted]') : text;
  }
}

function pathOnly(path: string): string {
  const end = path.indexOf('?');
  return end === -1 ? path : path.slice(0, end);
}

function statusTitle(status: number): string {
  return STATUS_TITLES[status] ?? `HTTP ${status}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A short explanation from an error body that is not a problem document. */
function looseDetail(body: unknown, text: string): string | undefined {
  if (isRecord(body)) {
    for (const member of ['detail', 'message', 'error']) {
      const value = body[member];
      if (typeof value === 'string' && value !== '') return value;
    }
  }
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  return trimmed.length > 500 ? `${trimmed.slice(0, 500)}…` : trimmed;
}

/** The message of a network error and of its cause (Node puts `ECONNREFUSED` there). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  if (cause instanceof Error && cause.message !== '' && cause.message !== error.message) {
    return `${error.message} (${cause.message})`;
  }
  return error.message;
}
