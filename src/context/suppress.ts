// Our own reporting traffic must never become a span. Until the loader's scope manager exists this
// only marks the call sites; the loader issue makes it suppress instrumentation for `fn`'s duration.

/** Runs `fn` so that nothing it does is traced. */
export function runUntraced<T>(fn: () => T): T {
  return fn();
}
