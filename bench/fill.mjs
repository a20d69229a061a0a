// Fills a stopped authlink's SQLite database with connected accounts, fast: one prepared INSERT,
// large transactions, straight through better-sqlite3. Every row is a copy of one real account
// (created through the API, so every column is what the app writes) with its own id, its own
// entity and its credentials encrypted again for that id — the vault binds a ciphertext to its
// row id (AES-GCM associated data), so a copied ciphertext would not decrypt. Every filler account
// is therefore a real, readable ACTIVE account.
//
// Usage: node bench/fill.mjs --db PATH --key BASE64 --template ACCOUNT_ID --count N --sample K --ids-out FILE
//   --count    total accounts wanted in the table (the template included)
//   --sample   how many account ids (chosen uniformly at random) to write to --ids-out as JSON
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { Vault, newId } from '@authlink/core';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    key: { type: 'string' },
    template: { type: 'string' },
    count: { type: 'string' },
    sample: { type: 'string', default: '100000' },
    'ids-out': { type: 'string' },
    'accounts-per-entity': { type: 'string', default: '10' },
  },
});
for (const name of ['db', 'key', 'template', 'count', 'ids-out']) {
  if (values[name] === undefined) {
    process.stderr.write(`fill: --${name} is required\n`);
    process.exit(2);
  }
}

const total = Number(values.count);
const sampleSize = Number(values.sample);
const perEntity = Number(values['accounts-per-entity']);
const vault = new Vault(Buffer.from(values.key, 'base64'));
const context = (rowId) => ({ table: 'connected_accounts', rowId, purpose: 'credentials' });

const db = new Database(values.db);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = OFF'); // a filler that dies is simply run again
db.pragma('cache_size = -262144'); // 256 MiB while inserting
db.pragma('foreign_keys = ON');

const template = db.prepare('SELECT * FROM connected_accounts WHERE id = ?').get(values.template);
if (!template) {
  process.stderr.write(`fill: no connected account ${values.template}\n`);
  process.exit(1);
}
if (template.status !== 'ACTIVE' || template.credentials_ciphertext === null) {
  process.stderr.write('fill: the template account must be ACTIVE with credentials\n');
  process.exit(1);
}
// Proves the key is the server's: the template's credentials must decrypt with it.
const credentials = vault.decryptJson(template.credentials_ciphertext, context(template.id));

const existing = db.prepare('SELECT count(*) AS n FROM connected_accounts').get().n;
const toInsert = Math.max(0, total - existing);

const columns = Object.keys(template);
const insertAccount = db.prepare(`INSERT INTO connected_accounts (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
const insertEntity = db.prepare('INSERT OR IGNORE INTO entities (project_id, id, created_at) VALUES (?, ?, ?)');

// Reservoir sample of the ids a load generator will read (the template included).
const sample = [template.id];
let seen = 1;
const keep = (id) => {
  seen += 1;
  if (sample.length < sampleSize) sample.push(id);
  else {
    const slot = Math.floor(Math.random() * seen);
    if (slot < sampleSize) sample[slot] = id;
  }
};

const started = performance.now();
const oldest = Date.now() - toInsert * 1000; // accounts created about one a second, up to now
const BATCH = 100_000;
const insertBatch = db.transaction((from, to) => {
  for (let i = from; i < to; i += 1) {
    const created = new Date(oldest + i * 1000);
    const id = newId('ca', created);
    const entityId = `bench-user-${Math.floor(i / perEntity)}`;
    const at = created.toISOString();
    if (i % perEntity === 0) insertEntity.run(template.project_id, entityId, at);
    insertAccount.run({
      ...template,
      id,
      entity_id: entityId,
      credentials_ciphertext: vault.encryptJson(credentials, context(id)),
      created_at: at,
      updated_at: at,
      credentials_obtained_at: template.credentials_obtained_at === null ? null : at,
    });
    keep(id);
  }
});
for (let from = 0; from < toInsert; from += BATCH) {
  insertBatch(from, Math.min(toInsert, from + BATCH));
  if (toInsert > BATCH) process.stderr.write(`\rfill: ${Math.min(toInsert, from + BATCH)}/${toInsert} accounts`);
}
if (toInsert > BATCH) process.stderr.write('\n');
db.pragma('wal_checkpoint(TRUNCATE)');
const count = db.prepare('SELECT count(*) AS n FROM connected_accounts').get().n;
db.close();

writeFileSync(values['ids-out'], JSON.stringify(sample));
process.stdout.write(`${JSON.stringify({ accounts: count, inserted: toInsert, seconds: (performance.now() - started) / 1000, sampled: sample.length })}\n`);
