import { ConnectionRequest } from '../connection-request.js';
import type { ConnectedAccountReader } from '../connection-request.js';
import { pathSegment } from '../http.js';
import type { HttpClient, RequestOptions } from '../http.js';
import { AutoPaginator } from '../pagination.js';
import type {
  ConnectedAccount,
  ConnectedAccountCredentials,
  DeleteConnectedAccountResponse,
  InitiateConnectionParams,
  InitiateConnectionResponse,
  ListConnectedAccountsParams,
  Page,
  ReinitiateConnectionParams,
  UpdateConnectedAccountParams,
} from '../types.js';

const BASE = '/api/v1/connected-accounts';

/** `client.connectedAccounts`: the links of entities to integrations, and their credentials. */
export class ConnectedAccountsResource {
  readonly #http: HttpClient;
  /** Reads an account for `waitUntilActive`, never longer than the client's own timeout. */
  readonly #reader: ConnectedAccountReader;

  /** @internal Built by the client. */
  constructor(http: HttpClient) {
    this.#http = http;
    this.#reader = (id, options) =>
      this.get(id, {
        ...options,
        timeoutMs: Math.min(options.timeoutMs ?? http.timeoutMs, http.timeoutMs),
      });
  }

  /**
   * Initiates a connection. Give `integrationId` or `app`; `entityId` defaults to `default`.
   * OAuth answers `INITIATED` with the consent `redirectUrl`; a non-OAuth scheme with every
   * field in `data` answers `ACTIVE` at once.
   */
  async initiate(params: InitiateConnectionParams, options?: RequestOptions): Promise<ConnectionRequest> {
    const response = await this.#http.request<InitiateConnectionResponse>({
      method: 'POST',
      path: BASE,
      json: params,
      options,
    });
    return new ConnectionRequest(response, this.#reader);
  }

  /** Reads one connected account (no secrets). */
  async get(id: string, options?: RequestOptions): Promise<ConnectedAccount> {
    return this.#http.request({ method: 'GET', path: `${BASE}/${pathSegment(id, 'id')}`, options });
  }

  /** One page of connected accounts matching the filters; `labels` must all be present. */
  async list(
    params: ListConnectedAccountsParams = {},
    options?: RequestOptions,
  ): Promise<Page<ConnectedAccount>> {
    return this.#http.request({ method: 'GET', path: BASE, query: { ...params }, options });
  }

  /** Every connected account matching the filters, across pages: iterate it, or call `.pages()` / `.toArray()`. */
  listAll(
    params: Omit<ListConnectedAccountsParams, 'cursor'> = {},
    options?: RequestOptions,
  ): AutoPaginator<ConnectedAccount> {
    return new AutoPaginator((cursor) =>
      this.list({ ...params, ...(cursor === undefined ? {} : { cursor }) }, options),
    );
  }

  /** The account's credentials (tokens, API key…). A token near expiry is refreshed first. */
  async credentials(id: string, options?: RequestOptions): Promise<ConnectedAccountCredentials> {
    return this.#http.request({ method: 'GET', path: `${BASE}/${pathSegment(id, 'id')}/credentials`, options });
  }

  /** Refreshes the account's token now. */
  async refresh(id: string, options?: RequestOptions): Promise<ConnectedAccount> {
    return this.#action(id, 'refresh', options);
  }

  /** Disables the account (`INACTIVE`): its credentials are no longer handed out. */
  async disable(id: string, options?: RequestOptions): Promise<ConnectedAccount> {
    return this.#action(id, 'disable', options);
  }

  /** Enables a disabled account again (`ACTIVE`). */
  async enable(id: string, options?: RequestOptions): Promise<ConnectedAccount> {
    return this.#action(id, 'enable', options);
  }

  /** Starts the flow again for an account that is not `ACTIVE`, e.g. after it `EXPIRED`. */
  async reinitiate(
    id: string,
    params: ReinitiateConnectionParams = {},
    options?: RequestOptions,
  ): Promise<ConnectionRequest> {
    const response = await this.#http.request<InitiateConnectionResponse>({
      method: 'POST',
      path: `${BASE}/${pathSegment(id, 'id')}/reinitiate`,
      json: params,
      options,
    });
    return new ConnectionRequest(response, this.#reader);
  }

  /** Replaces the account's labels. */
  async update(
    id: string,
    params: UpdateConnectedAccountParams,
    options?: RequestOptions,
  ): Promise<ConnectedAccount> {
    return this.#http.request({ method: 'PATCH', path: `${BASE}/${pathSegment(id, 'id')}`, json: params, options });
  }

  /** Deletes the account and erases its credentials. */
  async delete(id: string, options?: RequestOptions): Promise<DeleteConnectedAccountResponse> {
    return this.#http.request({ method: 'DELETE', path: `${BASE}/${pathSegment(id, 'id')}`, options });
  }

  async #action(
    id: string,
    action: 'refresh' | 'disable' | 'enable',
    options: RequestOptions | undefined,
  ): Promise<ConnectedAccount> {
    return this.#http.request<ConnectedAccount>({
      method: 'POST',
      path: `${BASE}/${pathSegment(id, 'id')}/${action}`,
      options,
    });
  }
}
