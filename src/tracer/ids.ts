import { randomFillSync } from 'node:crypto';

// One crypto call costs ~2.5 µs, so ids are cut from a pooled buffer refilled every POOL_IDS ids.
const POOL_IDS = 512;
const pool = Buffer.allocUnsafe(POOL_IDS * 8);
let offset = pool.length;

/** A random non-zero 64-bit id as 16 lowercase hex digits. */
export function randomId64(): string {
  for (;;) {
    if (offset >= pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    const id = pool.toString('hex', offset, offset + 8);
    offset += 8;
    if (id !== '0000000000000000') return id;
  }
}

/** A random trace id: 16 hex digits, or 32 when 128-bit ids are on. */
export function randomTraceId(use128bit: boolean): string {
  return use128bit ? randomId64() + randomId64() : randomId64();
}

/** Re-seed after fork-like events so two processes never share pool contents. */
export function resetIdPool(): void {
  offset = pool.length;
}
