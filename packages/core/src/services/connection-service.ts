import type { AuthSchemeName } from '../catalog/app-definition.js';
import { addSeconds } from '../clock.js';
import { AuthlinkError } from '../errors/authlink-error.js';
import { hashToken, newId, randomToken } from '../ids.js';
import {
  DEFAULT_ENTITY_ID,
  type ConnectedAccount,
  type ConnectionResponse,
  type ConnectionStatus,
  type Credentials,
  type Integration,
  type Page,
} from '../model.js';
import type { ConnectedAccountRow, IntegrationRow, NewConnectedAccountRow } from '../storage/database-schema.js';
import type { Executor } from '../storage/executor.js';
import { insertConnectLink, revokeConnectFlows } from '../storage/repositories/connect-flow-repository.js';
import {
  deleteConnectedAccountRow,
  findConnectedAccount,
  findConnectedAccountRow,
  identityColumns,
  insertConnectedAccount,
  listConnectedAccounts,
  replaceLabels,
  toConnectedAccount,
  transitionConnectedAccount,
  type ConnectedAccountFilter,
} from '../storage/repositories/connected-account-repository.js';
import { deleteEntityRow, ensureEntity, entityExists } from '../storage/repositories/entity-repository.js';
import { insertIntegration, toIntegration } from '../storage/repositories/integration-repository.js';
import { authorizedTarget, type AuthorizedTarget } from './authorized-target.js';
import type { CredentialRefresher, FreshCredentials } from './credential-refresher.js';
import { revokeAtProvider, type RevocationOutcome } from './token-revocation.js';
import type { AuditActor, AuditDetail } from './audit-log.js';
import type { AuthConfigInput } from './integration-service.js';
import { assertRedirectAllowed } from './project-settings.js';
import { validateRedirectUrl } from './redirect-url.js';
import { connectUrl, startScheme, type ServiceContext } from './service-context.js';
import { checkCredentials } from './credential-check.js';
import { hasScopes, scopeColumns, union } from './account-scopes.js';

export interface InitiateInput {
  integrationId?: string | undefined;
  app?: string | undefined;
  entityId?: string | undefined;
  labels?: string[] | undefined;
  redirectUrl?: string | undefined;
  authScheme?: AuthSchemeName | undefined;
  authConfig?: AuthConfigInput | undefined;
  data?: Record<string, string> | undefined;
  /** false: don't check typed credentials against the app's test endpoint (default: check). */
  validate?: boolean | undefined;
}

export interface ReinitiateInput {
  redirectUrl?: string | undefined;
  data?: Record<string, string> | undefined;
  validate?: boolean | undefined;
  /** Scopes to add to those the account asked for before. */
  scopes?: string[] | undefined;
}

export interface CredentialsView {
  connectedAccountId: string;
  authScheme: AuthSchemeName;
  credentials: Credentials;
}

/** Fields only handed out when asked for (includeRefreshToken): they let the holder mint new access tokens. */
const LONG_LIVED_SECRETS = ['refreshToken', 'idToken', 'serviceAccountJson'];

/** The connection lifecycle seen from the project's API. The browser side is ConnectFlowService. */
export class ConnectionService {
  readonly #ctx: ServiceContext;
  readonly #refresher: CredentialRefresher;
  /** Targets built for loaded accounts; gone with them (weakly held). */
  readonly #targets = new WeakMap<FreshCredentials, AuthorizedTarget>();

  constructor(context: ServiceContext, refresher: CredentialRefresher) {
    this.#ctx = context;
    this.#refresher = refresher;
  }

