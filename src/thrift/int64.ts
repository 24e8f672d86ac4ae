import type { I64 } from './types';

// Hex ids and bigint tag values → the two 32-bit words writers consume. One mutable scratch value
// is reused: writers read it synchronously inside writeI64, so nothing is allocated per id.

interface MutableI64 {
  hi: number;
  lo: number;
}

const scratch: MutableI64 = { hi: 0, lo: 0 };

// Digit values by char code (non-hex characters count as 0; ids are validated at the edges).
const HEX = new Uint8Array(128);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

/** The hex digits in [from, to), at most 8 of them, as one 32-bit word; from may be negative. */
function hexWord(hex: string, from: number, to: number): number {
  let v = 0;
  for (let i = from < 0 ? 0 : from; i < to; i++) v = (v << 4) | HEX[hex.charCodeAt(i) & 0x7f];
  return v;
}

// Exactly 8 digits from `i`, unrolled: the common case (every canonical id), ~3x the loop's speed.
function hexWord8(s: string, i: number): number {
  return (HEX[s.charCodeAt(i) & 0x7f] << 28) | (HEX[s.charCodeAt(i + 1) & 0x7f] << 24)
    | (HEX[s.charCodeAt(i + 2) & 0x7f] << 20) | (HEX[s.charCodeAt(i + 3) & 0x7f] << 16)
    | (HEX[s.charCodeAt(i + 4) & 0x7f] << 12) | (HEX[s.charCodeAt(i + 5) & 0x7f] << 8)
    | (HEX[s.charCodeAt(i + 6) & 0x7f] << 4) | HEX[s.charCodeAt(i + 7) & 0x7f];
}

/**
 * The 64-bit value of the (up to) 16 hex digits that end at `end` in `hex`; 0 when end ≤ 0.
 * Returns a shared scratch value, valid until the next call.
 */
export function hexToI64(hex: string, end: number): I64 {
  if (end >= 16) {
    scratch.hi = hexWord8(hex, end - 16);
    scratch.lo = hexWord8(hex, end - 8);
  } else if (end <= 0) {
    scratch.hi = 0;
    scratch.lo = 0;
  } else {
    scratch.lo = hexWord(hex, end - 8, end);
    scratch.hi = end > 8 ? hexWord(hex, end - 16, end - 8) : 0;
  }
  return scratch;
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** The signed 64-bit words of `v`, or undefined when it does not fit. Shared scratch, as above. */
export function bigintToI64(v: bigint): I64 | undefined {
  if (v < I64_MIN || v > I64_MAX) return undefined;
  scratch.hi = Number(BigInt.asIntN(32, v >> 32n));
  scratch.lo = Number(BigInt.asIntN(32, v));
  return scratch;
}
