import { Entity } from './entity.js';
import { AuthLinkError, invalidArgument } from './errors.js';
import type { FetchFunction } from './fetch-types.js';
import { HttpClient, assertDuration } from './http.js';
import type { RequestOptions } from './http.js';
import { sendProxyRequest } from './proxy.js';
import { AppsResource } from './resources/apps.js';
import { ConnectedAccountsResource } from './resources/connected-accounts.js';
import { EntitiesResource } from './resources/entities.js';
import { IntegrationsResource } from './resources/integrations.js';
import type { ProxyRequest, ProxyResponse } from './types.js';

/** Where `authlink serve` listens when not configured otherwise. */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';
/** Default per-request timeout: thirty seconds. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** The entity used when none is named. */
export const DEFAULT_ENTITY_ID = 'default';

/** Options of {@link AuthLink}. */
export interface AuthLinkOptions {
  /**
   * The project's API key, sent as `x-api-key`. When omitted, the `AUTHLINK_API_KEY`
   * environment variable is used where one exists (Node).
   */
  apiKey?: string;
  /** The server's URL, a path prefix allowed. Default `http://127.0.0.1:8080`. */
  baseUrl?: string;
  /** A `fetch` to use instead of the global one. */
  fetch?: FetchFunction;
  /** Per-request timeout in milliseconds. Default 30 000; `Infinity` waits for ever. */
  timeoutMs?: number;
}

/**
 * The authlink client.
 *
 * ```ts
 * const client = new AuthLink({ apiKey: process.env.AUTHLINK_API_KEY, baseUrl: 'https://auth.example.com' });
 * const request = await client.getEntity('melissa').initiateConnection({ app: 'gmail', redirectUrl });
 * ```
 */
export class AuthLink {
  /** The server's URL, without a trailing slash. */
  readonly baseUrl: string;
  /** Connected accounts: initiate, read, list, credentials, refresh, disable, enable, delete. */
  readonly connectedAccounts: ConnectedAccountsResource;
  /** The project's configurations of apps. */
  readonly integrations: IntegrationsResource;
  /** The app catalog. */
  readonly apps: AppsResource;
  /** The project's end users. */
  readonly entities: EntitiesResource;
  readonly #http: HttpClient;

  constructor(options: AuthLinkOptions = {}) {
    const apiKey = options.apiKey ?? environmentApiKey();
    if (apiKey === undefined || apiKey === '') {
      throw new AuthLinkError({
        code: 'MISSING_API_KEY',
        message: 'No API key: pass { apiKey } or set AUTHLINK_API_KEY',
      });
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    assertDuration(timeoutMs, 'timeoutMs');
    const userFetch = options.fetch;
    this.baseUrl = normalizeBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL);
    this.#http = new HttpClient({
      apiKey,
      baseUrl: this.baseUrl,
      timeoutMs,
      // Called as a plain function: browsers refuse `fetch` invoked as a method of another object.
      // The global is looked up per call so a polyfill installed later is still used.
      fetch: userFetch === undefined ? (url, init) => globalThis.fetch(url, init) : (url, init) => userFetch(url, init),
    });
    this.connectedAccounts = new ConnectedAccountsResource(this.#http);
    this.integrations = new IntegrationsResource(this.#http);
    this.apps = new AppsResource(this.#http);
    this.entities = new EntitiesResource(this.#http);
  }

  /** A handle on one end user; `default` when no id is given. Nothing is fetched yet. */
  getEntity(id: string = DEFAULT_ENTITY_ID): Entity {
    if (typeof id !== 'string' || id === '') throw invalidArgument('entity id must be a non-empty string');
    return new Entity(id, this.connectedAccounts, this.entities);
  }

  /**
   * Calls the connected account's app API with the account's credentials added by the server
   * (refreshed when needed). Resolves with the upstream answer whatever its status; rejects
   * when authlink itself refuses (unknown account, account not `ACTIVE`, host not allowed…).
   *
   * ```ts
   * const { status, data } = await client.proxy<{ login: string }>(accountId, { method: 'GET', path: '/user' });
   * ```
   */
  async proxy<T = unknown>(
    connectedAccountId: string,
    request: ProxyRequest,
    options?: RequestOptions,
  ): Promise<ProxyResponse<T>> {
    return sendProxyRequest<T>(this.#http, connectedAccountId, request, options);
  }
}

function normalizeBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw invalidArgument('baseUrl must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalidArgument('baseUrl must be an absolute http(s) URL');
  }
  if (url.search !== '' || url.hash !== '') throw invalidArgument('baseUrl must not carry a query or fragment');
  return url.href.replace(/\/+$/, '');
}

/** `AUTHLINK_API_KEY` from the environment, on runtimes that have one. */
function environmentApiKey(): string | undefined {
  const runtime = globalThis as { process?: { env?: Record<string, string | undefined> } };
  return runtime.process?.env?.AUTHLINK_API_KEY;
}
