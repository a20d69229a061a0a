import type { Credentials } from '../model.js';
import type { Vault } from '../vault/vault.js';
import { credentialTimes } from './credential-freshness.js';

/**
 * The two things an account's ciphertext column can hold, each bound to its own purpose so one
 * can never be read as the other: what the initiator supplied while the account is INITIATED,
 * and the credentials once it is ACTIVE.
 */
export class AccountSecrets {
  readonly #vault: Vault;
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

  openCredentials(accountId: string, ciphertext: string): Credentials {
    return this.#vault.decryptJson<Credentials>(ciphertext, { table: 'connected_accounts', rowId: accountId, purpose: 'credentials' });
  }

  sealInitiation(accountId: string, data: Readonly<Record<string, string>>): string {
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
