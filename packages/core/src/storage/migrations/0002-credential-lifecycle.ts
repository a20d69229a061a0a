import type { Kysely } from 'kysely';

/**
 * Columns for keeping credentials fresh: a fencing version bumped by every credential write, the
 * access token's expiry in clear (not secret) so the refresher can find what is due, a lease for
 * "one refresh at a time across processes", and a cool-down after failures.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const columns: Array<[string, 'text' | 'integer', boolean]> = [
    ['credentials_version', 'integer', true],
    ['credentials_obtained_at', 'text', false],
    ['access_expires_at', 'text', false],
    ['refresh_lease_owner', 'text', false],
    ['refresh_lease_expires_at', 'text', false],
    ['refresh_failures', 'integer', true],
    ['next_refresh_at', 'text', false],
  ];
  for (const [name, type, counter] of columns) {
    await db.schema
      .alterTable('connected_accounts')
      .addColumn(name, type, (c) => (counter ? c.notNull().defaultTo(0) : c))
      .execute();
  }
  await db.schema.createIndex('connected_accounts_refresh_due').on('connected_accounts').columns(['status', 'access_expires_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('connected_accounts_refresh_due').execute();
  for (const name of ['next_refresh_at', 'refresh_failures', 'refresh_lease_expires_at', 'refresh_lease_owner', 'access_expires_at', 'credentials_obtained_at', 'credentials_version']) {
    await db.schema.alterTable('connected_accounts').dropColumn(name).execute();
  }
}
