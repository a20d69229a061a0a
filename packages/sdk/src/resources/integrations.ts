import { pathSegment } from '../http.js';
import type { HttpClient, RequestOptions } from '../http.js';
import { AutoPaginator } from '../pagination.js';
import type {
  CreateIntegrationParams,
  Integration,
  ListIntegrationsParams,
  Page,
  UpdateIntegrationParams,
} from '../types.js';

const BASE = '/api/v1/integrations';

/** `client.integrations`: the project's configurations of apps (scheme, client id/secret, scopes). */
export class IntegrationsResource {
  readonly #http: HttpClient;

  /** @internal Built by the client. */
  constructor(http: HttpClient) {
    this.#http = http;
  }

  /**
   * Creates an integration. For an app outside the catalog, give `authConfig.authorizationUrl`,
   * `tokenUrl` and `baseUrl`, or just `issuer`. The client secret is stored, never returned.
   */
  async create(params: CreateIntegrationParams, options?: RequestOptions): Promise<Integration> {
    return this.#http.request({ method: 'POST', path: BASE, json: params, options });
  }

  /** Reads one integration. */
  async get(id: string, options?: RequestOptions): Promise<Integration> {
    return this.#http.request({ method: 'GET', path: `${BASE}/${pathSegment(id, 'id')}`, options });
  }

  /** One page of integrations, optionally of one app. */
  async list(params: ListIntegrationsParams = {}, options?: RequestOptions): Promise<Page<Integration>> {
    return this.#http.request({ method: 'GET', path: BASE, query: { ...params }, options });
  }

  /** Every integration, across pages: iterate it, or call `.pages()` / `.toArray()`. */
  listAll(
    params: Omit<ListIntegrationsParams, 'cursor'> = {},
    options?: RequestOptions,
  ): AutoPaginator<Integration> {
    return new AutoPaginator((cursor) =>
      this.list({ ...params, ...(cursor === undefined ? {} : { cursor }) }, options),
    );
  }

  /** Changes an integration's name, scopes or auth configuration; omitted members stay. */
  async update(id: string, params: UpdateIntegrationParams, options?: RequestOptions): Promise<Integration> {
    return this.#http.request({ method: 'PATCH', path: `${BASE}/${pathSegment(id, 'id')}`, json: params, options });
  }

  /** Deletes an integration. */
  async delete(id: string, options?: RequestOptions): Promise<void> {
    await this.#http.request<undefined>({ method: 'DELETE', path: `${BASE}/${pathSegment(id, 'id')}`, options });
  }
}
