import { sql, SqliteAdapter, type CreateTableBuilder, type Kysely } from 'kysely';

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
  if (db.getExecutor().adapter instanceof SqliteAdapter) await rebuildAuditEvents(db, 'clustered');
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    await rebuildAuditEvents(db, 'heap');
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

const AUDIT_COLUMNS = ['id', 'project_id', 'at', 'actor', 'action', 'target_type', 'target_id', 'outcome', 'detail'] as const;

/**
 * SQLite cannot change a table's primary key in place: a new table, the rows copied, the old one
 * dropped. `clustered` keys it by (project, id) WITHOUT ROWID (up); `heap` is 0003's table (down).
 */
async function rebuildAuditEvents(db: Kysely<unknown>, layout: 'clustered' | 'heap'): Promise<void> {
  const name = `audit_events_${layout}`;
  let table: CreateTableBuilder<string, string> = db.schema.createTable(name);
  for (const column of AUDIT_COLUMNS) {
    table = table.addColumn(column, 'text', (c) => (column === 'id' && layout === 'heap' ? c.primaryKey() : column === 'target_id' ? c : c.notNull()));
  }
  if (layout === 'clustered') table = table.addPrimaryKeyConstraint('audit_events_pk', ['project_id', 'id']).modifyEnd(sql`without rowid`);
  await table.execute();
  const columns = sql.join(AUDIT_COLUMNS.map((column) => sql.ref(column)));
  await sql`insert into ${sql.table(name)} (${columns}) select ${columns} from audit_events`.execute(db);
  await db.schema.dropTable('audit_events').execute();
  await db.schema.alterTable(name).renameTo('audit_events').execute();
}
