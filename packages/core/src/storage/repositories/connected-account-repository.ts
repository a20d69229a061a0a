import { sql } from 'kysely';
import type { AuthSchemeName } from '../../catalog/app-definition.js';
import type { AccountIdentity, ConnectedAccount, ConnectionStatus } from '../../model.js';
import type { ConnectedAccountRow, ConnectedAccountUpdate, NewConnectedAccountRow } from '../database-schema.js';
import { decodeCursor, toPage, type Executor } from '../executor.js';

export interface ConnectedAccountFilter {
  entityId?: string | undefined;
  app?: string | undefined;
  integrationId?: string | undefined;
  status?: ConnectionStatus | undefined;
  labels?: readonly string[] | undefined;
  /** Any of these values (the Composio compatibility layer filters on several at once). */
  entityIds?: readonly string[] | undefined;
  apps?: readonly string[] | undefined;
  integrationIds?: readonly string[] | undefined;
  statuses?: readonly ConnectionStatus[] | undefined;
  /** Matches the account's identity id, login or email (email case-insensitively). */
  accountIdentity?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export function toConnectedAccount(row: ConnectedAccountRow, labels: string[]): ConnectedAccount {
  return {
    id: row.id,
    projectId: row.project_id,
    status: row.status as ConnectionStatus,
    statusReason: row.status_reason,
    entityId: row.entity_id,
    integrationId: row.integration_id,
    app: row.app,
    authScheme: row.auth_scheme as AuthSchemeName,
    labels,
    data: JSON.parse(row.data) as Record<string, string>,
    redirectUrl: row.redirect_url,
    accountIdentity: identityOf(row),
    requestedScopes: row.requested_scopes === null ? null : (JSON.parse(row.requested_scopes) as string[]),
    grantedScopes: row.granted_scopes === null ? null : (JSON.parse(row.granted_scopes) as string[]),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function identityOf(row: ConnectedAccountRow): AccountIdentity | null {
  const identity: AccountIdentity = {};
  if (row.identity_id !== null) identity.id = row.identity_id;
  if (row.identity_login !== null) identity.login = row.identity_login;
  if (row.identity_email !== null) identity.email = row.identity_email;
  if (row.identity_name !== null) identity.name = row.identity_name;
  return Object.keys(identity).length === 0 ? null : identity;
}

/** The columns that store an identity (all four, so that a new identity replaces the old one whole). */
export function identityColumns(identity: AccountIdentity | null): Pick<ConnectedAccountUpdate, 'identity_id' | 'identity_login' | 'identity_email' | 'identity_name'> {
  return {
    identity_id: identity?.id ?? null,
    identity_login: identity?.login ?? null,
    identity_email: identity?.email?.toLowerCase() ?? null,
    identity_name: identity?.name ?? null,
  };
}

async function labelsFor(db: Executor, ids: readonly string[]): Promise<Map<string, string[]>> {
  const byAccount = new Map<string, string[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return byAccount;
  const rows = await db
    .selectFrom('connected_account_labels')
    .select(['connected_account_id', 'label'])
    .where('connected_account_id', 'in', ids)
    .orderBy('label')
    .execute();
  for (const row of rows) byAccount.get(row.connected_account_id)?.push(row.label);
  return byAccount;
}

export async function insertConnectedAccount(db: Executor, row: NewConnectedAccountRow, labels: readonly string[]): Promise<void> {
  await db.insertInto('connected_accounts').values(row).execute();
  await replaceLabels(db, row.id, labels);
}

export async function replaceLabels(db: Executor, accountId: string, labels: readonly string[]): Promise<void> {
  await db.deleteFrom('connected_account_labels').where('connected_account_id', '=', accountId).execute();
  const unique = [...new Set(labels)];
  if (unique.length > 0) {
    await db
      .insertInto('connected_account_labels')
      .values(unique.map((label) => ({ connected_account_id: accountId, label })))
      .execute();
  }
}

export async function findConnectedAccountRow(db: Executor, projectId: string, id: string): Promise<ConnectedAccountRow | undefined> {
  return db.selectFrom('connected_accounts').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
}

export async function findConnectedAccount(db: Executor, projectId: string, id: string): Promise<ConnectedAccount | undefined> {
  const row = await findConnectedAccountRow(db, projectId, id);
  if (!row) return undefined;
  const labels = await labelsFor(db, [row.id]);
  return toConnectedAccount(row, labels.get(row.id) ?? []);
}

export async function listConnectedAccounts(
  db: Executor,
  projectId: string,
  filter: ConnectedAccountFilter,
): Promise<{ items: ConnectedAccount[]; nextCursor: string | null }> {
  const after = decodeCursor(filter.cursor);
  let query = db.selectFrom('connected_accounts').selectAll().where('project_id', '=', projectId);
  if (filter.entityId !== undefined) query = query.where('entity_id', '=', filter.entityId);
  if (filter.app !== undefined) query = query.where('app', '=', filter.app);
  if (filter.integrationId !== undefined) query = query.where('integration_id', '=', filter.integrationId);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  // Several values: any of them. An empty list matches nothing (never "no filter").
  const none = sql<boolean>`1 = 0`;
  if (filter.entityIds) query = filter.entityIds.length > 0 ? query.where('entity_id', 'in', filter.entityIds) : query.where(none);
  if (filter.apps) query = filter.apps.length > 0 ? query.where('app', 'in', filter.apps) : query.where(none);
  if (filter.integrationIds) query = filter.integrationIds.length > 0 ? query.where('integration_id', 'in', filter.integrationIds) : query.where(none);
  if (filter.statuses) query = filter.statuses.length > 0 ? query.where('status', 'in', filter.statuses) : query.where(none);
  const identity = filter.accountIdentity;
  if (identity !== undefined) {
    query = query.where((eb) =>
      eb.or([eb('identity_id', '=', identity), eb('identity_login', '=', identity), eb('identity_email', '=', identity.toLowerCase())]),
    );
  }
  const labels = [...new Set(filter.labels ?? [])];
  if (labels.length > 0) {
    // An account matches when it carries every requested label.
    query = query.where('id', 'in', (qb) =>
      qb
        .selectFrom('connected_account_labels')
        .select('connected_account_id')
        .where('label', 'in', labels)
        .groupBy('connected_account_id')
        .having((eb) => eb.fn.count('label'), '=', labels.length),
    );
  }
  if (after !== undefined) query = query.where('id', '<', after);
  const rows = await query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
  const page = toPage(rows, filter.limit);
  const labelMap = await labelsFor(db, page.items.map((r) => r.id));
  return { items: page.items.map((row) => toConnectedAccount(row, labelMap.get(row.id) ?? [])), nextCursor: page.nextCursor };
}

export async function updateConnectedAccountRow(db: Executor, projectId: string, id: string, update: ConnectedAccountUpdate): Promise<void> {
  await db.updateTable('connected_accounts').set(update).where('project_id', '=', projectId).where('id', '=', id).execute();
}

/**
 * Moves an account between statuses only if it is still in one of `from`: the compare-and-set
 * that keeps two racing callbacks (or a callback and a disable) from both winning.
 */
export async function transitionConnectedAccount(
  db: Executor,
  projectId: string,
  id: string,
  from: readonly ConnectionStatus[],
  update: ConnectedAccountUpdate,
): Promise<boolean> {
  const result = await db
    .updateTable('connected_accounts')
    .set(update)
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .where('status', 'in', from)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteConnectedAccountRow(db: Executor, projectId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('connected_accounts').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function countAccountsOfIntegration(db: Executor, projectId: string, integrationId: string): Promise<number> {
  const row = await db
    .selectFrom('connected_accounts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('project_id', '=', projectId)
    .where('integration_id', '=', integrationId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
