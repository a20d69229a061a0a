import { setTimeout as sleep } from 'node:timers/promises';
import { addSeconds } from '../clock.js';
import { AuthlinkError } from '../errors/authlink-error.js';
import { newId } from '../ids.js';
import type { Credentials, Integration } from '../model.js';
import { CredentialsRevoked, SchemeFailure, type AuthScheme } from '../schemes/auth-scheme.js';
import { findAccountWithIntegration, findConnectedAccountRow, type AccountCredentialsRow } from '../storage/repositories/connected-account-repository.js';
import { acquireRefreshLease, extendRefreshLease, releaseRefreshLease, writeRefreshedCredentials } from '../storage/repositories/refresh-lease-repository.js';
import { changeCounterOf, type CachedTable, type ChangeCounter } from '../storage/change-counter.js';
import { grantedScopes, hasScopes } from './account-scopes.js';
import { ChangeKeyedCache } from './change-keyed-cache.js';
import { credentialTimes, isDueForRefresh, isExpired } from './credential-freshness.js';
import { resolveIntegrationScheme } from './scheme-resolution.js';
import { appOf, clientOf, schemeModule, type ServiceContext } from './service-context.js';

export interface RefreshPolicy {
  /** How long a process may hold an account's refresh lease before others may take over. */
  leaseSeconds: number;
  /** Tries per refresh for transient failures (network, 5xx, 429). */
  attempts: number;
  /** First retry delay; doubles per attempt, with full jitter. */
  retryBaseMs: number;
  /** Cool-down after a failed refresh: doubles per consecutive failure, up to the maximum. */
  coolDownBaseSeconds: number;
  coolDownMaxSeconds: number;
  /** How often a process waiting for another's lease looks again. */
  pollMs: number;
}

export const DEFAULT_REFRESH_POLICY: RefreshPolicy = Object.freeze({
  leaseSeconds: 30,
  attempts: 3,
  retryBaseMs: 200,
  coolDownBaseSeconds: 30,
  coolDownMaxSeconds: 3600,
  pollMs: 50,
});

/** What a loaded account is read from: a write to either (or a cascade into them) reloads it. */
const LOADED_FROM: readonly CachedTable[] = ['connected_accounts', 'integrations'];

export interface FreshCredentials {
  row: AccountCredentialsRow;
  integration: Integration;
  scheme: AuthScheme;
  credentials: Credentials;
}

/**
 * Keeps credentials usable: renews them before they expire, exactly once per expiry however many
 * callers (and processes) ask at once. In a process, concurrent callers share one promise; across
 * processes, a lease in the account row decides who refreshes and a fencing version makes sure a
 * late writer can never overwrite newer credentials.
 */
export class CredentialRefresher {
  readonly #ctx: ServiceContext;
  readonly #policy: RefreshPolicy;
  readonly #inFlight = new Map<string, Promise<void>>();
  /** This process's name in leases. */
  readonly #owner = newId('proc');
  /** Set when the database can tell that it changed (SQLite): loaded accounts are then kept. */
  readonly #changes: ChangeCounter | undefined;
  readonly #loaded = new ChangeKeyedCache<FreshCredentials>();

  constructor(context: ServiceContext, policy: Partial<RefreshPolicy> = {}) {
    this.#ctx = context;
    this.#policy = { ...DEFAULT_REFRESH_POLICY, ...policy };
    this.#changes = changeCounterOf(context.db);
  }

