import type { FieldDefinition } from '../catalog/app-definition.js';
import { addSeconds } from '../clock.js';
import { AuthlinkError } from '../errors/authlink-error.js';
import { hashToken, randomToken } from '../ids.js';
import type { AccountIdentity, Integration } from '../model.js';
import { SchemeFailure, type AuthScheme, type ResolvedScheme } from '../schemes/auth-scheme.js';
import type { ConnectedAccountRow } from '../storage/database-schema.js';
import {
  consumeConnectLink,
  consumeOAuthState,
  findUsableConnectLink,
  insertOAuthState,
  type ConnectLinkRecord,
} from '../storage/repositories/connect-flow-repository.js';
import { findConnectedAccountRow, identityColumns, transitionConnectedAccount } from '../storage/repositories/connected-account-repository.js';
import { learnIdentity } from './account-identity.js';
import { scopeColumns, scopesToAsk } from './account-scopes.js';
import { checkCredentials } from './credential-check.js';
import { formDestinations } from './form-destinations.js';
import { planCompletion, type Completion } from './flow-completion.js';
import { readProjectSettings } from './project-settings.js';
import { withQuery } from './redirect-url.js';
import { resolveIntegrationScheme } from './scheme-resolution.js';
import { appOf, callbackUrl, clientOf, schemeModule, startScheme, type ServiceContext } from './service-context.js';

/** A check of typed credentials that the user can answer by typing others (or by trying again). */
const FORM_CHECK_FAILURES: ReadonlySet<string> = new Set(['CREDENTIALS_REJECTED', 'CREDENTIALS_UNVERIFIED', 'MISSING_FIELD']);

/** What the end user reads on the form: no advice meant for the developer (such as `validate: false`). */
function formMessage(error: AuthlinkError, appName: string): string {
  if (error.code === 'CREDENTIALS_REJECTED') return `${appName} refused these credentials. Check them and try again.`;
  if (error.code === 'CREDENTIALS_UNVERIFIED') return `${appName} could not be reached to check these credentials. Please try again in a moment.`;
  return error.message;
}

function requestedScopesOf(row: ConnectedAccountRow, integration: Integration): string[] {
  return row.requested_scopes === null ? integration.scopes : (JSON.parse(row.requested_scopes) as string[]);
}

/**
 * A new flow for the same provider account (same id) may say less than the first one did (an
 * incremental grant without the email scope): what was known of that account stays.
 */
function sameAccountFilledIn(identity: AccountIdentity | null, row: ConnectedAccountRow): AccountIdentity | null {
  if (identity?.id === undefined || identity.id !== row.identity_id) return identity;
  const known: AccountIdentity = { id: row.identity_id };
  if (row.identity_login !== null) known.login = row.identity_login;
  if (row.identity_email !== null) known.email = row.identity_email;
  if (row.identity_name !== null) known.name = row.identity_name;
  return { ...known, ...identity };
}

function incrementalAuthorization(scheme: ResolvedScheme): ResolvedScheme['incrementalAuthorization'] {
  return scheme.scheme === 'OAUTH2' ? scheme.incrementalAuthorization : undefined;
}

/** What the hosted form shows: never a secret value, only labels and public values. */
export interface ConnectForm {
  appKey: string;
  appName: string;
  fields: FieldDefinition[];
  values: Record<string, string>;
  error?: string;
  /**
   * Where accepting the form may send the browser, as CSP sources for the page's `form-action`:
   * the initiator's redirect URL, and the provider's authorization endpoint when one follows.
   */
  continuesTo: string[];
}

/** `browserBinding`: a value to set as a cookie for the callback, when the project binds flows to the browser. */
export interface RedirectOutcome {
  kind: 'redirect';
  location: string;
  browserBinding?: string;
}

export type ConnectLinkOutcome = RedirectOutcome | { kind: 'form'; form: ConnectForm };

/** Where the browser goes when a flow ends, or which page it sees when there is nowhere to go. */
export interface FlowEnd {
  status: 'success' | 'failed';
  connectedAccountId?: string;
  /** The app key, as the initiator knows it. */
  appName?: string;
  /** The app's display name, for pages. */
  appDisplayName?: string;
  error?: string;
  /** The initiator's redirect URL with the outcome in its query; null → show a page. */
  location: string | null;
}

interface LinkedAccount {
  link: ConnectLinkRecord;
  row: ConnectedAccountRow;
  integration: Integration;
  scheme: AuthScheme;
  resolved: ResolvedScheme;
}

