import { createHash, randomBytes, randomFillSync } from 'node:crypto';

/**
 * Time-ordered identifiers: a base36 millisecond timestamp then 80 random bits, so that sorting
 * by id sorts by creation and cursors can be plain ids.
 */
export function newId(prefix: string, now: Date = new Date()): string {
  const time = now.getTime().toString(36).padStart(9, '0');
  return `${prefix}_${time}${idRandomness(10)}`;
}

// Ids are made on hot paths (an audit event per credential read); one system call per 4 KiB of
// randomness instead of one per id. Ids need uniqueness, not secrecy: tokens use randomToken.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function idRandomness(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/** An unguessable token (256 bits) for links, states and API keys. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Tokens are stored only as hashes so that a database dump does not hand out live links or keys.
 * SHA-256 is enough: the inputs carry 256 bits of entropy, there is nothing to brute-force.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
