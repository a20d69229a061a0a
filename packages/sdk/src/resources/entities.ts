import { pathSegment } from '../http.js';
import type { HttpClient, RequestOptions } from '../http.js';
import type { EntityDetails } from '../types.js';

const BASE = '/api/v1/entities';

/** `client.entities`: the project's end users. For one user's connections, see `client.getEntity(id)`. */
export class EntitiesResource {
  readonly #http: HttpClient;

  /** @internal Built by the client. */
  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** An entity with all its connected accounts. */
  async get(entityId: string, options?: RequestOptions): Promise<EntityDetails> {
    return this.#http.request({ method: 'GET', path: `${BASE}/${pathSegment(entityId, 'entityId')}`, options });
  }

  /** Erases the entity and all its connected accounts, credentials included. */
  async delete(entityId: string, options?: RequestOptions): Promise<void> {
    await this.#http.request<undefined>({
      method: 'DELETE',
      path: `${BASE}/${pathSegment(entityId, 'entityId')}`,
      options,
    });
  }
}
