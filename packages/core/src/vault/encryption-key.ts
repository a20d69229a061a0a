import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class EncryptionKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptionKeyError';
  }
}

/** Parses `AUTHLINK_ENCRYPTION_KEY`: base64 (or base64url) of exactly 32 bytes. */
export function parseEncryptionKey(text: string, source = 'AUTHLINK_ENCRYPTION_KEY'): Buffer {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw new EncryptionKeyError(`${source} is not base64`);
  const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== 32) {
    throw new EncryptionKeyError(`${source} must be the base64 of 32 bytes (got ${key.length}); generate one with: openssl rand -base64 32`);
  }
  return key;
}

export const KEY_FILE_NAME = 'encryption.key';

/**
 * The embedded default keeps its key in the data directory, readable by the owner only.
 * Returns the key and whether it was created now.
 */
export function loadOrCreateKeyFile(dataDir: string): { key: Buffer; path: string; created: boolean } {
  const path = join(dataDir, KEY_FILE_NAME);
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) chmodSync(path, 0o600);
    return { key: parseEncryptionKey(readFileSync(path, 'utf8'), path), path, created: false };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  // 'wx' refuses to overwrite a key another process wrote a moment ago.
  writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return { key, path, created: true };
}
