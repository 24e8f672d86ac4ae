// Preload entry for ES module apps: `node --import jaeger-auto/register app.mjs`. The same boot as
// `-r` (register.js), told that the ES module loader is in play: it hooks require() and import.
// Tiny on purpose; it must never throw.
import { createRequire } from 'node:module';

try {
  Object.defineProperty(globalThis, Symbol.for('jaeger-auto.import-entry'), { value: true, configurable: true });
  createRequire(import.meta.url)('./register.js');
} catch {
  // register.js reports its own failures; nothing may reach the app from here.
}