  /** Credentials of an ACTIVE account, renewed first when due (or always with `force`). */
  async fresh(projectId: string, accountId: string, options: { force?: boolean } = {}): Promise<FreshCredentials> {
    let current = await this.#load(projectId, accountId);
    if (this.#due(current, options.force === true)) {
      await this.#singleFlight(current, options.force === true);
      current = await this.#load(projectId, accountId);
      if (current.row.status !== 'ACTIVE') {
        throw new AuthlinkError('CONNECTION_NOT_ACTIVE', `connected account ${accountId} is ${current.row.status}: ${current.row.status_reason ?? ''}`.trim());
      }
      if (isExpired(current.row.access_expires_at, this.#ctx.clock())) {
        throw new AuthlinkError('PROVIDER_ERROR', `the access token has expired and could not be refreshed: ${current.row.status_reason ?? 'unknown reason'}`);
      }
    }
    return current;
  }

  /**
   * The account as every credential read and proxied call needs it. Kept between calls while the
   * database has not changed (SQLite's change counter): a refresh, re-initiation, status change,
   * deletion or key rotation anywhere is a write, and the next call reads the rows again. Where the
   * database cannot tell (PostgreSQL, shared by processes), every call reads.
   */
  async #load(projectId: string, accountId: string): Promise<FreshCredentials> {
    // Counts are taken before the read: a write that lands meanwhile makes what is read stale at once.
    const count = this.#changes?.current(LOADED_FROM);
    const key = `${projectId}/${accountId}`;
    if (count !== undefined) {
      const hit = this.#loaded.get(key, count);
      if (hit !== undefined) return hit;
    }
    const integrationCount = this.#ctx.integrations.changeCount();
    // One statement for both rows.
    const found = await findAccountWithIntegration(this.#ctx.db, projectId, accountId);
    if (!found) throw new AuthlinkError('CONNECTED_ACCOUNT_NOT_FOUND', `no connected account ${accountId}`);
    const row = found.account;
    if (row.status !== 'ACTIVE') throw new AuthlinkError('CONNECTION_NOT_ACTIVE', `connected account ${accountId} is ${row.status}`);
    if (!found.integration) throw new AuthlinkError('INTEGRATION_NOT_FOUND', `no integration ${row.integration_id}`);
    // Shared by every caller while cached: frozen, so no caller can change what the next one sees.
    const integration = this.#ctx.integrations.adopt(found.integration, integrationCount);
    const loaded: FreshCredentials = Object.freeze({
      row: Object.freeze(row),
      integration,
      scheme: schemeModule(integration),
      credentials: this.#ctx.secrets.openCredentials(row.id, row.credentials_ciphertext ?? ''),
    });
    if (count !== undefined) this.#loaded.set(key, count, loaded);
    return loaded;
  }

  #due(current: FreshCredentials, force: boolean): boolean {
    if (!current.scheme.refresh) return false;
    if (force) return true;
    const now = this.#ctx.clock();
    const { row } = current;
    const due = isDueForRefresh(
      { obtainedAt: row.credentials_obtained_at, expiresAt: row.access_expires_at },
      typeof current.credentials.accessToken === 'string',
      now,
    );
    if (!due) return false;
    // Cooling down after failures: keep using the token while it lasts rather than hammer the provider.
    const coolingDown = row.next_refresh_at !== null && Date.parse(row.next_refresh_at) > now.getTime();
    return !coolingDown || isExpired(row.access_expires_at, now);
  }

