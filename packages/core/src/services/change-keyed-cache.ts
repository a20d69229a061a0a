/**
 * Values read from the database, each kept with a stamp of what it was read from: a change count
 * (storage/change-counter.ts) taken before the read, or the ciphertext it was decrypted from. A hit
 * needs the same stamp, so any write since — which moves the count, or stores a new ciphertext —
 * is a miss. Bounded in size (oldest out first) and in age: entries may hold decrypted secrets,
 * which should not outlive a minute in memory.
 */
export class ChangeKeyedCache<V, S extends number | string = number> {
  readonly #entries = new Map<string, { stamp: S; until: number; value: V }>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;

  constructor(maxEntries = 10_000, ttlMs = 60_000) {
    this.#maxEntries = maxEntries;
    this.#ttlMs = ttlMs;
  }

  get(key: string, stamp: S): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.stamp === stamp && entry.until > Date.now()) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  set(key: string, stamp: S, value: V): void {
    if (!this.#entries.has(key) && this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(key, { stamp, until: Date.now() + this.#ttlMs, value });
  }

  get size(): number {
    return this.#entries.size;
  }
}
