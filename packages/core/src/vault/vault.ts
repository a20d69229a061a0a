import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { secureRandomBytes } from '../ids.js';

/** What a ciphertext is bound to: copying it to another row or purpose makes it undecryptable. */
export interface SecretContext {
  table: string;
  rowId: string;
  purpose: string;
}

export class VaultError extends Error {
  readonly code = 'VAULT_DECRYPT_FAILED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VaultError';
  }
}

const FORMAT = 'v1';
const KEY_BYTES = 32;
// 96-bit nonces are what GCM is specified for (NIST SP 800-38D §8.2); random ones are safe
// far beyond the number of secrets a single key will ever encrypt here.
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A short, non-secret identifier of a key, stored beside each ciphertext it produced. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('authlink key id').update(key).digest('hex').slice(0, 12);
}

function associatedData(context: SecretContext): Buffer {
  // Length-prefixed so that ("a:b", "c") and ("a", "b:c") can never collide.
  const parts = [context.table, context.rowId, context.purpose].map((part) => `${part.length}:${part}`);
  return Buffer.from(`authlink/${FORMAT}/${parts.join('/')}`, 'utf8');
}

/**
 * AES-256-GCM envelope for every secret at rest. The ciphertext string is
 * `v1.<keyId>.<nonce>.<ciphertext||tag>` (base64url parts). Keys are held in a keyring so that
 * older ciphertexts stay readable after a new key becomes the one that encrypts.
 */
export class Vault {
  readonly #keys = new Map<string, Buffer>();
  readonly #currentKeyId: string;

  constructor(currentKey: Buffer, olderKeys: readonly Buffer[] = []) {
    for (const key of [currentKey, ...olderKeys]) {
      if (key.length !== KEY_BYTES) throw new VaultError(`an encryption key must be ${KEY_BYTES} bytes`);
      this.#keys.set(keyIdOf(key), Buffer.from(key));
    }
    this.#currentKeyId = keyIdOf(currentKey);
  }

  get currentKeyId(): string {
    return this.#currentKeyId;
  }

  encrypt(plaintext: string, context: SecretContext): string {
    const key = this.#keys.get(this.#currentKeyId);
    if (!key) throw new VaultError('the current key is missing from the keyring');
    const nonce = secureRandomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [FORMAT, this.#currentKeyId, nonce.toString('base64url'), body.toString('base64url')].join('.');
  }

  decrypt(ciphertext: string, context: SecretContext): string {
    const [format, keyId, nonceText, bodyText, ...rest] = ciphertext.split('.');
    if (format !== FORMAT || !keyId || !nonceText || !bodyText || rest.length > 0) {
      throw new VaultError('not a vault ciphertext');
    }
    const key = this.#keys.get(keyId);
    if (!key) throw new VaultError(`no key with id ${keyId} in the keyring`);
    const nonce = Buffer.from(nonceText, 'base64url');
    const body = Buffer.from(bodyText, 'base64url');
    if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) throw new VaultError('malformed ciphertext');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData(context));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (error) {
      // Deliberately vague: the reason (wrong row, tampering, wrong key) is not for callers.
      throw new VaultError('ciphertext does not authenticate for this context', { cause: error });
    }
  }

  encryptJson(value: unknown, context: SecretContext): string {
    return this.encrypt(JSON.stringify(value), context);
  }

  decryptJson<T>(ciphertext: string, context: SecretContext): T {
    return JSON.parse(this.decrypt(ciphertext, context)) as T;
  }
}
