import { randomFillSync } from 'node:crypto';

// One crypto call costs ~2.5 µs, so ids are cut from a pooled buffer refilled every POOL_IDS ids.
const POOL_IDS = 512;
const pool = Buffer.allocUnsafe(POOL_IDS * 8);
let offset = pool.length;

// Char codes of the hex digits. String.fromCharCode over 16 codes builds the flat id string in
// JS at about a third of the cost of Buffer#toString('hex', …), which crosses into C++ per id.
const HEX = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/** A random non-zero 64-bit id as 16 lowercase hex digits. */
export function randomId64(): string {
  for (;;) {
    if (offset >= pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    const p = pool;
    const o = offset;
    offset += 8;
    const id = String.fromCharCode(
      HEX[p[o] >> 4], HEX[p[o] & 15], HEX[p[o + 1] >> 4], HEX[p[o + 1] & 15],
      HEX[p[o + 2] >> 4], HEX[p[o + 2] & 15], HEX[p[o + 3] >> 4], HEX[p[o + 3] & 15],
      HEX[p[o + 4] >> 4], HEX[p[o + 4] & 15], HEX[p[o + 5] >> 4], HEX[p[o + 5] & 15],
      HEX[p[o + 6] >> 4], HEX[p[o + 6] & 15], HEX[p[o + 7] >> 4], HEX[p[o + 7] & 15],
    );
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
