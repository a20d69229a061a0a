import type { ConnectionRequest } from './connection-request.js';
import { AuthLinkError } from './errors.js';
import type { RequestOptions } from './http.js';
import type { ConnectedAccountsResource } from './resources/connected-accounts.js';
import type { EntitiesResource } from './resources/entities.js';
import type {
  ConnectedAccount,
  ConnectedAccountFilters,
  EntityDetails,
  EntityInitiateConnectionParams,
} from './types.js';

/** The label that marks an entity's preferred account for an app. */
export const PRIMARY_LABEL = 'primary';

/** Which connection `entity.getConnection` looks for. */
export interface GetConnectionParams {
  app: string;
  /** Narrows the search to one integration of the app. */
  integrationId?: string;
}

/**
 * One end user of the project, by the id the project chose (`default` when none).
 * A handle only: nothing is fetched until a method is called, and the server creates the
 * entity on first use.
 */
export class Entity {
  readonly id: string;
  readonly #accounts: ConnectedAccountsResource;
  readonly #entities: EntitiesResource;

  /** @internal Use `client.getEntity(id)`. */
  constructor(id: string, accounts: ConnectedAccountsResource, entities: EntitiesResource) {
    this.id = id;
    this.#accounts = accounts;
    this.#entities = entities;
  }

  /** The entity with all its connected accounts. */
  async get(options?: RequestOptions): Promise<EntityDetails> {
    return this.#entities.get(this.id, options);
  }

  /** All of this entity's connected accounts that match the filters, across pages. */
  async connectedAccounts(
    filters: ConnectedAccountFilters = {},
    options?: RequestOptions,
  ): Promise<ConnectedAccount[]> {
    return this.#accounts.listAll({ ...filters, entityId: this.id }, options).toArray();
  }

  /**
   * Initiates a connection for this entity.
   *
   * ```ts
   * const request = await entity.initiateConnection({ app: 'gmail', redirectUrl, labels: ['work'] });
   * // send the browser to request.redirectUrl, then:
   * const account = await request.waitUntilActive({ timeoutMs: 120_000 });
   * ```
   */
  async initiateConnection(
    params: EntityInitiateConnectionParams,
    options?: RequestOptions,
  ): Promise<ConnectionRequest> {
    return this.#accounts.initiate({ ...params, entityId: this.id }, options);
  }

  /**
   * This entity's `ACTIVE` account for the app: the one labelled `primary`, else the newest.
   * Rejects with an {@link AuthLinkError} of code `CONNECTION_NOT_FOUND` (status 404) when
   * there is none.
   */
  async getConnection(params: GetConnectionParams, options?: RequestOptions): Promise<ConnectedAccount> {
    const accounts = await this.#accounts
      .listAll(
        {
          entityId: this.id,
          app: params.app,
          status: 'ACTIVE',
          ...(params.integrationId === undefined ? {} : { integrationId: params.integrationId }),
        },
        options,
      )
      .toArray();
    const chosen = pickConnection(accounts);
    if (chosen === undefined) {
      throw new AuthLinkError({
        code: 'CONNECTION_NOT_FOUND',
        status: 404,
        message: `Entity ${this.id} has no ACTIVE connection to ${params.app}`,
      });
    }
    return chosen;
  }
}

/**
 * The preferred account among `ACTIVE` ones: those labelled `primary` come first, then the
 * newest by `createdAt` (ties broken by id, so the choice is stable).
 */
export function pickConnection(accounts: readonly ConnectedAccount[]): ConnectedAccount | undefined {
  const active = accounts.filter((account) => account.status === 'ACTIVE');
  const primary = active.filter((account) => account.labels.includes(PRIMARY_LABEL));
  const candidates = primary.length > 0 ? primary : active;
  let best: ConnectedAccount | undefined;
  for (const account of candidates) {
    if (best === undefined || isNewer(account, best)) best = account;
  }
  return best;
}

function isNewer(a: ConnectedAccount, b: ConnectedAccount): boolean {
  // An unreadable timestamp counts as oldest rather than poisoning the comparison with NaN.
  const at = Date.parse(a.createdAt) || 0;
  const bt = Date.parse(b.createdAt) || 0;
  if (at !== bt) return at > bt;
  return a.id > b.id;
}
