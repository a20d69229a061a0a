import { sql, SqliteAdapter, type Kysely } from 'kysely';

/**
 * Fewer B-trees touched per write, the cost every connection and every audited read pays:
 * - the identity indexes hold only accounts whose identity is known (an INITIATED account, and
 *   every account of a provider that tells nothing, touched three indexes for nothing), and the
 *   refresh sweep's index only accounts whose token expires (not API keys, not INITIATED ones).
 *   Queries compare these columns with `=` or `<`, which lets both databases use partial indexes;
 * - on SQLite, audit events live in one B-tree keyed by (project, id) — the order they are listed
 *   in — instead of a table, its primary-key index and a (project, id) index: a third of the
 *   work per event. PostgreSQL keeps its table and index (it has no clustered tables).
 */
const IDENTITY_COLUMNS = ['identity_login', 'identity_email', 'identity_id'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of IDENTITY_COLUMNS) {
    const index = `connected_accounts_${column}`;
    await db.schema.dropIndex(index).execute();
    await db.schema.createIndex(index).on('connected_accounts').columns(['project_id', column]).where(sql.ref(column), 'is not', null).execute();
  }
  await db.schema.dropIndex('connected_accounts_refresh_due').execute();
  await db.schema
    .createIndex('connected_accounts_refresh_due')
    .on('connected_accounts')
    .columns(['status', 'access_expires_at'])
    .where(sql.ref('access_expires_at'), 'is not', null)
    .execute();
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    await db.schema
      .createTable('audit_events_clustered')
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target_type', 'text', (c) => c.notNull())
      .addColumn('target_id', 'text')
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('audit_events_pk', ['project_id', 'id'])
      .modifyEnd(sql`without rowid`)
      .execute();
    await sql`insert into audit_events_clustered (id, project_id, at, actor, action, target_type, target_id, outcome, detail)
      select id, project_id, at, actor, action, target_type, target_id, outcome, detail from audit_events`.execute(db);
    await db.schema.dropTable('audit_events').execute();
    await db.schema.alterTable('audit_events_clustered').renameTo('audit_events').execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    await db.schema
      .createTable('audit_events_heap')
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
    await sql`insert into audit_events_heap select id, project_id, at, actor, action, target_type, target_id, outcome, detail from audit_events`.execute(db);
    await db.schema.dropTable('audit_events').execute();
    await db.schema.alterTable('audit_events_heap').renameTo('audit_events').execute();
    await db.schema.createIndex('audit_events_project').on('audit_events').columns(['project_id', 'id']).execute();
  }
  await db.schema.dropIndex('connected_accounts_refresh_due').execute();
  await db.schema.createIndex('connected_accounts_refresh_due').on('connected_accounts').columns(['status', 'access_expires_at']).execute();
  for (const column of IDENTITY_COLUMNS) {
    const index = `connected_accounts_${column}`;
    await db.schema.dropIndex(index).execute();
    await db.schema.createIndex(index).on('connected_accounts').columns(['project_id', column]).execute();
  }
}
