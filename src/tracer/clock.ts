import { performance } from 'node:perf_hooks';

// Wall-clock microseconds with sub-millisecond resolution: Date.now() alone gives whole
// milliseconds, which collapses short spans to zero. performance.timeOrigin can sit up to a
// millisecond or two off the wall clock, differently in each process, which skews client and server
// spans of one trace against each other. So the origin is taken at the instant Date.now() ticks
// over (a busy wait of at most 1 ms, once, when the tracer loads): every process on a machine then
// agrees to within microseconds.
const origin = ((): number => {
  const start = Date.now();
  let now = start;
  let perf = performance.now();
  while (now === start) {
    perf = performance.now();
    now = Date.now();
  }
  return now - perf;
})();

/** Microseconds since the epoch (fractional). */
export function nowMicros(): number {
  return (origin + performance.now()) * 1000;
}
