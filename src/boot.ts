// The preload's orchestrator. The tracer is built after the main module's synchronous top level has
// run (never during the preload or while modules load, the Python client's "no init at import"
// rule), so configuration set by the app at start-up (dotenv) is honoured.
import * as opentracing from 'opentracing';
import { parseEnv } from './config/from-env';
import type { JaegerTracer } from './tracer/tracer';
import { log } from './log';

let tracer: JaegerTracer | undefined;
let booted = false;

/** Builds the tracer from the environment (once) and makes it opentracing's global tracer. */
export function startTracer(): JaegerTracer | undefined {
  if (tracer !== undefined) return tracer;
  try {
    // Loaded late so the preload itself costs next to nothing.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { initTracerFromEnv } = require('./config/build') as typeof import('./config/build');
    tracer = initTracerFromEnv();
    opentracing.initGlobalTracer(tracer);
  } catch (err) {
    log.error('could not create the tracer: %s', (err as Error)?.message);
  }
  return tracer;
}

export function boot(): void {
  if (booted) return;
  booted = true;
  // Only the switch is read now; warnings about other variables come once, when the tracer is built.
  if (parseEnv(process.env, () => {}).disabled) return;
  setImmediate(startTracer).unref();
  // Deliver what is queued when the event loop drains; the flush itself keeps the loop alive briefly.
  process.once('beforeExit', () => {
    tracer?.close().catch(() => {});
  });
}
