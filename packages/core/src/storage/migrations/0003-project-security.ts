import type { Kysely } from 'kysely';

/**
 * Per-project security settings (redirect allow-list, binding the callback to the browser that
 * started the flow, an optional confirmation by the initiator's server) and the audit log.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('projects').addColumn('allowed_redirect_urls', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('projects').addColumn('require_same_browser', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('projects').addColumn('confirmation_url', 'text').execute();
  await db.schema.alterTable('oauth_states').addColumn('browser_binding_hash', 'text').execute();
  await db.schema.alterTable('connect_links').addColumn('browser_binding_hash', 'text').execute();
  await db.schema.alterTable('connected_accounts').addColumn('confirmation_hash', 'text').execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_events_project').on('audit_events').columns(['project_id', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_events').execute();
  await db.schema.alterTable('connected_accounts').dropColumn('confirmation_hash').execute();
  await db.schema.alterTable('connect_links').dropColumn('browser_binding_hash').execute();
  await db.schema.alterTable('oauth_states').dropColumn('browser_binding_hash').execute();
  await db.schema.alterTable('projects').dropColumn('confirmation_url').execute();
  await db.schema.alterTable('projects').dropColumn('require_same_browser').execute();
  await db.schema.alterTable('projects').dropColumn('allowed_redirect_urls').execute();
}