/** The browser side of a connection: connect links, the hosted form, the OAuth callback. */
export class ConnectFlowService {
  readonly #ctx: ServiceContext;

  constructor(context: ServiceContext) {
    this.#ctx = context;
  }

  /** `GET /connect/{token}`: redirect to the provider, or show the form for missing fields. */
  async open(token: string): Promise<ConnectLinkOutcome> {
    const linked = await this.#linked(token);
    const data = this.#ctx.secrets.openInitiation(linked.row.id, linked.row.credentials_ciphertext);
    const start = await startScheme(this.#ctx, linked.integration, data);
    if (start.kind === 'form') return { kind: 'form', form: this.#form(linked, start.missing) };
    if (start.kind === 'redirect') return this.#beginAuthorization(linked, data, start.publicData);
    // Complete data would have made the account ACTIVE at initiation: nothing to do here.
    throw new AuthlinkError('CONNECT_LINK_INVALID', 'this connection needs nothing more');
  }

  /** `POST /connect/{token}`: the end user's fields. Invalid ones re-show the form with the reason. */
  async submit(token: string, fields: Readonly<Record<string, string>>): Promise<{ kind: 'form'; form: ConnectForm } | { kind: 'done'; end: FlowEnd } | RedirectOutcome> {
    const linked = await this.#linked(token);
    const stored = this.#ctx.secrets.openInitiation(linked.row.id, linked.row.credentials_ciphertext);
    const submitted = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== ''));
    const data = { ...stored, ...submitted };
    let start;
    try {
      start = await startScheme(this.#ctx, linked.integration, data);
    } catch (error) {
      if (error instanceof AuthlinkError && (error.code === 'INVALID_FIELD' || error.code === 'MISSING_FIELD')) {
        const missing = linked.resolved.fields.filter((f) => f.suppliedBy === 'user' && stored[f.name] === undefined);
        return { kind: 'form', form: { ...this.#form(linked, missing), error: error.message } };
      }
      throw error;
    }
    if (start.kind === 'form') {
      return { kind: 'form', form: { ...this.#form(linked, start.missing), error: `Please fill in: ${start.missing.map((f) => f.label).join(', ')}` } };
    }
    if (start.kind === 'redirect') return this.#beginAuthorization(linked, data, start.publicData);

    let identity = null;
    if (linked.row.skip_validation !== 1) {
      try {
        identity = (await checkCredentials(this.#ctx, linked.integration, start.credentials, start.publicData)).identity;
      } catch (error) {
        if (!(error instanceof AuthlinkError) || !FORM_CHECK_FAILURES.has(error.code)) throw error;
        // The user typed these: they see why, and may try other values; nothing is stored.
        const missing = linked.resolved.fields.filter((f) => f.suppliedBy === 'user' && stored[f.name] === undefined);
        const form = this.#form(linked, missing);
        return { kind: 'form', form: { ...form, error: formMessage(error, form.appName) } };
      }
    }
    const now = this.#ctx.clock().toISOString();
    const completion = await planCompletion(this.#ctx, linked.row, start.credentials);
    await this.#ctx.db.transaction().execute(async (trx) => {
      if (!(await consumeConnectLink(trx, linked.link.tokenHash, now))) throw new AuthlinkError('CONNECT_LINK_INVALID', 'this link was used or has expired');
      const moved = await transitionConnectedAccount(trx, linked.row.project_id, linked.row.id, ['INITIATED'], {
        ...completion.update,
        ...identityColumns(identity),
        ...scopeColumns(linked.integration, requestedScopesOf(linked.row, linked.integration), start.credentials),
        data: JSON.stringify(start.publicData),
      });
      if (!moved) throw new AuthlinkError('CONNECT_LINK_INVALID', 'this connection is no longer waiting for input');
    });
    this.#ctx.logger.info({ projectId: linked.row.project_id, connectedAccountId: linked.row.id, app: linked.row.app }, 'connection completed by form');
    return { kind: 'done', end: this.#completed(linked.row, completion, 'form') };
  }

  /**
   * `GET /oauth/callback`. An unknown, replayed or expired `state` changes nothing: it cannot be
   * tied to an account without trusting the attacker's input.
   */
  async callback(url: URL, browserBinding?: string): Promise<FlowEnd> {
    const state = url.searchParams.get('state');
    if (!state || state.length > 512) return { status: 'failed', error: 'invalid_state', location: null };
    const now = this.#ctx.clock();
    const stateHash = hashToken(state);
    const record = await consumeOAuthState(this.#ctx.db, stateHash, now.toISOString());
    if (!record) {
      this.#ctx.logger.warn({}, 'oauth callback with an unknown, used or expired state');
      return { status: 'failed', error: 'invalid_state', location: null };
    }
    const row = await findConnectedAccountRow(this.#ctx.db, record.projectId, record.connectedAccountId);
    if (!row || row.status !== 'INITIATED') return { status: 'failed', error: 'connection_not_pending', location: null };
    const integration = await this.#ctx.integrations.get(record.projectId, row.integration_id);
    const scheme = schemeModule(integration);
    const resolved = resolveIntegrationScheme(appOf(this.#ctx, integration.app), integration);
    const data = JSON.parse(row.data) as Record<string, string>;
    try {
      // The project binds flows to the browser that opened the link: a callback from any other
      // browser (a forwarded or phished link) must not complete, whatever its code.
      if (record.browserBindingHash !== null && (browserBinding === undefined || hashToken(browserBinding) !== record.browserBindingHash)) {
        throw new SchemeFailure('browser_mismatch: the flow was finished in another browser than the one that started it', { transient: false });
      }
      if (!scheme.complete) throw new SchemeFailure(`${integration.authScheme} has no callback`);
      const credentials = await scheme.complete({
        scheme: resolved,
        client: await clientOf(this.#ctx, integration),
        redirectUri: callbackUrl(this.#ctx),
        callbackUrl: url,
        state,
        pending: this.#ctx.secrets.openPending(stateHash, record.pendingCiphertext),
        data,
        now: this.#ctx.clock(),
      });
      const completion = await planCompletion(this.#ctx, row, credentials);
      const identity = sameAccountFilledIn(await learnIdentity(this.#ctx, integration, credentials, data), row);
      const previouslyGranted = incrementalAuthorization(resolved) && row.granted_scopes !== null ? (JSON.parse(row.granted_scopes) as string[]) : [];
      const moved = await transitionConnectedAccount(this.#ctx.db, row.project_id, row.id, ['INITIATED'], {
        ...completion.update,
        ...identityColumns(identity),
        ...scopeColumns(integration, requestedScopesOf(row, integration), credentials, previouslyGranted),
      });
      if (!moved) return { status: 'failed', error: 'connection_not_pending', location: null };
      this.#ctx.logger.info({ projectId: row.project_id, connectedAccountId: row.id, app: row.app }, 'oauth connection completed');
      return this.#completed(row, completion, 'callback');
    } catch (error) {
      if (!(error instanceof SchemeFailure)) throw error;
      await transitionConnectedAccount(this.#ctx.db, row.project_id, row.id, ['INITIATED'], {
        status: 'FAILED',
        status_reason: error.reason,
        updated_at: this.#ctx.clock().toISOString(),
      });
      this.#ctx.logger.warn({ projectId: row.project_id, connectedAccountId: row.id, app: row.app, reason: error.reason }, 'oauth connection failed');
      this.#statusChanged(row, 'FAILED', 'callback', error.reason);
      return this.#end(row, 'failed', error.reason.split(':')[0] ?? 'failed');
    }
  }

  async #beginAuthorization(linked: LinkedAccount, data: Record<string, string>, publicData: Record<string, string>): Promise<RedirectOutcome> {
    const { integration, row } = linked;
    if (!linked.scheme.authorize) throw new AuthlinkError('UNSUPPORTED_AUTH_SCHEME', `${integration.authScheme} has no authorization step`);
    const incremental = incrementalAuthorization(linked.resolved);
    const granted = row.granted_scopes === null ? null : (JSON.parse(row.granted_scopes) as string[]);
    const scopes = scopesToAsk(requestedScopesOf(row, integration), granted, incremental !== undefined);
    const scheme = incremental?.params && granted !== null ? { ...linked.resolved, authorizationParams: { ...linked.resolved.authorizationParams, ...incremental.params } } : linked.resolved;
    let authorization;
    try {
      authorization = await linked.scheme.authorize({
        scheme,
        // OAuth 1.0a signs the request token request with the consumer secret (RFC 5849 §2.1).
        client: await clientOf(this.#ctx, integration),
        scopes,
        redirectUri: callbackUrl(this.#ctx),
        data,
      });
    } catch (error) {
      if (error instanceof AuthlinkError) throw error;
      // A URL the integration cannot build is the project's configuration problem, not ours.
      this.#ctx.logger.warn({ projectId: row.project_id, integrationId: integration.id, err: error instanceof Error ? error.message : String(error) }, 'authorization request could not be built');
      throw new AuthlinkError('INTEGRATION_CONFIG_INVALID', `the integration ${integration.id} cannot build its authorization request`, { cause: error });
    }
    const now = this.#ctx.clock();
    const stateHash = hashToken(authorization.state);
    const { requireSameBrowser } = await readProjectSettings(this.#ctx.db, row.project_id);
    const browserBinding = requireSameBrowser ? randomToken() : undefined;
    await this.#ctx.db.transaction().execute(async (trx) => {
      // Single use: a second click on the same link must not start a second authorization.
      if (!(await consumeConnectLink(trx, linked.link.tokenHash, now.toISOString()))) {
        throw new AuthlinkError('CONNECT_LINK_INVALID', 'this link was used or has expired');
      }
      await insertOAuthState(
        trx,
        {
          stateHash,
          projectId: row.project_id,
          connectedAccountId: row.id,
          pendingCiphertext: this.#ctx.secrets.sealPending(stateHash, authorization.pending),
          expiresAt: addSeconds(now, this.#ctx.timings.oauthStateTtlSeconds).toISOString(),
          browserBindingHash: browserBinding === undefined ? null : hashToken(browserBinding),
        },
        now.toISOString(),
      );
      await trx.updateTable('connected_accounts').set({ data: JSON.stringify(publicData), updated_at: now.toISOString() }).where('id', '=', row.id).execute();
    });
    return { kind: 'redirect', location: authorization.url, ...(browserBinding !== undefined && { browserBinding }) };
  }

  async #linked(token: string): Promise<LinkedAccount> {
    const invalid = new AuthlinkError('CONNECT_LINK_INVALID', 'this link is invalid, was used or has expired');
    if (token.length === 0 || token.length > 128) throw invalid;
    const link = await findUsableConnectLink(this.#ctx.db, hashToken(token), this.#ctx.clock().toISOString());
    if (!link) throw invalid;
    const row = await findConnectedAccountRow(this.#ctx.db, link.projectId, link.connectedAccountId);
    if (!row || row.status !== 'INITIATED') throw invalid;
    const integration = await this.#ctx.integrations.get(link.projectId, row.integration_id);
    return {
      link,
      row,
      integration,
      scheme: schemeModule(integration),
      resolved: resolveIntegrationScheme(appOf(this.#ctx, integration.app), integration),
    };
  }

  #completed(row: ConnectedAccountRow, completion: Completion, via: string): FlowEnd {
    if (completion.status === 'ACTIVE') {
      this.#statusChanged(row, 'ACTIVE', via);
      return this.#end(row, 'success');
    }
    return { status: 'success', connectedAccountId: row.id, appName: row.app, appDisplayName: appOf(this.#ctx, row.app)?.name ?? row.app, location: completion.confirmationLocation };
  }

  #statusChanged(row: ConnectedAccountRow, to: 'ACTIVE' | 'FAILED', via: string, reason?: string): void {
    this.#ctx.audit.record({
      projectId: row.project_id,
      actor: 'browser',
      action: 'connected_account.status_changed',
      targetType: 'connected_account',
      targetId: row.id,
      outcome: to === 'ACTIVE' ? 'success' : 'failure',
      detail: { from: 'INITIATED', to, via, app: row.app, ...(reason !== undefined && { reason }) },
    });
  }

  #form(linked: LinkedAccount, fields: FieldDefinition[]): ConnectForm {
    const app = appOf(this.#ctx, linked.row.app);
    return {
      appKey: linked.row.app,
      appName: app?.name ?? linked.row.app,
      fields,
      values: JSON.parse(linked.row.data) as Record<string, string>,
      continuesTo: formDestinations(linked.row.redirect_url, linked.resolved, linked.scheme.authorize !== undefined),
    };
  }

  #end(row: ConnectedAccountRow, status: 'success' | 'failed', error?: string): FlowEnd {
    const end: FlowEnd = { status, connectedAccountId: row.id, appName: row.app, appDisplayName: appOf(this.#ctx, row.app)?.name ?? row.app, location: null };
    if (error !== undefined) end.error = error;
    if (row.redirect_url) {
      end.location = withQuery(row.redirect_url, { status, connectedAccountId: row.id, appName: row.app, error });
    }
    return end;
  }
}

