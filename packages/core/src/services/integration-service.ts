import type { AppDefinition, AuthSchemeName } from '../catalog/app-definition.js';
import type { Catalog } from '../catalog/catalog.js';
import { renderTemplate, templateFields } from '../catalog/template.js';
import type { Clock } from '../clock.js';
import { deepFreeze } from '../deep-freeze.js';
import { AuthlinkError } from '../errors/authlink-error.js';
import { newId } from '../ids.js';
import type { DiscoveredSetting, Integration, IntegrationConfig, Page } from '../model.js';
import { discoverIssuer } from '../schemes/oauth2-discovery.js';
import { findAuthScheme } from '../schemes/scheme-registry.js';
import type { IntegrationRow } from '../storage/database-schema.js';
import { changeCounterOf, type CachedTable, type ChangeCounter } from '../storage/change-counter.js';
import type { Executor } from '../storage/executor.js';
import { countAccountsOfIntegration } from '../storage/repositories/connected-account-repository.js';
import {
  deleteIntegrationRow,
  findIntegrationRow,
  findIntegrationRowsForApp,
  insertIntegration,
  listIntegrationRows,
  toIntegration,
  updateIntegrationRow,
} from '../storage/repositories/integration-repository.js';
import type { Vault } from '../vault/vault.js';
import type { AuditActor, AuditLog } from './audit-log.js';
import { ChangeKeyedCache } from './change-keyed-cache.js';
import type { Logger } from './logger.js';

const INTEGRATIONS: readonly CachedTable[] = ['integrations'];

/** What a project may set on an integration (`authConfig` in the API). */
export interface AuthConfigInput {
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  scopes?: string[] | undefined;
  authorizationUrl?: string | undefined;
  tokenUrl?: string | undefined;
  revocationUrl?: string | undefined;
  userinfoUrl?: string | undefined;
  baseUrl?: string | undefined;
  issuer?: string | undefined;
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post' | undefined;
  pkce?: boolean | undefined;
  authorizationParams?: Record<string, string> | undefined;
}

export interface CreateIntegrationInput {
  app: string;
  name?: string | undefined;
  authScheme?: AuthSchemeName | undefined;
  authConfig?: AuthConfigInput | undefined;
}

export interface UpdateIntegrationInput {
  name?: string | undefined;
  authConfig?: AuthConfigInput | undefined;
}

const URL_KEYS = ['authorizationUrl', 'tokenUrl', 'revocationUrl', 'userinfoUrl', 'baseUrl'] as const;

function clientSecretContext(integrationId: string) {
  return { table: 'integrations', rowId: integrationId, purpose: 'client_secret' };
}

function invalid(path: string, message: string): AuthlinkError {
  return new AuthlinkError('INTEGRATION_CONFIG_INVALID', `${path}: ${message}`, { errors: [{ path, message }] });
}

/**
 * An endpoint URL must parse and may only use `{placeholders}` the app declares as fields: an
 * integration that could never build its URLs must be refused now, not fail in a user's browser.
 */
