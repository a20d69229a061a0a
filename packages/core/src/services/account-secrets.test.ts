import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { Vault } from '../vault/vault.js';
import { AccountSecrets } from './account-secrets.js';

describe('AccountSecrets.openCredentials', () => {
  it('decrypts a ciphertext once while the row holds it, and again once the row holds another', () => {
    const vault = new Vault(randomBytes(32));
    const secrets = new AccountSecrets(vault);
    const decrypt = vi.spyOn(vault, 'decryptJson');
    const first = secrets.sealCredentials('ca_1', { accessToken: 'old' });
    expect(secrets.openCredentials('ca_1', first)).toEqual({ accessToken: 'old' });
    expect(secrets.openCredentials('ca_1', first)).toEqual({ accessToken: 'old' });
    expect(decrypt).toHaveBeenCalledTimes(1);

    // A refresh (here, in any process) writes a new ciphertext: never the old answer for it.
    const refreshed = secrets.sealCredentials('ca_1', { accessToken: 'new' });
    expect(secrets.openCredentials('ca_1', refreshed)).toEqual({ accessToken: 'new' });
    expect(decrypt).toHaveBeenCalledTimes(2);
    // Even the same plaintext sealed again is a new ciphertext (fresh nonce), decrypted anew.
    expect(secrets.openCredentials('ca_1', secrets.sealCredentials('ca_1', { accessToken: 'new' }))).toEqual({ accessToken: 'new' });
    expect(decrypt).toHaveBeenCalledTimes(3);
  });

  it('keeps accounts apart: a ciphertext copied to another row does not decrypt there', () => {
    const secrets = new AccountSecrets(new Vault(randomBytes(32)));
    const sealed = secrets.sealCredentials('ca_1', { apiKey: 'k' });
    expect(secrets.openCredentials('ca_1', sealed)).toEqual({ apiKey: 'k' });
    expect(() => secrets.openCredentials('ca_2', sealed)).toThrow(/does not authenticate/);
  });

  it('hands out frozen credentials, so no caller can change what the next one gets', () => {
    const secrets = new AccountSecrets(new Vault(randomBytes(32)));
    const sealed = secrets.sealCredentials('ca_1', { apiKey: 'k', nested: { a: 1 } });
    const opened = secrets.openCredentials('ca_1', sealed);
    expect(Object.isFrozen(opened)).toBe(true);
    expect(Object.isFrozen(opened.nested)).toBe(true);
    expect(() => {
      (opened as Record<string, unknown>).apiKey = 'other';
    }).toThrow(TypeError);
  });
});

describe('AccountSecrets initiation data', () => {
  it('stores nothing when the initiator supplied nothing, and reads that back as no fields', () => {
    const secrets = new AccountSecrets(new Vault(randomBytes(32)));
    expect(secrets.sealInitiation('ca_1', {})).toBeNull();
    expect(secrets.openInitiation('ca_1', null)).toEqual({});
    const sealed = secrets.sealInitiation('ca_1', { shop: 'acme' });
    expect(sealed).not.toContain('acme');
    expect(secrets.openInitiation('ca_1', sealed)).toEqual({ shop: 'acme' });
  });
});
