import { pathSegment } from '../http.js';
import type { HttpClient, RequestOptions } from '../http.js';
import { AutoPaginator } from '../pagination.js';
import type { App, ListAppsParams, Page } from '../types.js';

const BASE = '/api/v1/apps';

/** `client.apps`: the catalog of third-party services the server can connect to. */
export class AppsResource {
  readonly #http: HttpClient;

  /** @internal Built by the client. */
  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** One page of the catalog. */
  async list(params: ListAppsParams = {}, options?: RequestOptions): Promise<Page<App>> {
    return this.#http.request({ method: 'GET', path: BASE, query: { ...params }, options });
  }

  /** The whole catalog, across pages: iterate it, or call `.pages()` / `.toArray()`. */
  listAll(params: Omit<ListAppsParams, 'cursor'> = {}, options?: RequestOptions): AutoPaginator<App> {
    return new AutoPaginator((cursor) =>
      this.list({ ...params, ...(cursor === undefined ? {} : { cursor }) }, options),
    );
  }

  /** One app by key, e.g. `github`. */
  async get(key: string, options?: RequestOptions): Promise<App> {
    return this.#http.request({ method: 'GET', path: `${BASE}/${pathSegment(key, 'key')}`, options });
  }
}
