import type { ConnectedAccountUpdate } from '../database-schema.js';
import type { Executor } from '../executor.js';

/**
 * Takes the refresh lease of an ACTIVE account if nobody holds it or the holder's lease ran out
 * (a crashed process). Returns the credentials version the holder may write over.
 */
export async function acquireRefreshLease(db: Executor, accountId: string, owner: string, now: string, until: string): Promise<number | undefined> {
  const row = await db
    .updateTable('connected_accounts')
    .set({ refresh_lease_owner: owner, refresh_lease_expires_at: until })
    .where('id', '=', accountId)
    .where('status', '=', 'ACTIVE')
    .where((eb) => eb.or([eb('refresh_lease_owner', 'is', null), eb('refresh_lease_expires_at', '<=', now)]))
    .returning('credentials_version')
    .executeTakeFirst();
  return row?.credentials_version;
}

/** Keeps a held lease alive while a slow refresh runs; false when the lease was lost. */
export async function extendRefreshLease(db: Executor, accountId: string, owner: string, until: string): Promise<boolean> {
  const result = await db
    .updateTable('connected_accounts')
    .set({ refresh_lease_expires_at: until })
    .where('id', '=', accountId)
    .where('refresh_lease_owner', '=', owner)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/**
 * Writes refreshed credentials only if the writer still holds the lease and nothing was written
 * since it read version `version` (fencing): a late holder's result is dropped, never written
 * over a newer token.
 */
export async function writeRefreshedCredentials(
  db: Executor,
  accountId: string,
  owner: string,
  version: number,
  update: ConnectedAccountUpdate,
): Promise<boolean> {
  const result = await db
    .updateTable('connected_accounts')
    .set({ ...update, refresh_lease_owner: null, refresh_lease_expires_at: null, refresh_failures: 0, next_refresh_at: null })
    .set((eb) => ({ credentials_version: eb('credentials_version', '+', 1) }))
    .where('id', '=', accountId)
    .where('credentials_version', '=', version)
    .where('refresh_lease_owner', '=', owner)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Gives the lease back, recording whatever the attempt learned (failure count, cool-down, status). */
export async function releaseRefreshLease(db: Executor, accountId: string, owner: string, update: ConnectedAccountUpdate = {}): Promise<void> {
  await db
    .updateTable('connected_accounts')
    .set({ ...update, refresh_lease_owner: null, refresh_lease_expires_at: null })
    .where('id', '=', accountId)
    .where('refresh_lease_owner', '=', owner)
    .execute();
}

export interface DueAccount {
  id: string;
  projectId: string;
}

/** ACTIVE accounts whose access token expires before `horizon`, not cooling down, not leased. */
export async function findAccountsDueForRefresh(db: Executor, now: string, horizon: string, limit: number): Promise<DueAccount[]> {
  const rows = await db
    .selectFrom('connected_accounts')
    .select(['id', 'project_id'])
    .where('status', '=', 'ACTIVE')
    .where('access_expires_at', 'is not', null)
    .where('access_expires_at', '<', horizon)
    .where((eb) => eb.or([eb('next_refresh_at', 'is', null), eb('next_refresh_at', '<=', now)]))
    .where((eb) => eb.or([eb('refresh_lease_owner', 'is', null), eb('refresh_lease_expires_at', '<=', now)]))
    .orderBy('access_expires_at')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ id: row.id, projectId: row.project_id }));
}