function checkEndpointUrl(path: string, value: string, fields: ReadonlySet<string>): void {
  const names = templateFields(value);
  const unknown = names.filter((name) => !fields.has(name));
  if (unknown.length > 0) throw invalid(path, `uses {${unknown.join('}, {')}}, which is not a field of this app`);
  let url: URL;
  try {
    url = new URL(renderTemplate(value, Object.fromEntries(names.map((name) => [name, 'x']))));
  } catch {
    throw invalid(path, 'is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(path, 'must be an http(s) URL');
  if (url.username !== '' || url.password !== '') throw invalid(path, 'must not contain credentials');
}

/** Picks the scheme for a new integration: the one asked for, else OAUTH2, else the app's only one. */
export function chooseAuthScheme(app: AppDefinition | undefined, requested: AuthSchemeName | undefined): AuthSchemeName {
  if (requested !== undefined) {
    if (app && !app.authSchemes.some((s) => s.scheme === requested)) {
      throw new AuthlinkError('UNSUPPORTED_AUTH_SCHEME', `${app.key} supports ${app.authSchemes.map((s) => s.scheme).join(', ')}, not ${requested}`);
    }
    if (!findAuthScheme(requested)) {
      throw new AuthlinkError('UNSUPPORTED_AUTH_SCHEME', `${requested} is not supported by this server yet`);
    }
    return requested;
  }
  if (!app) return 'OAUTH2';
  if (app.authSchemes.some((s) => s.scheme === 'OAUTH2')) return 'OAUTH2';
  const [only, ...others] = app.authSchemes;
  if (only && others.length === 0) return chooseAuthScheme(app, only.scheme);
  throw new AuthlinkError('VALIDATION_FAILED', `${app.key} has several auth schemes (${app.authSchemes.map((s) => s.scheme).join(', ')}); pass authScheme`, {
    errors: [{ path: '/authScheme', message: 'required for this app' }],
  });
}

/** Schemes whose tokens are minted with the integration's own client (consumer) credentials. */
const NEEDS_CLIENT_ID = new Set<AuthSchemeName>(['OAUTH2', 'OAUTH1', 'CLIENT_CREDENTIALS']);
/** …of which these cannot work without the secret: RFC 6749 §4.4 is for confidential clients, RFC 5849 §3.4.2 keys HMAC with it. */
const NEEDS_CLIENT_SECRET = new Set<AuthSchemeName>(['OAUTH1', 'CLIENT_CREDENTIALS']);

/** What a scheme cannot run without, checked before anything is stored. */
function checkSchemeNeeds(app: AppDefinition | undefined, appKey: string, authScheme: AuthSchemeName, authConfig: AuthConfigInput, config: IntegrationConfig): void {
  const scheme = app?.authSchemes.find((s) => s.scheme === authScheme);
  // The request token endpoint (RFC 5849 §2.1) has no authConfig setting: only the catalog declares it.
  if (authScheme === 'OAUTH1' && !scheme?.requestTokenUrl) {
    throw new AuthlinkError('UNSUPPORTED_AUTH_SCHEME', `OAUTH1 needs an app in the catalog that declares its requestTokenUrl; ${appKey} does not`);
  }
  if (NEEDS_CLIENT_ID.has(authScheme) && !authConfig.clientId) {
    throw invalid('/authConfig/clientId', `required for ${authScheme}: register an OAuth app with ${app?.name ?? appKey} and pass its client id and secret`);
  }
  if (NEEDS_CLIENT_SECRET.has(authScheme) && !authConfig.clientSecret) {
    throw invalid('/authConfig/clientSecret', `required for ${authScheme}: pass the client secret ${app?.name ?? appKey} issued with the client id`);
  }
  const tokenUrl = config.tokenUrl ?? scheme?.tokenUrl;
  if (authScheme === 'OAUTH2' && (!(config.authorizationUrl ?? scheme?.authorizationUrl) || !tokenUrl)) {
    throw invalid('/authConfig', `${appKey} is not in the catalog: pass issuer, or authorizationUrl and tokenUrl`);
  }
  if (authScheme === 'CLIENT_CREDENTIALS' && !tokenUrl) {
    throw invalid('/authConfig', `${appKey} is not in the catalog: pass issuer or tokenUrl`);
  }
  const jwt = scheme?.jwt;
  if (authScheme === 'BASIC_WITH_JWT' && !tokenUrl && jwt?.mode !== 'sign' && jwt?.tokenPath === undefined) {
    throw invalid('/authConfig/tokenUrl', `required for BASIC_WITH_JWT: the endpoint of ${app?.name ?? appKey} that exchanges username and password for a JWT`);
  }
}

/** The discovered settings replaced by a new reading; those the project set itself are kept. */
function withRediscovered(config: IntegrationConfig, fresh: IntegrationConfig): IntegrationConfig {
  const next: Record<string, unknown> = { ...config };
  const discovered = new Set(config.discovered ?? []);
  for (const key of discovered) delete next[key];
  for (const [key, value] of Object.entries(fresh)) {
    // A setting the project chose itself stays; one the server advertises for the first time is taken.
    if (discovered.has(key as DiscoveredSetting) || !(key in config)) {
      next[key] = value;
      discovered.add(key as DiscoveredSetting);
    }
  }
  return { ...(next as IntegrationConfig), discovered: [...discovered] };
}

/** Integrations: a project's configuration of one app. Client secrets go through the vault. */
export class IntegrationService {
  readonly #db: Executor;
  readonly #vault: Vault;
  readonly #catalog: Catalog;
  readonly #clock: Clock;
  readonly #audit: AuditLog;

  readonly #logger: Logger | undefined;
  /** Set when the database can tell that it changed (SQLite): integrations read are then kept. */
  readonly #changes: ChangeCounter | undefined;
  readonly #loaded = new ChangeKeyedCache<Integration>();

  constructor(deps: { db: Executor; vault: Vault; catalog: Catalog; clock: Clock; audit: AuditLog; logger?: Logger }) {
    this.#audit = deps.audit;
    this.#logger = deps.logger;
    this.#db = deps.db;
    this.#vault = deps.vault;
    this.#catalog = deps.catalog;
    this.#clock = deps.clock;
    this.#changes = changeCounterOf(deps.db);
  }

  /**
   * Validates and prepares a new integration without writing it, so that callers can insert it
   * inside their own transaction. Discovery (network) happens here, before any transaction.
   */
  async prepare(projectId: string, input: CreateIntegrationInput): Promise<IntegrationRow> {
    const app = this.#catalog.get(input.app);
    const authScheme = chooseAuthScheme(app, input.authScheme);
    const authConfig = input.authConfig ?? {};
    const config = await this.#buildConfig(app, authScheme, authConfig);
    checkSchemeNeeds(app, input.app, authScheme, authConfig, config);
    const now = this.#clock().toISOString();
    const id = newId('int', this.#clock());
    const defaultScopes = app?.authSchemes.find((s) => s.scheme === authScheme)?.defaultScopes ?? [];
    return {
      id,
      project_id: projectId,
      app: input.app,
      name: input.name ?? input.app,
      auth_scheme: authScheme,
      client_id: authConfig.clientId ?? null,
      client_secret_ciphertext: authConfig.clientSecret ? this.#vault.encrypt(authConfig.clientSecret, clientSecretContext(id)) : null,
      scopes: JSON.stringify(authConfig.scopes ?? defaultScopes),
      config: JSON.stringify(config),
      created_at: now,
      updated_at: now,
      metadata_refreshed_at: config.discovered ? now : null,
    };
  }

  async create(projectId: string, input: CreateIntegrationInput, actor: AuditActor = 'system'): Promise<Integration> {
    const row = await this.prepare(projectId, input);
    await insertIntegration(this.#db, row);
    this.recordCreated(row, actor);
    return toIntegration(row);
  }

  recordCreated(row: IntegrationRow, actor: AuditActor): void {
    this.#audit.record({
      projectId: row.project_id,
      actor,
      action: 'integration.created',
      targetType: 'integration',
      targetId: row.id,
      outcome: 'success',
      detail: { app: row.app, authScheme: row.auth_scheme },
    });
  }

  /**
   * An integration of the project. Outside a transaction it is kept while no integration changed
   * (SQLite's change counter; every initiate reads one): the object is frozen and shared.
   */
  async get(projectId: string, id: string, db: Executor = this.#db): Promise<Integration> {
    const count = db === this.#db ? this.changeCount() : undefined;
    if (count !== undefined) {
      const hit = this.#loaded.get(`${projectId}/${id}`, count);
      if (hit !== undefined) return hit;
    }
    const row = await findIntegrationRow(db, projectId, id);
    if (!row) throw new AuthlinkError('INTEGRATION_NOT_FOUND', `no integration ${id}`);
    return this.adopt(row, count);
  }

  /** The count to pass to `adopt`, taken before the row is read; undefined where nothing is kept (PostgreSQL). */
  changeCount(): number | undefined {
    return this.#changes?.current(INTEGRATIONS);
  }

  /**
   * The integration of a row read under `count` (from `changeCount()` before the read, so that a
   * write landing after the read is never hidden): the kept object when there is one for that state
   * of the database, so that the accounts of one integration share it.
   */
  adopt(row: IntegrationRow, count: number | undefined): Integration {
    if (count === undefined) return toIntegration(row);
    const key = `${row.project_id}/${row.id}`;
    const kept = this.#loaded.get(key, count);
    if (kept !== undefined) return kept;
    const integration = deepFreeze(toIntegration(row));
    this.#loaded.set(key, count, integration);
    return integration;
  }

  async list(projectId: string, filter: { app?: string | undefined; limit: number; cursor?: string | undefined }): Promise<Page<Integration>> {
    const page = await listIntegrationRows(this.#db, projectId, filter);
    return { items: page.items.map(toIntegration), nextCursor: page.nextCursor };
  }

  async forApp(projectId: string, app: string, db: Executor = this.#db): Promise<Integration[]> {
    return (await findIntegrationRowsForApp(db, projectId, app)).map(toIntegration);
  }

  async update(projectId: string, id: string, input: UpdateIntegrationInput, actor: AuditActor = 'system'): Promise<Integration> {
    const current = await this.get(projectId, id);
    const app = this.#catalog.get(current.app);
    const authConfig = input.authConfig ?? {};
    const config = { ...current.config, ...(await this.#buildConfig(app, current.authScheme, authConfig)) };
    await this.#db.transaction().execute(async (trx) => {
      const update: Parameters<typeof updateIntegrationRow>[3] = { config: JSON.stringify(config), updated_at: this.#clock().toISOString() };
      if (input.name !== undefined) update.name = input.name;
      if (authConfig.clientId !== undefined) update.client_id = authConfig.clientId;
      if (authConfig.clientSecret !== undefined) update.client_secret_ciphertext = this.#vault.encrypt(authConfig.clientSecret, clientSecretContext(id));
      if (authConfig.scopes !== undefined) update.scopes = JSON.stringify(authConfig.scopes);
      if (authConfig.issuer !== undefined) update.metadata_refreshed_at = this.#clock().toISOString();
      await updateIntegrationRow(trx, projectId, id, update);
    });
    this.#audit.record({
      projectId,
      actor,
      action: 'integration.updated',
      targetType: 'integration',
      targetId: id,
      outcome: 'success',
      // Which settings changed, never their values: a client secret may be among them.
      detail: { changed: [...Object.keys(input.authConfig ?? {}), ...(input.name === undefined ? [] : ['name'])].sort().join(' ') },
    });
    return this.get(projectId, id);
  }

  async delete(projectId: string, id: string, actor: AuditActor = 'system'): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      if (!(await findIntegrationRow(trx, projectId, id))) throw new AuthlinkError('INTEGRATION_NOT_FOUND', `no integration ${id}`);
      const accounts = await countAccountsOfIntegration(trx, projectId, id);
      if (accounts > 0) {
        throw new AuthlinkError('INTEGRATION_IN_USE', `integration ${id} still has ${accounts} connected account(s); delete them first`);
      }
      await deleteIntegrationRow(trx, projectId, id);
    });
    this.#audit.record({ projectId, actor, action: 'integration.deleted', targetType: 'integration', targetId: id, outcome: 'success' });
  }

  /** How many connected accounts (any status) use the integration. */
  async accountCount(projectId: string, id: string): Promise<number> {
    return countAccountsOfIntegration(this.#db, projectId, id);
  }

  /**
   * Reads again the metadata of integrations configured by issuer whose copy is older than
   * `olderThan` (servers move endpoints and turn on PKCE). A server that cannot be read keeps the
   * copy it had, and is asked again after the next interval. Returns how many were re-read.
   */
  async refreshStaleMetadata(olderThan: Date, limit: number): Promise<number> {
    const stale = await this.#db
      .selectFrom('integrations')
      .selectAll()
      .where('metadata_refreshed_at', '<', olderThan.toISOString())
      .orderBy('metadata_refreshed_at')
      .limit(limit)
      .execute();
    for (const row of stale) {
      const config = JSON.parse(row.config) as IntegrationConfig;
      const now = this.#clock().toISOString();
      let next = config;
      try {
        if (config.issuer === undefined || !config.discovered) throw new Error('no issuer');
        next = withRediscovered(config, await discoverIssuer(config.issuer));
      } catch (error) {
        this.#logger?.warn({ projectId: row.project_id, integrationId: row.id, err: error instanceof Error ? error.message : String(error) }, 'issuer metadata could not be read again; keeping the previous copy');
      }
      const changed = JSON.stringify(next) !== row.config;
      await this.#db
        .updateTable('integrations')
        .set({ metadata_refreshed_at: now, ...(changed && { config: JSON.stringify(next), updated_at: now }) })
        .where('id', '=', row.id)
        .where('config', '=', row.config)
        .execute();
      if (changed) this.#logger?.info({ projectId: row.project_id, integrationId: row.id }, 'issuer metadata changed; integration updated');
    }
    return stale.length;
  }

  /** Client credentials of an integration that is prepared but not yet written. */
  async clientOfRow(row: IntegrationRow): Promise<{ clientId: string; clientSecret: string | null }> {
    return {
      clientId: row.client_id ?? '',
      clientSecret: row.client_secret_ciphertext === null ? null : this.#vault.decrypt(row.client_secret_ciphertext, clientSecretContext(row.id)),
    };
  }

  /** The decrypted client secret, for the token endpoint only. */
  async clientSecret(projectId: string, id: string, db: Executor = this.#db): Promise<string | null> {
    const row = await findIntegrationRow(db, projectId, id);
    if (!row?.client_secret_ciphertext) return null;
    return this.#vault.decrypt(row.client_secret_ciphertext, clientSecretContext(id));
  }

  async #buildConfig(app: AppDefinition | undefined, authScheme: AuthSchemeName, input: AuthConfigInput): Promise<IntegrationConfig> {
    const fields = new Set((app?.authSchemes.find((s) => s.scheme === authScheme)?.fields ?? []).map((f) => f.name));
    for (const key of URL_KEYS) {
      const value = input[key];
      if (value !== undefined) checkEndpointUrl(`/authConfig/${key}`, value, fields);
    }
    let config: IntegrationConfig = {};
    if (input.issuer !== undefined) {
      // Discovery finds the token endpoint (RFC 8414), which is all a client credentials grant needs.
      if (authScheme !== 'OAUTH2' && authScheme !== 'CLIENT_CREDENTIALS') throw invalid('/authConfig/issuer', 'only OAUTH2 and CLIENT_CREDENTIALS integrations use an issuer');
      config = await discoverIssuer(input.issuer);
      config.discovered = Object.keys(config) as DiscoveredSetting[];
    }
    for (const key of URL_KEYS) if (input[key] !== undefined) config[key] = input[key];
    if (input.tokenEndpointAuthMethod !== undefined) config.tokenEndpointAuthMethod = input.tokenEndpointAuthMethod;
    if (input.pkce !== undefined) config.pkce = input.pkce;
    // What the project set itself stays when the metadata is read again.
    if (config.discovered) config.discovered = config.discovered.filter((key) => !(key in input) || key === 'issuer');
    if (input.authorizationParams !== undefined) config.authorizationParams = input.authorizationParams;
    return config;
  }
}
