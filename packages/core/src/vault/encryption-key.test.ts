import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EncryptionKeyError, KEY_FILE_NAME, loadOrCreateKeyFile, parseEncryptionKey } from './encryption-key.js';
import { Vault } from './vault.js';

function errorOf(action: () => unknown): EncryptionKeyError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(EncryptionKeyError);
    return error as EncryptionKeyError;
  }
  throw new Error('expected an EncryptionKeyError');
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('parseEncryptionKey', () => {
  const key = randomBytes(32);

  it('accepts the base64 of 32 bytes (what `openssl rand -base64 32` prints)', () => {
    const text = key.toString('base64');
    expect(text).toHaveLength(44);
    expect(parseEncryptionKey(text).equals(key)).toBe(true);
  });

  it('accepts base64url of 32 bytes, with or without padding', () => {
    expect(parseEncryptionKey(key.toString('base64url')).equals(key)).toBe(true);
    expect(parseEncryptionKey(`${key.toString('base64url')}=`).equals(key)).toBe(true);
  });

  it('ignores surrounding whitespace and a trailing newline, as a key file or env var may carry', () => {
    expect(parseEncryptionKey(`  ${key.toString('base64')}\n`).equals(key)).toBe(true);
    expect(parseEncryptionKey(`${key.toString('base64')}\r\n`).equals(key)).toBe(true);
  });

  it('accepts every 32-byte key in both alphabets (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const buffer = Buffer.from(bytes);
        expect(parseEncryptionKey(buffer.toString('base64')).equals(buffer)).toBe(true);
        expect(parseEncryptionKey(buffer.toString('base64url')).equals(buffer)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it.each([0, 1, 16, 24, 31, 33, 48, 64])('rejects the base64 of %i bytes, naming AUTHLINK_ENCRYPTION_KEY and the length', (length) => {
    const text = length === 0 ? 'AA==' : randomBytes(length).toString('base64');
    const error = errorOf(() => parseEncryptionKey(text));
    expect(error.message).toContain('AUTHLINK_ENCRYPTION_KEY');
    expect(error.message).toMatch(/32 bytes/);
    expect(error.message).toContain(`got ${length === 0 ? 1 : length}`);
  });

  it('rejects a 64-character hex key (openssl rand -hex 32) as the wrong length', () => {
    const error = errorOf(() => parseEncryptionKey(randomBytes(32).toString('hex')));
    expect(error.message).toContain('AUTHLINK_ENCRYPTION_KEY');
    expect(error.message).toContain('got 48');
  });

  it.each([
    ['an empty string', ''],
    ['only whitespace', '   '],
    ['a passphrase with spaces', 'correct horse battery staple'],
    ['a string with punctuation', 'my-secret-key!'],
    ['padding in the middle', `${'A'.repeat(20)}=${'A'.repeat(23)}`],
    ['too much padding', `${'A'.repeat(41)}===`],
    ['a non-ASCII character', `${'A'.repeat(42)}é=`],
    ['an inner newline', `${'A'.repeat(22)}\n${'A'.repeat(21)}=`],
  ])('rejects %s as not base64, naming AUTHLINK_ENCRYPTION_KEY', (_name, text) => {
    const error = errorOf(() => parseEncryptionKey(text));
    expect(error.message).toContain('AUTHLINK_ENCRYPTION_KEY');
    expect(error.name).toBe('EncryptionKeyError');
  });

  it('never echoes the rejected value in its message', () => {
    const wrong = randomBytes(31).toString('base64');
    expect(errorOf(() => parseEncryptionKey(wrong)).message).not.toContain(wrong);
    const passphrase = 'hunter2 is my password';
    expect(errorOf(() => parseEncryptionKey(passphrase)).message).not.toContain(passphrase);
  });

  it('names the source it was given instead of the variable when asked', () => {
    expect(errorOf(() => parseEncryptionKey('short', '/data/encryption.key')).message).toContain('/data/encryption.key');
  });

  it('gives a key the vault accepts', () => {
    const vault = new Vault(parseEncryptionKey(key.toString('base64')));
    const context = { table: 't', rowId: 'r', purpose: 'p' };
    expect(vault.decrypt(vault.encrypt('secret', context), context)).toBe('secret');
  });
});

describe('loadOrCreateKeyFile', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'authlink-key-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a 32-byte key in a file only the owner can read or write', () => {
    const { key, path, created } = loadOrCreateKeyFile(dir);
    expect(created).toBe(true);
    expect(path).toBe(join(dir, KEY_FILE_NAME));
    expect(key).toHaveLength(32);
    expect(modeOf(path)).toBe(0o600);
    expect(parseEncryptionKey(readFileSync(path, 'utf8')).equals(key)).toBe(true);
  });

  it('creates the data directory (owner-only) when it does not exist', () => {
    const nested = join(dir, 'a', 'b');
    const { path, created } = loadOrCreateKeyFile(nested);
    expect(created).toBe(true);
    expect(existsSync(path)).toBe(true);
    expect(modeOf(nested)).toBe(0o700);
    expect(modeOf(path)).toBe(0o600);
  });

  it('returns the same key on the second call without rewriting the file', () => {
    const first = loadOrCreateKeyFile(dir);
    const contents = readFileSync(first.path, 'utf8');
    const second = loadOrCreateKeyFile(dir);
    expect(second.created).toBe(false);
    expect(second.path).toBe(first.path);
    expect(second.key.equals(first.key)).toBe(true);
    expect(readFileSync(first.path, 'utf8')).toBe(contents);
    // What one start encrypted, the next start decrypts.
    const context = { table: 't', rowId: 'r', purpose: 'p' };
    expect(new Vault(second.key).decrypt(new Vault(first.key).encrypt('kept', context), context)).toBe('kept');
  });

  it.each([0o644, 0o640, 0o604, 0o666, 0o660])('tightens an existing key file with mode %o to 0600 and keeps its key', (mode) => {
    const key = randomBytes(32);
    const path = join(dir, KEY_FILE_NAME);
    writeFileSync(path, `${key.toString('base64')}\n`);
    chmodSync(path, mode);
    expect(modeOf(path)).toBe(mode);
    const loaded = loadOrCreateKeyFile(dir);
    expect(loaded.created).toBe(false);
    expect(loaded.key.equals(key)).toBe(true);
    expect(modeOf(path)).toBe(0o600);
  });

  it('leaves an already owner-only file (0400) as it is', () => {
    const key = randomBytes(32);
    const path = join(dir, KEY_FILE_NAME);
    writeFileSync(path, key.toString('base64'));
    chmodSync(path, 0o400);
    expect(loadOrCreateKeyFile(dir).key.equals(key)).toBe(true);
    expect(modeOf(path)).toBe(0o400);
  });

  it('refuses a corrupt key file, naming the file, and does not replace it', () => {
    const path = join(dir, KEY_FILE_NAME);
    writeFileSync(path, 'not a key at all\n', { mode: 0o600 });
    const error = errorOf(() => loadOrCreateKeyFile(dir));
    expect(error.message).toContain(path);
    expect(readFileSync(path, 'utf8')).toBe('not a key at all\n');
  });

  it('refuses a key file holding the wrong number of bytes', () => {
    const path = join(dir, KEY_FILE_NAME);
    writeFileSync(path, randomBytes(16).toString('base64'), { mode: 0o600 });
    expect(errorOf(() => loadOrCreateKeyFile(dir)).message).toContain('got 16');
  });

  it('creates different keys in different data directories', () => {
    const other = mkdtempSync(join(tmpdir(), 'authlink-key-'));
    try {
      expect(loadOrCreateKeyFile(dir).key.equals(loadOrCreateKeyFile(other).key)).toBe(false);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
