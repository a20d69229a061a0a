import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase, type Database } from '@authlink/core';
import { consumeConnectLink, consumeOAuthState, insertConnectLink, insertOAuthState } from '../src/storage/repositories/connect-flow-repository.js';
import { insertAuditEvents, listAuditEvents } from '../src/storage/repositories/audit-repository.js';
import {
  deleteConnectedAccountRow,
  findAccountWithIntegration,
  insertConnectedAccount,
  listConnectedAccounts,
  transitionConnectedAccount,
} from '../src/storage/repositories/connected-account-repository.js';
import { deleteEntityRow, ensureEntity } from '../src/storage/repositories/entity-repository.js';
import { insertIntegration } from '../src/storage/repositories/integration-repository.js';
import { insertProject } from '../src/storage/repositories/project-repository.js';
import { acquireRefreshLease, releaseRefreshLease, writeRefreshedCredentials } from '../src/storage/repositories/refresh-lease-repository.js';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from './support/test-databases.js';

/**
 * The storage contract every database must meet. The vitest config runs this file on SQLite and
 * again on PostgreSQL; on PostgreSQL the concurrent cases really run on parallel connections.
 */
let database: TestDatabase;
let db: Kysely<Database>;
const T0 = '2026-01-01T00:00:00.000Z';

/** The integration every account here belongs to: as inserted, and as a joined lookup must give it back. */
const INTEGRATION = {
  id: 'int_000000001aaaaaaaaaaaaaaaaaaaa',
  project_id: 'p1',
  app: 'openai',
  name: 'openai',
  auth_scheme: 'API_KEY',
  client_id: null,
  client_secret_ciphertext: null,
  scopes: '[]',
  config: '{}',
  created_at: T0,
  updated_at: T0,
  metadata_refreshed_at: null,
};
let seq = 0;

function id(prefix: string): string {
  seq += 1;
  return `${prefix}_${String(seq).padStart(9, '0')}${'a'.repeat(20)}`;
}

async function account(options: { entity?: string; labels?: string[]; status?: string } = {}): Promise<string> {
  const accountId = id('ca');
  const entity = options.entity ?? 'default';
  await ensureEntity(db, 'p1', entity, T0);
  await insertConnectedAccount(
    db,
    {
      id: accountId,
      project_id: 'p1',
      entity_id: entity,
      integration_id: 'int_000000001aaaaaaaaaaaaaaaaaaaa',
      app: 'openai',
      auth_scheme: 'API_KEY',
      status: options.status ?? 'ACTIVE',
      status_reason: null,
      data: '{}',
      credentials_ciphertext: 'v1.x.y.z',
      redirect_url: null,
      created_at: T0,
      updated_at: T0,
    },
    options.labels ?? [],
  );
  return accountId;
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = openDatabase(database.url);
  await migrateToLatest(db as unknown as Kysely<unknown>);
  await insertProject(db, { id: 'p1', name: 'p1', created_at: T0 });
  await insertIntegration(db, INTEGRATION);
});

afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

