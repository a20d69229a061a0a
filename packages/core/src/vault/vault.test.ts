import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyIdOf, Vault, VaultError, type SecretContext } from './vault.js';

const KEY_A = Buffer.alloc(32, 0xa1);
const KEY_B = Buffer.alloc(32, 0xb2);
const CONTEXT: SecretContext = { table: 'connected_accounts', rowId: 'ca_0001abc', purpose: 'credentials' };
const SECRET = 'sk-live-the-users-secret-key';

/** The parts of `v1.<keyId>.<nonce>.<body>`. */
function partsOf(ciphertext: string) {
  const [format, keyId, nonce, body, ...rest] = ciphertext.split('.');
  return { format, keyId, nonce, body, rest };
}

function expectVaultError(action: () => unknown): VaultError {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(VaultError);
  expect((caught as VaultError).code).toBe('VAULT_DECRYPT_FAILED');
  return caught as VaultError;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Eight replacements for a character: neighbours in the alphabet (near and far) and non-alphabet ones. */
function nearby(original: string, position: number): string[] {
  const at = Math.max(BASE64URL.indexOf(original), 0);
  const shifts = [1, 2, 3, 17 + (position % 13), 32, 63];
  const fromAlphabet = shifts.map((shift) => BASE64URL[(at + shift) % BASE64URL.length]!);
  return [...new Set([...fromAlphabet, '.', '=', '!', ' '])].filter((char) => char !== original);
}

describe('Vault', () => {
  it('decrypts what it encrypted, in text and in JSON', () => {
    const vault = new Vault(KEY_A);
    expect(vault.decrypt(vault.encrypt(SECRET, CONTEXT), CONTEXT)).toBe(SECRET);
    expect(vault.decrypt(vault.encrypt('', CONTEXT), CONTEXT)).toBe('');
    const value = { accessToken: 'at', refreshToken: 'rt', expiresAt: '2030-01-01T00:00:00.000Z', nested: { n: 1, list: [true, null] } };
    expect(vault.decryptJson(vault.encryptJson(value, CONTEXT), CONTEXT)).toEqual(value);
  });

  it('never shows the plaintext in the ciphertext', () => {
    const vault = new Vault(KEY_A);
    const ciphertext = vault.encrypt(SECRET, CONTEXT);
    expect(ciphertext).not.toContain(SECRET);
    expect(ciphertext).not.toContain(Buffer.from(SECRET).toString('base64url'));
  });

  it('produces a different ciphertext each time for the same plaintext (fresh nonce)', () => {
    const vault = new Vault(KEY_A);
    const ciphertexts = Array.from({ length: 50 }, () => vault.encrypt(SECRET, CONTEXT));
    expect(new Set(ciphertexts).size).toBe(50);
    const nonces = ciphertexts.map((c) => partsOf(c).nonce);
    expect(new Set(nonces).size).toBe(50);
    for (const nonce of nonces) expect(Buffer.from(nonce!, 'base64url')).toHaveLength(12);
    for (const ciphertext of ciphertexts) expect(vault.decrypt(ciphertext, CONTEXT)).toBe(SECRET);
  });

  it('names the key that encrypted in the ciphertext, in the v1 format', () => {
    const vault = new Vault(KEY_A);
    const { format, keyId, rest } = partsOf(vault.encrypt(SECRET, CONTEXT));
    expect(format).toBe('v1');
    expect(keyId).toBe(keyIdOf(KEY_A));
    expect(keyId).toBe(vault.currentKeyId);
    expect(keyId).toMatch(/^[0-9a-f]{12}$/);
    expect(rest).toEqual([]);
    // The key id identifies the key without revealing it.
    expect(keyIdOf(KEY_A)).not.toBe(keyIdOf(KEY_B));
    expect(KEY_A.toString('hex')).not.toContain(keyId!);
  });

  it.each([
    ['another row', { ...CONTEXT, rowId: 'ca_0001abd' }],
    ['another table', { ...CONTEXT, table: 'integrations' }],
    ['another purpose', { ...CONTEXT, purpose: 'initiation' }],
    ['an empty row id', { ...CONTEXT, rowId: '' }],
    ['parts shifted across the separator', { table: 'connected_accounts/ca', rowId: '_0001abc', purpose: 'credentials' }],
  ])('refuses to decrypt a ciphertext moved to %s', (_name, context) => {
    const vault = new Vault(KEY_A);
    const ciphertext = vault.encrypt(SECRET, CONTEXT);
    const error = expectVaultError(() => vault.decrypt(ciphertext, context));
    expect(error.message).not.toContain(SECRET);
  });

  it('does not let ("a:b","c") and ("a","b:c") style contexts collide', () => {
    const vault = new Vault(KEY_A);
    const ciphertext = vault.encrypt(SECRET, { table: 'a', rowId: '1:b', purpose: 'c' });
    expectVaultError(() => vault.decrypt(ciphertext, { table: 'a:1', rowId: 'b', purpose: 'c' }));
    expectVaultError(() => vault.decrypt(ciphertext, { table: 'a', rowId: '1', purpose: 'b/c' }));
  });

  it('rejects a ciphertext with any single character changed, at every position', () => {
    const vault = new Vault(KEY_A);
    // 29 bytes of text + 16 of tag = 45 bytes: a whole number of base64 groups, so every
    // character of every part carries data bits (see the next test for the other case).
    const secret = 'sk-live-29-characters-secret!';
    expect(Buffer.byteLength(secret) + 16).toBe(45);
    const ciphertext = vault.encrypt(secret, CONTEXT);
    let tried = 0;
    for (let i = 0; i < ciphertext.length; i += 1) {
      const original = ciphertext[i]!;
      for (const replacement of nearby(original, i)) {
        const tampered = ciphertext.slice(0, i) + replacement + ciphertext.slice(i + 1);
        expectVaultError(() => vault.decrypt(tampered, CONTEXT));
        tried += 1;
      }
    }
    expect(tried).toBeGreaterThanOrEqual(ciphertext.length * 8);
  });

  it('accepts a changed character only when it spells exactly the same bytes', () => {
    // Two spellings decode to the same bytes in Node: '+' and '/' for base64url's '-' and '_', and
    // the unused low bits of a part's last character when its length is not a multiple of 3 bytes.
    // Such a string is the same ciphertext (GCM authenticates every byte), so it may decrypt,
    // but only to the same plaintext; every other change fails.
    const vault = new Vault(KEY_A);
    for (const secret of [SECRET, 'sk-live-29-characters-secret!', 'x']) {
      const ciphertext = vault.encrypt(secret, CONTEXT);
      const original = partsOf(ciphertext);
      const partEnds = new Set([...ciphertext].flatMap((char, index) => (char === '.' ? [index - 1] : [])).concat(ciphertext.length - 1));
      for (let i = 0; i < ciphertext.length; i += 1) {
        // Every alternative for the last character of a part (where unused bits live), and the
        // '+' '/' spellings plus a few neighbours elsewhere.
        const replacements = partEnds.has(i) ? [...`${BASE64URL}+/`] : ['+', '/', ...nearby(ciphertext[i]!, i).slice(0, 4)];
        for (const replacement of replacements) {
          if (replacement === ciphertext[i]) continue;
          const tampered = ciphertext.slice(0, i) + replacement + ciphertext.slice(i + 1);
          const changed = partsOf(tampered);
          const sameBytes =
            changed.format === original.format &&
            changed.keyId === original.keyId &&
            Buffer.from(changed.nonce!, 'base64url').equals(Buffer.from(original.nonce!, 'base64url')) &&
            Buffer.from(changed.body!, 'base64url').equals(Buffer.from(original.body!, 'base64url'));
          if (sameBytes) expect(vault.decrypt(tampered, CONTEXT)).toBe(secret);
          else expectVaultError(() => vault.decrypt(tampered, CONTEXT));
        }
      }
    }
  });

  it.each([
    ['an empty string', ''],
    ['plain text', 'hello'],
    ['another format version', 'v2.abc.def.ghi'],
    ['too many parts', 'v1.a.b.c.d'],
    ['too few parts', 'v1.a.b'],
    ['an unknown key id', `v1.000000000000.${Buffer.alloc(12).toString('base64url')}.${Buffer.alloc(32).toString('base64url')}`],
  ])('rejects %s as not a vault ciphertext', (_name, text) => {
    expectVaultError(() => new Vault(KEY_A).decrypt(text, CONTEXT));
  });

  it('rejects a truncated ciphertext (short nonce or missing tag)', () => {
    const vault = new Vault(KEY_A);
    const { format, keyId, nonce, body } = partsOf(vault.encrypt(SECRET, CONTEXT));
    expectVaultError(() => vault.decrypt([format, keyId, nonce!.slice(0, 8), body].join('.'), CONTEXT));
    expectVaultError(() => vault.decrypt([format, keyId, nonce, body!.slice(0, 8)].join('.'), CONTEXT));
    expectVaultError(() => vault.decrypt([format, keyId, nonce, body!.slice(0, -4)].join('.'), CONTEXT));
  });

  it('cannot be decrypted by a vault that holds a different key', () => {
    const ciphertext = new Vault(KEY_A).encrypt(SECRET, CONTEXT);
    expectVaultError(() => new Vault(KEY_B).decrypt(ciphertext, CONTEXT));
    // Even when the key id is forged to name the other vault's key.
    const { nonce, body } = partsOf(ciphertext);
    expectVaultError(() => new Vault(KEY_B).decrypt(['v1', keyIdOf(KEY_B), nonce, body].join('.'), CONTEXT));
  });

  it('after rotation, reads old ciphertexts with the older key and encrypts with the new key', () => {
    const before = new Vault(KEY_A);
    const old = before.encrypt(SECRET, CONTEXT);
    const rotated = new Vault(KEY_B, [KEY_A]);
    expect(rotated.currentKeyId).toBe(keyIdOf(KEY_B));
    expect(rotated.decrypt(old, CONTEXT)).toBe(SECRET);
    const fresh = rotated.encrypt(SECRET, CONTEXT);
    expect(partsOf(fresh).keyId).toBe(keyIdOf(KEY_B));
    expect(rotated.decrypt(fresh, CONTEXT)).toBe(SECRET);
    // The old vault cannot read what the new key wrote.
    expectVaultError(() => before.decrypt(fresh, CONTEXT));
    // An old ciphertext is still bound to its context under the older key.
    expectVaultError(() => rotated.decrypt(old, { ...CONTEXT, rowId: 'ca_other' }));
  });

  it.each([0, 1, 16, 24, 31, 33, 64])('refuses a %i-byte key, current or older', (length) => {
    expect(() => new Vault(Buffer.alloc(length, 1))).toThrow(VaultError);
    expect(() => new Vault(KEY_A, [Buffer.alloc(length, 1)])).toThrow(VaultError);
    expect(() => new Vault(Buffer.alloc(length, 1))).toThrow(/32 bytes/);
  });

  it('does not keep a reference to the caller’s key buffer', () => {
    const key = randomBytes(32);
    const vault = new Vault(key);
    const ciphertext = vault.encrypt(SECRET, CONTEXT);
    key.fill(0);
    expect(vault.decrypt(ciphertext, CONTEXT)).toBe(SECRET);
  });

  describe('properties', () => {
    const contextArb = fc.record({ table: fc.string({ unit: 'grapheme' }), rowId: fc.string({ unit: 'grapheme' }), purpose: fc.string({ unit: 'grapheme' }) });
    const vault = new Vault(KEY_A, [KEY_B]);

    it('decrypt(encrypt(x)) === x for arbitrary unicode text and contexts', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), contextArb, (plaintext, context) => {
          expect(vault.decrypt(vault.encrypt(plaintext, context), context)).toBe(plaintext);
        }),
        { numRuns: 500 },
      );
    });

    it('round-trips any full-unicode string, including astral characters', () => {
      // Any code point but the surrogates (lone surrogates are not text; UTF-8 cannot carry them).
      const codePoint = fc.oneof(fc.integer({ min: 0, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0x10ffff }));
      fc.assert(
        fc.property(fc.array(codePoint, { maxLength: 100 }), (points) => {
          const text = String.fromCodePoint(...points);
          expect(vault.decrypt(vault.encrypt(text, CONTEXT), CONTEXT)).toBe(text);
        }),
        { numRuns: 200 },
      );
    });

    it('fails for any different context', () => {
      fc.assert(
        fc.property(
          fc.string({ unit: 'grapheme', maxLength: 100 }),
          contextArb,
          contextArb,
          (plaintext, context, other) => {
            fc.pre(context.table !== other.table || context.rowId !== other.rowId || context.purpose !== other.purpose);
            const ciphertext = vault.encrypt(plaintext, context);
            expect(() => vault.decrypt(ciphertext, other)).toThrow(VaultError);
          },
        ),
        { numRuns: 500 },
      );
    });

    it('fails when two parts of the context are swapped', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), contextArb, (plaintext, context) => {
          fc.pre(context.table !== context.rowId);
          const ciphertext = vault.encrypt(plaintext, context);
          expect(() => vault.decrypt(ciphertext, { ...context, table: context.rowId, rowId: context.table })).toThrow(VaultError);
        }),
        { numRuns: 300 },
      );
    });
  });
});
