import type { Kysely } from 'kysely';

// Written with portable column types only, so the same migration runs on SQLite and PostgreSQL.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('projects')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('key_prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('integrations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('auth_scheme', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text')
    .addColumn('client_secret_ciphertext', 'text')
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('integrations_project_app').on('integrations').columns(['project_id', 'app']).execute();

  await db.schema
    .createTable('entities')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('entities_pk', ['project_id', 'id'])
    .execute();

  await db.schema
    .createTable('connected_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('integration_id', 'text', (c) => c.notNull().references('integrations.id'))
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('auth_scheme', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_reason', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('credentials_ciphertext', 'text')
    .addColumn('redirect_url', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addForeignKeyConstraint('connected_accounts_entity_fk', ['project_id', 'entity_id'], 'entities', ['project_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('connected_accounts_project_entity')
    .on('connected_accounts')
    .columns(['project_id', 'entity_id', 'app'])
    .execute();
  await db.schema.createIndex('connected_accounts_integration').on('connected_accounts').column('integration_id').execute();

  await db.schema
    .createTable('connected_account_labels')
    .addColumn('connected_account_id', 'text', (c) => c.notNull().references('connected_accounts.id').onDelete('cascade'))
    .addColumn('label', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('connected_account_labels_pk', ['connected_account_id', 'label'])
    .execute();
  await db.schema.createIndex('connected_account_labels_label').on('connected_account_labels').column('label').execute();

  await db.schema
    .createTable('connect_links')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('connected_account_id', 'text', (c) => c.notNull().references('connected_accounts.id').onDelete('cascade'))
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('connect_links_account').on('connect_links').column('connected_account_id').execute();

  await db.schema
    .createTable('oauth_states')
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('connected_account_id', 'text', (c) => c.notNull().references('connected_accounts.id').onDelete('cascade'))
    .addColumn('pending_ciphertext', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oauth_states_account').on('oauth_states').column('connected_account_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['oauth_states', 'connect_links', 'connected_account_labels', 'connected_accounts', 'entities', 'integrations', 'api_keys', 'projects']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