  #singleFlight(current: FreshCredentials, force: boolean): Promise<void> {
    const running = this.#inFlight.get(current.row.id);
    if (running) return running;
    const attempt = this.#refreshAcrossProcesses(current, force).finally(() => this.#inFlight.delete(current.row.id));
    this.#inFlight.set(current.row.id, attempt);
    return attempt;
  }

  async #refreshAcrossProcesses(current: FreshCredentials, force: boolean): Promise<void> {
    const { row } = current;
    const deadline = Date.now() + this.#policy.leaseSeconds * 1000 * 2;
    while (Date.now() < deadline) {
      const now = this.#ctx.clock();
      const version = await acquireRefreshLease(this.#ctx.db, row.id, this.#owner, now.toISOString(), addSeconds(now, this.#policy.leaseSeconds).toISOString());
      if (version !== undefined) {
        // Against the version this caller saw, not the one under the lease: credentials written
        // since (by the holder it waited for, which may release just before this acquire) answer
        // a forced refresh too, and must not be refreshed again.
        await this.#refreshHoldingLease(row.project_id, row.id, row.credentials_version, force);
        return;
      }
      // Another process holds the lease: wait until it writes (version moves) or gives up.
      await sleep(this.#policy.pollMs);
      const seen = await findConnectedAccountRow(this.#ctx.db, row.project_id, row.id);
      if (!seen || seen.status !== 'ACTIVE') return;
      if (seen.credentials_version !== row.credentials_version) return;
    }
    throw new AuthlinkError('PROVIDER_ERROR', 'timed out waiting for another process to refresh the credentials');
  }

  async #extendLease(accountId: string): Promise<boolean> {
    try {
      return await extendRefreshLease(this.#ctx.db, accountId, this.#owner, addSeconds(this.#ctx.clock(), this.#policy.leaseSeconds).toISOString());
    } catch {
      return false;
    }
  }

  async #refreshHoldingLease(projectId: string, accountId: string, version: number, force: boolean): Promise<void> {
    // Re-read under the lease: another process may have refreshed between our read and the lease.
    const current = await this.#load(projectId, accountId).catch(async (error: unknown) => {
      await releaseRefreshLease(this.#ctx.db, accountId, this.#owner);
      throw error;
    });
    if (current.row.credentials_version !== version || (!force && !this.#due(current, false))) {
      await releaseRefreshLease(this.#ctx.db, accountId, this.#owner);
      return;
    }
    const { row, integration, scheme } = current;
    const refresh = scheme.refresh;
    if (!refresh) {
      await releaseRefreshLease(this.#ctx.db, accountId, this.#owner);
      return;
    }
    const input = {
      scheme: resolveIntegrationScheme(appOf(this.#ctx, integration.app), integration),
      client: await clientOf(this.#ctx, integration),
      credentials: current.credentials,
      data: JSON.parse(row.data) as Record<string, string>,
    };
    let lastFailure: SchemeFailure | undefined;
    // A live holder keeps its lease however slow the provider is: only a dead process's lease
    // runs out. Without this, a slow refresh would be repeated by another process with the same
    // rotating refresh token, and the provider would revoke the grant.
    const heartbeat = setInterval(() => void this.#extendLease(accountId), (this.#policy.leaseSeconds * 1000) / 3);
    try {
      for (let attempt = 0; attempt < this.#policy.attempts; attempt += 1) {
        if (attempt > 0) await sleep(Math.random() * this.#policy.retryBaseMs * 2 ** (attempt - 1));
        // Never present the refresh token without holding the lease.
        if (!(await this.#extendLease(accountId))) {
          this.#ctx.logger.warn({ projectId, connectedAccountId: accountId }, 'refresh abandoned: the lease was lost');
          return;
        }
        try {
          const credentials = await refresh.call(scheme, { ...input, now: this.#ctx.clock() });
          const now = this.#ctx.clock();
          const times = credentialTimes(credentials, now);
          const written = await writeRefreshedCredentials(this.#ctx.db, accountId, this.#owner, version, {
            credentials_ciphertext: this.#ctx.secrets.sealCredentials(accountId, credentials),
            credentials_obtained_at: times.obtainedAt,
            access_expires_at: times.expiresAt,
            status_reason: null,
            updated_at: now.toISOString(),
            // A refresh answer's scope is what the new token carries (RFC 6749 §6): the grant may have changed.
            ...(typeof credentials.scope === 'string' && hasScopes(integration) && { granted_scopes: JSON.stringify(grantedScopes(credentials, [])) }),
          });
          if (!written) this.#ctx.logger.warn({ projectId, connectedAccountId: accountId }, 'refresh result discarded: the lease was lost');
          else {
            this.#ctx.logger.info({ projectId, connectedAccountId: accountId, app: row.app }, 'credentials refreshed');
            this.#ctx.audit.record({ projectId, actor: 'system', action: 'credentials.refreshed', targetType: 'connected_account', targetId: accountId, outcome: 'success', detail: { app: row.app } });
          }
          return;
        } catch (error) {
          if (error instanceof CredentialsRevoked) {
            await releaseRefreshLease(this.#ctx.db, accountId, this.#owner, {
              status: 'EXPIRED',
              status_reason: `refresh failed: ${error.reason}`,
              updated_at: this.#ctx.clock().toISOString(),
            });
            this.#ctx.logger.warn({ projectId, connectedAccountId: accountId, app: row.app, reason: error.reason }, 'credentials revoked: account EXPIRED');
            this.#ctx.audit.record({
              projectId,
              actor: 'system',
              action: 'connected_account.status_changed',
              targetType: 'connected_account',
              targetId: accountId,
              outcome: 'failure',
              detail: { from: 'ACTIVE', to: 'EXPIRED', reason: error.reason },
            });
            return;
          }
          if (!(error instanceof SchemeFailure)) {
            await releaseRefreshLease(this.#ctx.db, accountId, this.#owner);
            throw error;
          }
          lastFailure = error;
          if (!error.transient) break;
        }
      }
    } finally {
      clearInterval(heartbeat);
    }
    const failures = row.refresh_failures + 1;
    const coolDown = Math.min(this.#policy.coolDownMaxSeconds, this.#policy.coolDownBaseSeconds * 2 ** (failures - 1));
    const now = this.#ctx.clock();
    await releaseRefreshLease(this.#ctx.db, accountId, this.#owner, {
      refresh_failures: failures,
      next_refresh_at: addSeconds(now, coolDown * (0.5 + Math.random() / 2)).toISOString(),
      status_reason: `refresh failing (${failures}×): ${lastFailure?.reason ?? 'unknown'}`,
      updated_at: now.toISOString(),
    });
    this.#ctx.logger.warn({ projectId, connectedAccountId: accountId, app: row.app, failures, reason: lastFailure?.reason }, 'refresh failed; cooling down');
    if (force) throw new AuthlinkError('PROVIDER_ERROR', `refresh failed: ${lastFailure?.reason ?? 'unknown'}`);
  }
}
