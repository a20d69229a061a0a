import type { Kysely } from 'kysely';

/**
 * Who a connection belongs to at the provider (its non-secret identity, filterable), which scopes
 * were asked for and granted, whether the initiator waived the credential check, and when an
 * issuer's metadata was last read.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of ['identity_id', 'identity_login', 'identity_email', 'identity_name', 'requested_scopes', 'granted_scopes']) {
    await db.schema.alterTable('connected_accounts').addColumn(column, 'text').execute();
  }
  await db.schema.alterTable('connected_accounts').addColumn('skip_validation', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('connected_accounts_identity_login').on('connected_accounts').columns(['project_id', 'identity_login']).execute();
  await db.schema.createIndex('connected_accounts_identity_email').on('connected_accounts').columns(['project_id', 'identity_email']).execute();
  await db.schema.createIndex('connected_accounts_identity_id').on('connected_accounts').columns(['project_id', 'identity_id']).execute();
  await db.schema.alterTable('integrations').addColumn('metadata_refreshed_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('integrations').dropColumn('metadata_refreshed_at').execute();
  for (const index of ['connected_accounts_identity_id', 'connected_accounts_identity_email', 'connected_accounts_identity_login']) {
    await db.schema.dropIndex(index).execute();
  }
  for (const column of ['skip_validation', 'granted_scopes', 'requested_scopes', 'identity_name', 'identity_email', 'identity_login', 'identity_id']) {
    await db.schema.alterTable('connected_accounts').dropColumn(column).execute();
  }
}
