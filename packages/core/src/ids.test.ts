import { describe, expect, it } from 'vitest';
import { newId, randomToken, secureRandomBytes } from './ids.js';

describe('randomness', () => {
  it('hands out bytes of the length asked, never the same twice, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i += 1) {
      const bytes = secureRandomBytes(12 + (i % 30));
      expect(bytes.length).toBe(12 + (i % 30));
      seen.add(bytes.toString('hex'));
    }
    expect(seen.size).toBe(2000);
    expect(secureRandomBytes(10_000).length).toBe(10_000);
  });

  it('gives returned buffers of their own: changing one changes no later one', () => {
    const first = secureRandomBytes(32);
    first.fill(0);
    expect(secureRandomBytes(32).equals(Buffer.alloc(32))).toBe(false);
  });

  it('makes 256-bit tokens and time-ordered ids', () => {
    expect(Buffer.from(randomToken(), 'base64url')).toHaveLength(32);
    const a = newId('ca', new Date(1));
    const b = newId('ca', new Date(2));
    expect(a < b).toBe(true);
    expect(a).toMatch(/^ca_[0-9a-z]{9}[0-9a-f]{20}$/);
  });
});
