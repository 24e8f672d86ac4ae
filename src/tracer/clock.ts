import { performance } from 'node:perf_hooks';

// Wall-clock microseconds with sub-millisecond resolution: Date.now() alone gives whole
// milliseconds, which collapses short spans to zero. performance.timeOrigin can sit a millisecond
// or two off the wall clock, differently in each process, which skews the client and server spans
// of one trace against each other. So the origin is taken at the instant Date.now() ticks over:
// every process on a machine then agrees to within microseconds.
const origin = ((): number => {
  const fallback = Date.now() - performance.now();
  let prevWall = Date.now();
  let prevPerf = performance.now();
  const start = prevPerf;
  // Bounded by time and by count: fake timers (a frozen Date.now or performance.now) must not hang us.
  for (let i = 0; i < 1_000_000; i++) {
    const wall = Date.now();
    const perf = performance.now();
    if (perf - start > 5) break;
    if (wall !== prevWall) {
      // The tick fell between the two reads; trust it only when they were close (no preemption).
      if (perf - prevPerf < 0.05) return wall - (perf + prevPerf) / 2;
      prevWall = wall;
    }
    prevPerf = perf;
  }
  return fallback;
})();

/** Microseconds since the epoch (fractional). */
export function nowMicros(): number {
  return (origin + performance.now()) * 1000;
}
