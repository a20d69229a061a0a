import type { Executor } from '../storage/executor.js';
import { VaultError, type SecretContext, type Vault } from '../vault/vault.js';

/** Every column that holds vault output, with how to rebuild each row's context. */
interface CipherColumn {
  table: 'integrations' | 'connected_accounts' | 'oauth_states';
  column: 'client_secret_ciphertext' | 'credentials_ciphertext' | 'pending_ciphertext';
  key: 'id' | 'state_hash';
  /** A row's context; several when a column's purpose depends on the row's state. */
  contexts: (rowId: string) => SecretContext[];
}

const COLUMNS: readonly CipherColumn[] = [
  { table: 'integrations', column: 'client_secret_ciphertext', key: 'id', contexts: (rowId) => [{ table: 'integrations', rowId, purpose: 'client_secret' }] },
  {
    table: 'connected_accounts',
    column: 'credentials_ciphertext',
    key: 'id',
    // INITIATED accounts hold what the initiator supplied, or credentials awaiting confirmation.
    contexts: (rowId) => [
      { table: 'connected_accounts', rowId, purpose: 'credentials' },
      { table: 'connected_accounts', rowId, purpose: 'initiation' },
    ],
  },
  { table: 'oauth_states', column: 'pending_ciphertext', key: 'state_hash', contexts: (rowId) => [{ table: 'oauth_states', rowId, purpose: 'pending' }] },
];

export function keyIdOfCiphertext(ciphertext: string): string {
  return ciphertext.split('.')[1] ?? 'unknown';
}

export interface KeyStatus {
  currentKeyId: string;
  /** Ciphertexts per key id, over every encrypted column. */
  ciphertextsByKey: Record<string, number>;
}

export interface RotationProgress {
  done: number;
  total: number;
}

/**
 * Re-encrypts every secret under the vault's current key, in small batches. Each row is
 * rewritten only if it still holds the ciphertext that was read (compare-and-set), so writes
 * made meanwhile by other processes are never overwritten; such rows are simply read again.
 * Readers keep working throughout: every process holds both keys until the old one has no
 * ciphertext left.
 */
export class KeyRotation {
  readonly #db: Executor;
  readonly #vault: Vault;

  constructor(db: Executor, vault: Vault) {
    this.#db = db;
    this.#vault = vault;
  }

  async status(): Promise<KeyStatus> {
    const counts: Record<string, number> = {};
    for (const { table, column } of COLUMNS) {
      const rows = await this.#db.selectFrom(table).select(column).where(column, 'is not', null).execute();
      for (const row of rows as Array<Record<string, string | null>>) {
        const keyId = keyIdOfCiphertext(row[column] ?? '');
        counts[keyId] = (counts[keyId] ?? 0) + 1;
      }
    }
    return { currentKeyId: this.#vault.currentKeyId, ciphertextsByKey: counts };
  }

  async rotate(options: { batchSize?: number; onProgress?: (progress: RotationProgress) => void } = {}): Promise<{ rewritten: number }> {
    const batchSize = options.batchSize ?? 200;
    const current = `v1.${this.#vault.currentKeyId}.`;
    const before = await this.status();
    const total = Object.entries(before.ciphertextsByKey).reduce((sum, [keyId, n]) => (keyId === this.#vault.currentKeyId ? sum : sum + n), 0);
    let rewritten = 0;
    for (const spec of COLUMNS) {
      for (;;) {
        const rows = (await this.#db
          .selectFrom(spec.table)
          .select([spec.key, spec.column])
          .where(spec.column, 'is not', null)
          .where(spec.column, 'not like', `${current}%`)
          .limit(batchSize)
          .execute()) as Array<Record<string, string>>;
        if (rows.length === 0) break;
        let progressed = 0;
        for (const row of rows) {
          const rowId = row[spec.key] ?? '';
          const old = row[spec.column] ?? '';
          const next = this.#reencrypt(old, spec.contexts(rowId));
          const result = await this.#db
            .updateTable(spec.table)
            .set({ [spec.column]: next })
            .where(spec.key, '=', rowId)
            .where(spec.column, '=', old)
            .executeTakeFirst();
          if (result.numUpdatedRows === 1n) {
            rewritten += 1;
            progressed += 1;
          }
        }
        options.onProgress?.({ done: rewritten, total });
        // Rows changed under us were rewritten by their writers with the current key, or will be read again.
        if (progressed === 0 && rows.length < batchSize) break;
      }
    }
    return { rewritten };
  }

  #reencrypt(ciphertext: string, contexts: SecretContext[]): string {
    for (const context of contexts) {
      try {
        return this.#vault.encrypt(this.#vault.decrypt(ciphertext, context), context);
      } catch (error) {
        if (!(error instanceof VaultError)) throw error;
      }
    }
    throw new VaultError(`a ciphertext in ${contexts[0]?.table ?? '?'} cannot be decrypted with any configured key`);
  }
}
