import { deepFreeze } from '../deep-freeze.js';
import type { Credentials } from '../model.js';
import type { Vault } from '../vault/vault.js';
import { ChangeKeyedCache } from './change-keyed-cache.js';
import { credentialTimes } from './credential-freshness.js';

/**
 * The two things an account's ciphertext column can hold, each bound to its own purpose so one
 * can never be read as the other: what the initiator supplied while the account is INITIATED,
 * and the credentials once it is ACTIVE.
 */
export class AccountSecrets {
  readonly #vault: Vault;
  /** Decrypted credentials per account, stamped with the ciphertext they came from. */
  readonly #opened = new ChangeKeyedCache<Credentials, string>();

  constructor(vault: Vault) {
    this.#vault = vault;
  }

  sealCredentials(accountId: string, credentials: Credentials): string {
    return this.#vault.encryptJson(credentials, { table: 'connected_accounts', rowId: accountId, purpose: 'credentials' });
  }

  /** The columns every credential write sets: the ciphertext and its (non-secret) times. */
  credentialColumns(accountId: string, credentials: Credentials, now: Date) {
    const times = credentialTimes(credentials, now);
    return {
      credentials_ciphertext: this.sealCredentials(accountId, credentials),
      credentials_obtained_at: times.obtainedAt,
      access_expires_at: times.expiresAt,
    };
  }

  /**
   * The decrypted credentials of an account row, frozen. Every credential read and proxied call
   * decrypts, so the last result per account is kept briefly — keyed by the exact ciphertext just
   * read from the row. Decryption is a pure function of (key, ciphertext, row id, purpose), so a
   * hit is what decrypting would return; any write of the credentials (refresh, re-initiation, key
   * rotation, in this process or another) stores a new ciphertext with a fresh nonce and misses.
   * A deleted account is never looked up here (its row is not found first); its entry ages out.
   */
  openCredentials(accountId: string, ciphertext: string): Credentials {
    const hit = this.#opened.get(accountId, ciphertext);
    if (hit !== undefined) return hit;
    const credentials = deepFreeze(this.#vault.decryptJson<Credentials>(ciphertext, { table: 'connected_accounts', rowId: accountId, purpose: 'credentials' }));
    this.#opened.set(accountId, ciphertext, credentials);
    return credentials;
  }

  /** What the initiator supplied, sealed; nothing supplied (most OAuth flows) is nothing stored: no ciphertext to make or read. */
  sealInitiation(accountId: string, data: Readonly<Record<string, string>>): string | null {
    if (Object.keys(data).length === 0) return null;
    return this.#vault.encryptJson(data, { table: 'connected_accounts', rowId: accountId, purpose: 'initiation' });
  }

  openInitiation(accountId: string, ciphertext: string | null): Record<string, string> {
    if (ciphertext === null) return {};
    return this.#vault.decryptJson<Record<string, string>>(ciphertext, { table: 'connected_accounts', rowId: accountId, purpose: 'initiation' });
  }

  sealPending(stateHash: string, pending: Readonly<Record<string, string>>): string {
    return this.#vault.encryptJson(pending, { table: 'oauth_states', rowId: stateHash, purpose: 'pending' });
  }

  openPending(stateHash: string, ciphertext: string): Record<string, string> {
    return this.#vault.decryptJson<Record<string, string>>(ciphertext, { table: 'oauth_states', rowId: stateHash, purpose: 'pending' });
  }
}