describe(`storage conformance (${testDatabaseKind()})`, () => {
  it('migrates idempotently: a second run applies nothing', async () => {
    expect(await migrateToLatest(db as unknown as Kysely<unknown>)).toEqual([]);
  });

  it('lets exactly one of 20 concurrent callers consume a connect link', async () => {
    const accountId = await account({ status: 'INITIATED' });
    await insertConnectLink(db, { tokenHash: 'link-hash-1', projectId: 'p1', connectedAccountId: accountId, expiresAt: '2026-01-02T00:00:00.000Z' }, T0);
    const results = await Promise.all(Array.from({ length: 20 }, () => consumeConnectLink(db, 'link-hash-1', '2026-01-01T01:00:00.000Z')));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('refuses an expired link and an expired state', async () => {
    const accountId = await account({ status: 'INITIATED' });
    await insertConnectLink(db, { tokenHash: 'link-hash-old', projectId: 'p1', connectedAccountId: accountId, expiresAt: '2026-01-01T00:10:00.000Z' }, T0);
    expect(await consumeConnectLink(db, 'link-hash-old', '2026-01-01T00:10:00.000Z')).toBe(false);
    await insertOAuthState(
      db,
      { stateHash: 'state-old', projectId: 'p1', connectedAccountId: accountId, pendingCiphertext: 'c', expiresAt: '2026-01-01T00:10:00.000Z', browserBindingHash: null },
      T0,
    );
    expect(await consumeOAuthState(db, 'state-old', '2026-01-01T00:10:00.001Z')).toBeUndefined();
  });

  it('hands an OAuth state to exactly one of 20 concurrent callbacks', async () => {
    const accountId = await account({ status: 'INITIATED' });
    await insertOAuthState(
      db,
      { stateHash: 'state-1', projectId: 'p1', connectedAccountId: accountId, pendingCiphertext: 'c', expiresAt: '2026-01-02T00:00:00.000Z', browserBindingHash: null },
      T0,
    );
    const results = await Promise.all(Array.from({ length: 20 }, () => consumeOAuthState(db, 'state-1', '2026-01-01T01:00:00.000Z')));
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
  });

  it('grants the refresh lease to one of 20 owners, fences stale writers, and lets an expired lease be taken over', async () => {
    const accountId = await account();
    const now = '2026-01-01T01:00:00.000Z';
    const until = '2026-01-01T01:00:30.000Z';
    const grants = await Promise.all(Array.from({ length: 20 }, (_, i) => acquireRefreshLease(db, accountId, `owner-${i}`, now, until)));
    const winners = grants.map((version, i) => ({ version, owner: `owner-${i}` })).filter((g) => g.version !== undefined);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;

    // A process whose lease ran out is taken over; its late write is dropped.
    const later = '2026-01-01T01:00:31.000Z';
    const takeover = await acquireRefreshLease(db, accountId, 'owner-new', later, '2026-01-01T01:01:01.000Z');
    expect(takeover).toBe(winner.version);
    expect(await writeRefreshedCredentials(db, accountId, 'owner-new', takeover!, { credentials_ciphertext: 'new' })).toBe(true);
    expect(await writeRefreshedCredentials(db, accountId, winner.owner, winner.version!, { credentials_ciphertext: 'stale' })).toBe(false);
    const row = await db.selectFrom('connected_accounts').select(['credentials_ciphertext', 'credentials_version', 'refresh_lease_owner']).where('id', '=', accountId).executeTakeFirstOrThrow();
    expect(row).toEqual({ credentials_ciphertext: 'new', credentials_version: winner.version! + 1, refresh_lease_owner: null });

    // Only the holder can give a lease back.
    const laterUntil = '2026-01-01T01:01:01.000Z';
    expect(await acquireRefreshLease(db, accountId, 'owner-x', later, laterUntil)).toBeDefined();
    await releaseRefreshLease(db, accountId, 'someone-else');
    expect(await acquireRefreshLease(db, accountId, 'owner-y', later, laterUntil)).toBeUndefined();
    await releaseRefreshLease(db, accountId, 'owner-x');
    expect(await acquireRefreshLease(db, accountId, 'owner-y', later, laterUntil)).toBeDefined();
  });

  it('moves a status only from the states it names (compare-and-set)', async () => {
    const accountId = await account({ status: 'INITIATED' });
    const moves = await Promise.all(
      Array.from({ length: 10 }, (_, i) => transitionConnectedAccount(db, 'p1', accountId, ['INITIATED'], { status: i % 2 === 0 ? 'ACTIVE' : 'FAILED' })),
    );
    expect(moves.filter(Boolean)).toHaveLength(1);
    expect(await transitionConnectedAccount(db, 'p2', accountId, ['ACTIVE', 'FAILED'], { status: 'INACTIVE' })).toBe(false);
  });

  it('filters by every label, pages newest first without gaps, and keeps projects apart', async () => {
    const ids = [];
    for (let i = 0; i < 7; i += 1) ids.push(await account({ entity: 'pager', labels: i % 2 === 0 ? ['even', 'all'] : ['all'] }));
    const even = await listConnectedAccounts(db, 'p1', { entityId: 'pager', labels: ['even', 'all'], limit: 50 });
    expect(even.items.map((a) => a.id)).toEqual(ids.filter((_, i) => i % 2 === 0).reverse());
    expect(even.items[0]?.labels).toEqual(['all', 'even']);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listConnectedAccounts(db, 'p1', { entityId: 'pager', limit: 3, cursor });
      seen.push(...page.items.map((a) => a.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(seen).toEqual([...ids].reverse());
    expect((await listConnectedAccounts(db, 'p2', { limit: 50 })).items).toEqual([]);
  });

  it('filters on any of several entities and statuses, and an empty list matches nothing', async () => {
    const a = await account({ entity: 'any-a', status: 'ACTIVE' });
    const b = await account({ entity: 'any-b', status: 'INACTIVE' });
    await account({ entity: 'any-b', status: 'FAILED' });
    await account({ entity: 'any-c', status: 'ACTIVE' });
    const both = await listConnectedAccounts(db, 'p1', { entityIds: ['any-a', 'any-b'], statuses: ['ACTIVE', 'INACTIVE'], limit: 50 });
    expect(both.items.map((x) => x.id)).toEqual([b, a]);
    expect((await listConnectedAccounts(db, 'p1', { entityIds: ['any-a'], statuses: [], limit: 50 })).items).toEqual([]);
    expect((await listConnectedAccounts(db, 'p1', { entityIds: [], limit: 50 })).items).toEqual([]);
    expect((await listConnectedAccounts(db, 'p2', { entityIds: ['any-a'], limit: 50 })).items).toEqual([]);
  });

  it('erases an entity with its accounts, labels, links and states in one statement', async () => {
    const accountId = await account({ entity: 'leaving', labels: ['x'], status: 'INITIATED' });
    await insertConnectLink(db, { tokenHash: 'link-leaving', projectId: 'p1', connectedAccountId: accountId, expiresAt: '2026-01-02T00:00:00.000Z' }, T0);
    expect(await deleteEntityRow(db, 'p1', 'leaving')).toBe(true);
    expect(await db.selectFrom('connected_accounts').select('id').where('id', '=', accountId).execute()).toEqual([]);
    expect(await db.selectFrom('connected_account_labels').select('label').where('connected_account_id', '=', accountId).execute()).toEqual([]);
    expect(await db.selectFrom('connect_links').select('token_hash').where('token_hash', '=', 'link-leaving').execute()).toEqual([]);
    expect(await deleteConnectedAccountRow(db, 'p1', accountId)).toBe(false);
  });

  it('reads an account with its integration in one lookup, and never across projects', async () => {
    const accountId = await account();
    const found = await findAccountWithIntegration(db, 'p1', accountId);
    expect(found?.account).toMatchObject({ id: accountId, project_id: 'p1', integration_id: 'int_000000001aaaaaaaaaaaaaaaaaaaa', credentials_ciphertext: 'v1.x.y.z' });
    expect(found?.integration).toEqual(INTEGRATION);
    expect(await findAccountWithIntegration(db, 'p2', accountId)).toBeUndefined();
    expect(await findAccountWithIntegration(db, 'p1', 'ca_none')).toBeUndefined();
  });

  it('inserts an account with the columns it names and the defaults of the rest, through either insert', async () => {
    const prepared = await account({ labels: ['b', 'a', 'b'] });
    const row = await db.selectFrom('connected_accounts').selectAll().where('id', '=', prepared).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status_reason: null, redirect_url: null, credentials_obtained_at: null, confirmation_hash: null, credentials_version: 0, refresh_failures: 0, skip_validation: 0, identity_email: null, granted_scopes: null });
    const labels = await db.selectFrom('connected_account_labels').select('label').where('connected_account_id', '=', prepared).orderBy('label').execute();
    expect(labels.map((l) => l.label)).toEqual(['a', 'b']);

    // A column outside the prepared statement (here the version) goes through Kysely's own insert.
    const dynamic = id('ca');
    await insertConnectedAccount(db, { ...row, id: dynamic, credentials_version: 5 }, []);
    const copy = await db.selectFrom('connected_accounts').selectAll().where('id', '=', dynamic).executeTakeFirstOrThrow();
    expect(copy).toEqual({ ...row, id: dynamic, credentials_version: 5 });
  });

  it('writes a batch of audit events larger than one INSERT, every field intact', async () => {
    const rows = Array.from({ length: 150 }, (_, i) => ({
      id: `evt_${String(i).padStart(9, '0')}${'b'.repeat(20)}`,
      project_id: 'p1',
      at: T0,
      actor: 'key:k1',
      action: 'credentials.read',
      target_type: 'connected_account',
      target_id: i % 2 === 0 ? `ca_${i}` : null,
      outcome: 'success',
      detail: JSON.stringify({ i }),
    }));
    await insertAuditEvents(db, rows);
    await insertAuditEvents(db, []);
    const page = await listAuditEvents(db, 'p1', { limit: 200 });
    expect(page.items).toEqual([...rows].reverse());
  });

  it('rolls back every write of a failed transaction', async () => {
    const before = await db.selectFrom('entities').select('id').where('project_id', '=', 'p1').execute();
    await expect(
      db.transaction().execute(async (trx) => {
        await ensureEntity(trx, 'p1', 'half-written', T0);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.selectFrom('entities').select('id').where('project_id', '=', 'p1').execute()).toEqual(before);
  });
});
