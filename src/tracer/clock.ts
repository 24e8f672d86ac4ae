import { performance } from 'node:perf_hooks';

// Wall-clock microseconds with sub-millisecond resolution: Date.now() alone gives whole
// milliseconds, which collapses short spans to zero.
const origin = performance.timeOrigin;

/** Microseconds since the epoch (fractional). */
export function nowMicros(): number {
  return (origin + performance.now()) * 1000;
}
