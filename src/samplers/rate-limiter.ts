import { performance } from 'node:perf_hooks';

/** Milliseconds from a monotonic clock, so wall-clock jumps neither flood nor starve the bucket. */
const monotonicMs = (): number => performance.now();

/** A finite rate or balance, with anything negative, infinite or not a number taken as 0. */
export function nonNegativeRate(value: number): number {
  return typeof value === 'number' && value > 0 && value !== Infinity ? value : 0;
}

/**
 * A token bucket: credits accrue at `creditsPerSecond` up to `maxBalance`, and each
 * `checkCredit(cost)` spends `cost` if the balance covers it. `now` returns milliseconds and is
 * injectable so tests can drive time by hand.
 */
export class RateLimiter {
  #creditsPerSecond: number;
  #maxBalance: number;
  #balance: number;
  #lastTick: number;
  readonly #now: () => number;

  constructor(creditsPerSecond: number, maxBalance: number, now: () => number = monotonicMs) {
    this.#creditsPerSecond = nonNegativeRate(creditsPerSecond);
    this.#maxBalance = nonNegativeRate(maxBalance);
    // Start with one credit: the first item passes at once and deterministically, where a random or
    // empty bucket could hold a quiet service's first trace back for up to 1/rate seconds. A full
    // bucket would instead let every process burst maxBalance items at start-up. Rate 0 means never.
    this.#balance = this.#creditsPerSecond > 0 ? Math.min(1, this.#maxBalance) : 0;
    this.#now = now;
    this.#lastTick = now();
  }

  get creditsPerSecond(): number {
    return this.#creditsPerSecond;
  }

  get maxBalance(): number {
    return this.#maxBalance;
  }

  /** The balance as of now, without spending anything. */
  get balance(): number {
    const elapsed = Math.max(0, this.#now() - this.#lastTick);
    return Math.min(this.#maxBalance, this.#balance + (elapsed / 1000) * this.#creditsPerSecond);
  }

  /** Spends `cost` credits and returns true when the balance covers it; otherwise spends nothing. */
  checkCredit(cost: number): boolean {
    this.#accrue();
    if (this.#balance < cost) return false;
    this.#balance -= cost;
    return true;
  }

  /** Changes the rate and cap; the balance keeps its proportion of the cap. */
  update(creditsPerSecond: number, maxBalance: number): void {
    this.#accrue();
    const newMax = nonNegativeRate(maxBalance);
    this.#balance = this.#maxBalance > 0 ? (this.#balance * newMax) / this.#maxBalance : 0;
    this.#maxBalance = newMax;
    this.#creditsPerSecond = nonNegativeRate(creditsPerSecond);
  }

  #accrue(): void {
    const now = this.#now();
    // A clock that steps back (only possible with an injected one) accrues nothing until it has
    // passed the last tick again, so no interval is credited twice.
    if (now <= this.#lastTick) return;
    const elapsed = now - this.#lastTick;
    this.#lastTick = now;
    this.#balance = Math.min(this.#maxBalance, this.#balance + (elapsed / 1000) * this.#creditsPerSecond);
  }
}
