/**
 * Counts failed API-key attempts per client address in fixed windows. Past the limit, the
 * address is refused (429) until the window ends, whatever key it sends: guessing keys costs
 * time. Kept in memory per process; behind a load balancer each node limits on its own.
 */
export class FailedAuthLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #failures = new Map<string, { count: number; resetAt: number }>();

  constructor(max: number, windowMs: number) {
    this.#max = max;
    this.#windowMs = windowMs;
  }

  /** Seconds until the address may try again, or 0 when it may try now. */
  blockedFor(address: string, now = Date.now()): number {
    const entry = this.#failures.get(address);
    if (!entry || entry.resetAt <= now) return 0;
    return entry.count >= this.#max ? Math.ceil((entry.resetAt - now) / 1000) : 0;
  }

  recordFailure(address: string, now = Date.now()): void {
    const entry = this.#failures.get(address);
    if (!entry || entry.resetAt <= now) {
      if (this.#failures.size > 50_000) this.#evictExpired(now);
      this.#failures.set(address, { count: 1, resetAt: now + this.#windowMs });
    } else {
      entry.count += 1;
    }
  }

  #evictExpired(now: number): void {
    for (const [address, entry] of this.#failures) if (entry.resetAt <= now) this.#failures.delete(address);
  }
}
