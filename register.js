'use strict';
// Preload entry: `node -r jaeger-auto/register app.js`. Tiny on purpose; it must never throw.
try {
  require('./dist/jaeger-auto.js').boot();
} catch (err) {
  try {
    process.stderr.write(`jaeger-auto: tracing disabled, start-up failed: ${err && err.message}\n`);
  } catch {
    // stderr unusable: stay silent rather than break the app.
  }
}
