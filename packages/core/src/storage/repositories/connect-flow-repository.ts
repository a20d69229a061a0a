import type { Executor } from '../executor.js';
import { preparedQuery, type Param } from '../prepared-query.js';

export interface ConnectLinkRecord {
  tokenHash: string;
  projectId: string;
  connectedAccountId: string;
  expiresAt: string;
}

const insertLink = preparedQuery((db, param: Param<ConnectLinkRecord & { now: string }>) =>
  db.insertInto('connect_links').values({
    token_hash: param('tokenHash'),
    project_id: param('projectId'),
    connected_account_id: param('connectedAccountId'),
    expires_at: param('expiresAt'),
    used_at: null,
    created_at: param('now'),
  }),
);

export async function insertConnectLink(db: Executor, link: ConnectLinkRecord, now: string): Promise<void> {
  await insertLink.execute(db, { ...link, now });
}

/** A link that is still usable: not used, not expired. */
export async function findUsableConnectLink(db: Executor, tokenHash: string, now: string): Promise<ConnectLinkRecord | undefined> {
  const row = await db
    .selectFrom('connect_links')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row && { tokenHash: row.token_hash, projectId: row.project_id, connectedAccountId: row.connected_account_id, expiresAt: row.expires_at };
}

/** Marks a link used; false when someone else used it first or it expired meanwhile. */
export async function consumeConnectLink(db: Executor, tokenHash: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable('connect_links')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export interface OAuthStateRecord {
  stateHash: string;
  projectId: string;
  connectedAccountId: string;
  pendingCiphertext: string;
  expiresAt: string;
  /** Hash of the cookie of the browser that started the flow, when the project binds flows. */
  browserBindingHash: string | null;
}

export async function insertOAuthState(db: Executor, state: OAuthStateRecord, now: string): Promise<void> {
  await db
    .insertInto('oauth_states')
    .values({
      state_hash: state.stateHash,
      project_id: state.projectId,
      connected_account_id: state.connectedAccountId,
      pending_ciphertext: state.pendingCiphertext,
      browser_binding_hash: state.browserBindingHash,
      expires_at: state.expiresAt,
      used_at: null,
      created_at: now,
    })
    .execute();
}

/**
 * Takes a state for the callback: succeeds once per state, before it expires. The row is
 * returned only to the caller whose update marked it used.
 */
export async function consumeOAuthState(db: Executor, stateHash: string, now: string): Promise<OAuthStateRecord | undefined> {
  const result = await db
    .updateTable('oauth_states')
    .set({ used_at: now })
    .where('state_hash', '=', stateHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (result.numUpdatedRows !== 1n) return undefined;
  const row = await db.selectFrom('oauth_states').selectAll().where('state_hash', '=', stateHash).executeTakeFirstOrThrow();
  return {
    stateHash: row.state_hash,
    projectId: row.project_id,
    connectedAccountId: row.connected_account_id,
    pendingCiphertext: row.pending_ciphertext,
    browserBindingHash: row.browser_binding_hash,
    expiresAt: row.expires_at,
  };
}

/** Re-initiating an account invalidates every link and state issued for it before. */
export async function revokeConnectFlows(db: Executor, connectedAccountId: string, now: string): Promise<void> {
  await db.updateTable('connect_links').set({ used_at: now }).where('connected_account_id', '=', connectedAccountId).where('used_at', 'is', null).execute();
  await db.updateTable('oauth_states').set({ used_at: now }).where('connected_account_id', '=', connectedAccountId).where('used_at', 'is', null).execute();
}
