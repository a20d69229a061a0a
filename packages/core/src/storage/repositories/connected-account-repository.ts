import { sql } from 'kysely';
import type { AuthSchemeName } from '../../catalog/app-definition.js';
import type { AccountIdentity, ConnectedAccount, ConnectionStatus } from '../../model.js';
import type { ConnectedAccountRow, ConnectedAccountUpdate, IntegrationRow, NewConnectedAccountRow } from '../database-schema.js';
import { decodeCursor, toPage, type Executor } from '../executor.js';
import { preparedQuery, type Param } from '../prepared-query.js';

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

/** Every column an insert sets; the rest (version, failure count) take their defaults. */
const INSERTED_COLUMNS = [
  'id',
  'project_id',
  'entity_id',
  'integration_id',
  'app',
  'auth_scheme',
  'status',
  'status_reason',
  'data',
  'credentials_ciphertext',
  'redirect_url',
  'created_at',
  'updated_at',
  'credentials_obtained_at',
  'access_expires_at',
  'refresh_lease_owner',
  'refresh_lease_expires_at',
  'next_refresh_at',
  'confirmation_hash',
  'identity_id',
  'identity_login',
  'identity_email',
  'identity_name',
  'requested_scopes',
  'granted_scopes',
  'skip_validation',
] as const satisfies readonly (keyof NewConnectedAccountRow)[];
type InsertedColumn = (typeof INSERTED_COLUMNS)[number];
const INSERTED = new Set<string>(INSERTED_COLUMNS);
/** Columns whose default is not NULL (as in the migrations): a row that leaves them out gets these. */
const NOT_NULL_DEFAULTS: Partial<Record<InsertedColumn, number>> = { skip_validation: 0 };

const insertAccount = preparedQuery((db, param: Param<Record<InsertedColumn, string | number | null>>) =>
  db.insertInto('connected_accounts').values(Object.fromEntries(INSERTED_COLUMNS.map((column) => [column, param(column)])) as unknown as NewConnectedAccountRow),
);

export async function insertConnectedAccount(db: Executor, row: NewConnectedAccountRow, labels: readonly string[]): Promise<void> {
  if (Object.keys(row).every((column) => INSERTED.has(column))) {
    // A column the row leaves out gets its default: the same row as Kysely's own insert.
    const values = {} as Record<InsertedColumn, string | number | null>;
    for (const column of INSERTED_COLUMNS) values[column] = (row[column] as string | number | null | undefined) ?? NOT_NULL_DEFAULTS[column] ?? null;
    await insertAccount.execute(db, values);
  } else {
    await db.insertInto('connected_accounts').values(row).execute();
  }
  // A new account has no labels to replace.
  const unique = [...new Set(labels)];
  if (unique.length > 0) {
    await db
      .insertInto('connected_account_labels')
      .values(unique.map((label) => ({ connected_account_id: row.id, label })))
      .execute();
  }
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

/**
 * The account columns a credential read, a proxied call and a refresh use. Only these are read on
 * those paths: building a row object costs per column (22 columns cost twice what 6 do).
 */
const CREDENTIAL_COLUMNS = [
  'a.id',
  'a.project_id',
  'a.integration_id',
  'a.app',
  'a.auth_scheme',
  'a.status',
  'a.status_reason',
  'a.data',
  'a.credentials_ciphertext',
  'a.credentials_version',
  'a.credentials_obtained_at',
  'a.access_expires_at',
  'a.refresh_failures',
  'a.next_refresh_at',
] as const;

type Unprefixed<T> = T extends `a.${infer Column}` ? Column : never;

/** What a credential read knows of its account (see CREDENTIAL_COLUMNS). */
export type AccountCredentialsRow = Pick<ConnectedAccountRow, Unprefixed<(typeof CREDENTIAL_COLUMNS)[number]> & keyof ConnectedAccountRow>;

/** The integration's columns, renamed so that they do not collide with the account's. */
const INTEGRATION_COLUMNS = [
  'i.id as i_id',
  'i.project_id as i_project_id',
  'i.app as i_app',
  'i.name as i_name',
  'i.auth_scheme as i_auth_scheme',
  'i.client_id as i_client_id',
  'i.client_secret_ciphertext as i_client_secret_ciphertext',
  'i.scopes as i_scopes',
  'i.config as i_config',
  'i.created_at as i_created_at',
  'i.updated_at as i_updated_at',
  'i.metadata_refreshed_at as i_metadata_refreshed_at',
] as const;

const accountWithIntegration = preparedQuery((db, param: Param<{ projectId: string; id: string }>) =>
  db
    .selectFrom('connected_accounts as a')
    // Same project on both sides: an account can never reach another tenant's integration.
    .leftJoin('integrations as i', (join) => join.onRef('i.id', '=', 'a.integration_id').onRef('i.project_id', '=', 'a.project_id'))
    .select(CREDENTIAL_COLUMNS)
    .select(INTEGRATION_COLUMNS)
    .where('a.project_id', '=', param('projectId'))
    .where('a.id', '=', param('id')),
);

/**
 * An account and its integration in one statement: every credential read and proxied call needs
 * both, and one lookup instead of two is most of what such a request costs. `integration` is
 * undefined only if the integration row is gone.
 */
export async function findAccountWithIntegration(
  db: Executor,
  projectId: string,
  id: string,
): Promise<{ account: AccountCredentialsRow; integration: IntegrationRow | undefined } | undefined> {
  const [row] = (await accountWithIntegration.execute(db, { projectId, id })).rows;
  if (!row) return undefined;
  // Field by field: an object rest of the joined row is several times slower, on every request.
  const account: AccountCredentialsRow = {
    id: row.id,
    project_id: row.project_id,
    integration_id: row.integration_id,
    app: row.app,
    auth_scheme: row.auth_scheme,
    status: row.status,
    status_reason: row.status_reason,
    data: row.data,
    credentials_ciphertext: row.credentials_ciphertext,
    credentials_version: row.credentials_version,
    credentials_obtained_at: row.credentials_obtained_at,
    access_expires_at: row.access_expires_at,
    refresh_failures: row.refresh_failures,
    next_refresh_at: row.next_refresh_at,
  };
  if (row.i_id === null) return { account, integration: undefined };
  return {
    account,
    integration: {
      id: row.i_id,
      project_id: row.i_project_id as string,
      app: row.i_app as string,
      name: row.i_name as string,
      auth_scheme: row.i_auth_scheme as string,
      client_id: row.i_client_id,
      client_secret_ciphertext: row.i_client_secret_ciphertext,
      scopes: row.i_scopes as string,
      config: row.i_config as string,
      created_at: row.i_created_at as string,
      updated_at: row.i_updated_at as string,
      metadata_refreshed_at: row.i_metadata_refreshed_at,
    },
  };
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