  async initiate(projectId: string, input: InitiateInput, actor: AuditActor = 'system'): Promise<ConnectionResponse> {
    const redirectUrl = input.redirectUrl === undefined ? null : validateRedirectUrl(input.redirectUrl);
    if (redirectUrl !== null) await assertRedirectAllowed(this.#ctx.db, projectId, redirectUrl);
    const { integration, newRow } = await this.#resolveIntegration(projectId, input);
    const entityId = input.entityId ?? DEFAULT_ENTITY_ID;
    const now = this.#ctx.clock();
    const accountId = newId('ca', now);
    const data = input.data ?? {};
    const start = await startScheme(this.#ctx, integration, data, newRow ? () => this.#ctx.integrations.clientOfRow(newRow) : undefined);
    const check = start.kind === 'ready' && input.validate !== false ? await checkCredentials(this.#ctx, integration, start.credentials, start.publicData) : undefined;

    const row: NewConnectedAccountRow = {
      id: accountId,
      project_id: projectId,
      entity_id: entityId,
      integration_id: integration.id,
      app: integration.app,
      auth_scheme: integration.authScheme,
      status: start.kind === 'ready' ? 'ACTIVE' : 'INITIATED',
      status_reason: null,
      data: JSON.stringify(start.kind === 'form' ? {} : start.publicData),
      ...(start.kind === 'ready'
        ? this.#ctx.secrets.credentialColumns(accountId, start.credentials, now)
        : { credentials_ciphertext: this.#ctx.secrets.sealInitiation(accountId, data) }),
      redirect_url: redirectUrl,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
      ...identityColumns(check?.identity ?? null),
      ...scopeColumns(integration, integration.scopes, start.kind === 'ready' ? start.credentials : undefined),
      skip_validation: input.validate === false ? 1 : 0,
    };
    const token = start.kind === 'ready' ? null : randomToken();
    await this.#ctx.db.transaction().execute(async (trx) => {
      if (newRow) await insertIntegration(trx, newRow);
      await ensureEntity(trx, projectId, entityId, now.toISOString());
      await insertConnectedAccount(trx, row, input.labels ?? []);
      if (token !== null) await this.#insertLink(trx, projectId, accountId, token, now);
    });
    this.#ctx.logger.info({ projectId, connectedAccountId: accountId, app: integration.app, status: row.status }, 'connection initiated');
    if (newRow) this.#ctx.integrations.recordCreated(newRow, actor);
    this.#record(projectId, actor, 'connected_account.initiated', accountId, 'success', { app: integration.app, entityId, status: row.status });
    return {
      connectionStatus: row.status as ConnectionStatus,
      connectedAccountId: accountId,
      redirectUrl: token === null ? null : connectUrl(this.#ctx, token),
    };
  }

  /** Starts the flow again for an account that is not ACTIVE; old links and states stop working. */
  async reinitiate(projectId: string, id: string, input: ReinitiateInput, actor: AuditActor = 'system'): Promise<ConnectionResponse> {
    const row = await findConnectedAccountRow(this.#ctx.db, projectId, id);
    if (!row) throw new AuthlinkError('CONNECTED_ACCOUNT_NOT_FOUND', `no connected account ${id}`);
    // Labels play no part here: the row alone, read once.
    const account = toConnectedAccount(row, []);
    if (account.status === 'ACTIVE') {
      throw new AuthlinkError('INVALID_STATE_TRANSITION', `connected account ${id} is ACTIVE; disable it before re-initiating, or use refresh`);
    }
    const redirectUrl = input.redirectUrl === undefined ? account.redirectUrl : validateRedirectUrl(input.redirectUrl);
    if (input.redirectUrl !== undefined && redirectUrl !== null) await assertRedirectAllowed(this.#ctx.db, projectId, redirectUrl);
    const integration = await this.#ctx.integrations.get(projectId, account.integrationId);
    if (input.scopes !== undefined && integration.authScheme !== 'OAUTH2') {
      // Other schemes mint tokens with the integration's scopes: change those on the integration.
      throw new AuthlinkError('VALIDATION_FAILED', `scopes can be added to OAUTH2 accounts only; ${id} is ${integration.authScheme}`, {
        errors: [{ path: '/body/scopes', message: 'only for OAUTH2 accounts' }],
      });
    }
    const data = { ...account.data, ...input.data };
    const start = await startScheme(this.#ctx, integration, data);
    const validate = input.validate ?? row.skip_validation !== 1;
    const check = start.kind === 'ready' && validate ? await checkCredentials(this.#ctx, integration, start.credentials, start.publicData) : undefined;
    const requestedScopes = union(account.requestedScopes ?? integration.scopes, input.scopes ?? []);
    const now = this.#ctx.clock();
    const token = start.kind === 'ready' ? null : randomToken();
    const status: ConnectionStatus = start.kind === 'ready' ? 'ACTIVE' : 'INITIATED';
    await this.#ctx.db.transaction().execute(async (trx) => {
      await revokeConnectFlows(trx, id, now.toISOString());
      const moved = await transitionConnectedAccount(trx, projectId, id, ['INITIATED', 'FAILED', 'EXPIRED', 'INACTIVE'], {
        status,
        status_reason: null,
        data: JSON.stringify(start.kind === 'form' ? account.data : start.publicData),
        ...(start.kind === 'ready'
          ? this.#ctx.secrets.credentialColumns(id, start.credentials, now)
          : { credentials_ciphertext: this.#ctx.secrets.sealInitiation(id, data), credentials_obtained_at: null, access_expires_at: null }),
        confirmation_hash: null,
        redirect_url: redirectUrl,
        updated_at: now.toISOString(),
        skip_validation: validate ? 0 : 1,
        ...(start.kind === 'ready' && {
          ...identityColumns(check?.identity ?? null),
          ...scopeColumns(integration, requestedScopes, start.credentials),
        }),
        ...(start.kind !== 'ready' && hasScopes(integration) && { requested_scopes: JSON.stringify(requestedScopes) }),
      });
      if (!moved) throw new AuthlinkError('INVALID_STATE_TRANSITION', `connected account ${id} changed meanwhile; try again`);
      if (token !== null) await this.#insertLink(trx, projectId, id, token, now);
    });
    this.#record(projectId, actor, 'connected_account.status_changed', id, 'success', { from: account.status, to: status, via: 'reinitiate' });
    return { connectionStatus: status, connectedAccountId: id, redirectUrl: token === null ? null : connectUrl(this.#ctx, token) };
  }

  async get(projectId: string, id: string): Promise<ConnectedAccount> {
    const account = await findConnectedAccount(this.#ctx.db, projectId, id);
    if (!account) throw new AuthlinkError('CONNECTED_ACCOUNT_NOT_FOUND', `no connected account ${id}`);
    return account;
  }

  async list(projectId: string, filter: ConnectedAccountFilter): Promise<Page<ConnectedAccount>> {
    return listConnectedAccounts(this.#ctx.db, projectId, filter);
  }

  /** Credentials of an ACTIVE account, renewed first when they are about to expire. */
  async credentials(projectId: string, id: string, options: { includeRefreshToken?: boolean } = {}, actor: AuditActor = 'system'): Promise<CredentialsView> {
    let fresh;
    try {
      fresh = await this.#refresher.fresh(projectId, id);
    } catch (error) {
      if (error instanceof AuthlinkError && error.code !== 'CONNECTED_ACCOUNT_NOT_FOUND') {
        this.#record(projectId, actor, 'credentials.read', id, 'failure', { code: error.code });
      }
      throw error;
    }
    const { row, credentials } = fresh;
    this.#record(projectId, actor, 'credentials.read', id, 'success', { includeRefreshToken: options.includeRefreshToken === true });
    // Most credentials hold none of the long-lived secrets: then the (frozen) credentials go out as they are.
    const withheld = options.includeRefreshToken ? [] : LONG_LIVED_SECRETS.filter((name) => name in credentials);
    const view = withheld.length === 0 ? credentials : Object.fromEntries(Object.entries(credentials).filter(([name]) => !withheld.includes(name)));
    return { connectedAccountId: id, authScheme: row.auth_scheme as AuthSchemeName, credentials: view };
  }

  /**
   * Renews the credentials now. An ACTIVE account stays ACTIVE unless the provider says the grant
   * is gone (then EXPIRED, with the reason); re-consent is `reinitiate`, never this.
   */
  async refresh(projectId: string, id: string, actor: AuditActor = 'system'): Promise<ConnectedAccount> {
    await this.#activeRow(projectId, id);
    try {
      await this.#refresher.fresh(projectId, id, { force: true });
    } catch (error) {
      // The refresh itself decided the account's fate (EXPIRED): answer with the account.
      if (!(error instanceof AuthlinkError && error.code === 'CONNECTION_NOT_ACTIVE')) {
        if (error instanceof AuthlinkError) this.#record(projectId, actor, 'credentials.refreshed', id, 'failure', { code: error.code });
        throw error;
      }
    }
    const account = await this.get(projectId, id);
    this.#record(projectId, actor, 'credentials.refreshed', id, account.status === 'ACTIVE' ? 'success' : 'failure', { status: account.status });
    return account;
  }

  /**
   * Fresh credentials of an ACTIVE account bound to its API: the proxy's only way in. With
   * `forceRefresh` (after an upstream 401) the credentials are renewed first.
   */
  async authorizedTarget(projectId: string, id: string, options: { forceRefresh?: boolean } = {}): Promise<AuthorizedTarget> {
    const fresh = await this.#refresher.fresh(projectId, id, { force: options.forceRefresh === true });
    // The refresher hands out the same object while the account is unchanged: so may this.
    let target = this.#targets.get(fresh);
    if (target === undefined) {
      target = Object.freeze(await authorizedTarget(this.#ctx, fresh));
      this.#targets.set(fresh, target);
    }
    return target;
  }

  /**
   * The initiator's server confirms that the user who finished the flow is its user (projects
   * with a `confirmationUrl`): the account becomes ACTIVE. A wrong code changes nothing.
   */
  async confirm(projectId: string, id: string, confirmationCode: string, actor: AuditActor = 'system'): Promise<ConnectedAccount> {
    const row = await findConnectedAccountRow(this.#ctx.db, projectId, id);
    if (!row) throw new AuthlinkError('CONNECTED_ACCOUNT_NOT_FOUND', `no connected account ${id}`);
    if (row.status !== 'INITIATED' || row.confirmation_hash === null) {
      throw new AuthlinkError('INVALID_STATE_TRANSITION', `connected account ${id} is not waiting for a confirmation`);
    }
    if (hashToken(confirmationCode) !== row.confirmation_hash) {
      this.#record(projectId, actor, 'connected_account.status_changed', id, 'failure', { from: 'INITIATED', to: 'ACTIVE', via: 'confirm', reason: 'wrong code' });
      throw new AuthlinkError('CONFIRMATION_INVALID', 'the confirmation code does not match this connection');
    }
    const moved = await this.#ctx.db
      .updateTable('connected_accounts')
      .set({ status: 'ACTIVE', status_reason: null, confirmation_hash: null, updated_at: this.#ctx.clock().toISOString() })
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .where('status', '=', 'INITIATED')
      .where('confirmation_hash', '=', row.confirmation_hash)
      .executeTakeFirst();
    if (moved.numUpdatedRows !== 1n) throw new AuthlinkError('INVALID_STATE_TRANSITION', `connected account ${id} changed meanwhile`);
    this.#record(projectId, actor, 'connected_account.status_changed', id, 'success', { from: 'INITIATED', to: 'ACTIVE', via: 'confirm' });
    return this.get(projectId, id);
  }

  async disable(projectId: string, id: string, actor: AuditActor = 'system'): Promise<ConnectedAccount> {
    return this.#move(projectId, id, ['ACTIVE', 'INACTIVE'], 'INACTIVE', actor);
  }

  async enable(projectId: string, id: string, actor: AuditActor = 'system'): Promise<ConnectedAccount> {
    return this.#move(projectId, id, ['INACTIVE', 'ACTIVE'], 'ACTIVE', actor);
  }

  async updateLabels(projectId: string, id: string, labels: string[]): Promise<ConnectedAccount> {
    await this.#ctx.db.transaction().execute(async (trx) => {
      if (!(await findConnectedAccountRow(trx, projectId, id))) throw new AuthlinkError('CONNECTED_ACCOUNT_NOT_FOUND', `no connected account ${id}`);
      await replaceLabels(trx, id, labels);
      await trx.updateTable('connected_accounts').set({ updated_at: this.#ctx.clock().toISOString() }).where('id', '=', id).execute();
    });
    return this.get(projectId, id);
  }

  /**
   * Erases the account and its credentials (the row, its labels, links and states), after
   * revoking its tokens at the provider when the app can. The account is erased even when
   * revocation fails; the answer says how revocation went.
   */
  async delete(projectId: string, id: string, actor: AuditActor = 'system'): Promise<{ revocation: RevocationOutcome }> {
    const row = await findConnectedAccountRow(this.#ctx.db, projectId, id);
    if (!row) throw new AuthlinkError('CONNECTED_ACCOUNT_NOT_FOUND', `no connected account ${id}`);
    const revocation = await revokeAtProvider(this.#ctx, projectId, row);
    const deleted = await deleteConnectedAccountRow(this.#ctx.db, projectId, id);
    if (!deleted) throw new AuthlinkError('CONNECTED_ACCOUNT_NOT_FOUND', `no connected account ${id}`);
    this.#ctx.logger.info({ projectId, connectedAccountId: id, revocation }, 'connected account deleted');
    this.#record(projectId, actor, 'connected_account.deleted', id, 'success', { app: row.app, revocation });
    return { revocation };
  }

  async getEntity(projectId: string, entityId: string): Promise<{ id: string; connectedAccounts: ConnectedAccount[] }> {
    if (!(await entityExists(this.#ctx.db, projectId, entityId))) throw new AuthlinkError('ENTITY_NOT_FOUND', `no entity ${entityId}`);
    const accounts: ConnectedAccount[] = [];
    let cursor: string | undefined;
    do {
      const page = await listConnectedAccounts(this.#ctx.db, projectId, { entityId, limit: 500, cursor });
      accounts.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return { id: entityId, connectedAccounts: accounts };
  }

  async deleteEntity(projectId: string, entityId: string): Promise<void> {
    const deleted = await deleteEntityRow(this.#ctx.db, projectId, entityId);
    if (!deleted) throw new AuthlinkError('ENTITY_NOT_FOUND', `no entity ${entityId}`);
  }

  async #activeRow(projectId: string, id: string): Promise<ConnectedAccountRow> {
    const row = await findConnectedAccountRow(this.#ctx.db, projectId, id);
    if (!row) throw new AuthlinkError('CONNECTED_ACCOUNT_NOT_FOUND', `no connected account ${id}`);
    if (row.status !== 'ACTIVE') throw new AuthlinkError('CONNECTION_NOT_ACTIVE', `connected account ${id} is ${row.status}`);
    return row;
  }

  async #move(projectId: string, id: string, from: ConnectionStatus[], to: ConnectionStatus, actor: AuditActor): Promise<ConnectedAccount> {
    const account = await this.get(projectId, id);
    if (account.status === to) return account;
    const moved = await transitionConnectedAccount(this.#ctx.db, projectId, id, from, { status: to, updated_at: this.#ctx.clock().toISOString() });
    if (!moved) throw new AuthlinkError('INVALID_STATE_TRANSITION', `connected account ${id} is ${account.status}; cannot make it ${to}`);
    this.#record(projectId, actor, 'connected_account.status_changed', id, 'success', { from: account.status, to });
    return this.get(projectId, id);
  }

  #record(projectId: string, actor: AuditActor, action: 'connected_account.initiated' | 'connected_account.status_changed' | 'connected_account.deleted' | 'credentials.read' | 'credentials.refreshed', id: string, outcome: 'success' | 'failure', detail: AuditDetail): void {
    this.#ctx.audit.record({ projectId, actor, action, targetType: 'connected_account', targetId: id, outcome, detail });
  }

  async #insertLink(db: Executor, projectId: string, accountId: string, token: string, now: Date): Promise<void> {
    await insertConnectLink(
      db,
      {
        tokenHash: hashToken(token),
        projectId,
        connectedAccountId: accountId,
        expiresAt: addSeconds(now, this.#ctx.timings.connectLinkTtlSeconds).toISOString(),
      },
      now.toISOString(),
    );
  }

  async #resolveIntegration(projectId: string, input: InitiateInput): Promise<{ integration: Integration; newRow?: IntegrationRow }> {
    if (input.integrationId !== undefined) {
      const integration = await this.#ctx.integrations.get(projectId, input.integrationId);
      if (input.app !== undefined && input.app !== integration.app) {
        throw new AuthlinkError('VALIDATION_FAILED', `integration ${integration.id} is for ${integration.app}, not ${input.app}`, {
          errors: [{ path: '/app', message: 'does not match the integration' }],
        });
      }
      if (input.authScheme !== undefined && input.authScheme !== integration.authScheme) {
        throw new AuthlinkError('UNSUPPORTED_AUTH_SCHEME', `integration ${integration.id} uses ${integration.authScheme}, not ${input.authScheme}`);
      }
      return { integration };
    }
    if (input.app === undefined) {
      throw new AuthlinkError('VALIDATION_FAILED', 'pass integrationId or app', { errors: [{ path: '/integrationId', message: 'integrationId or app is required' }] });
    }
    if (input.authConfig === undefined) {
      const candidates = (await this.#ctx.integrations.forApp(projectId, input.app)).filter(
        (i) => input.authScheme === undefined || i.authScheme === input.authScheme,
      );
      const [only, ...others] = candidates;
      if (only && others.length === 0) return { integration: only };
      if (others.length > 0) {
        throw new AuthlinkError('AMBIGUOUS_INTEGRATION', `the project has ${candidates.length} integrations for ${input.app}; pass integrationId`);
      }
      const needsEndpoints = input.authScheme === undefined || input.authScheme === 'OAUTH2';
      if (needsEndpoints && !this.#ctx.catalog.get(input.app)) {
        throw new AuthlinkError('UNKNOWN_APP', `${input.app} is not in the catalog; pass authConfig (issuer or endpoint URLs and client credentials) or a non-OAuth authScheme`);
      }
    }
    const newRow = await this.#ctx.integrations.prepare(projectId, { app: input.app, authScheme: input.authScheme, authConfig: input.authConfig });
    return { integration: toIntegration(newRow), newRow };
  }
}
