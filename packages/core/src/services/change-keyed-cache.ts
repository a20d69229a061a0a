/**
 * Values read from the database, each kept with the change count (storage/change-counter.ts) seen
 * before it was read: a hit needs the count unchanged, so any write since — in this process or,
 * from the next event-loop turn, in another — is a miss. Bounded in size (oldest out first) and in
 * age: entries may hold decrypted secrets, which should not outlive a minute in memory.
 */
export class ChangeKeyedCache<V> {
  readonly #entries = new Map<string, { count: number; until: number; value: V }>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;

  constructor(maxEntries = 10_000, ttlMs = 60_000) {
    this.#maxEntries = maxEntries;
    this.#ttlMs = ttlMs;
  }

  get(key: string, count: number): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.count === count && entry.until > Date.now()) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  set(key: string, count: number, value: V): void {
    if (!this.#entries.has(key) && this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(key, { count, until: Date.now() + this.#ttlMs, value });
  }

  get size(): number {
    return this.#entries.size;
  }
}
