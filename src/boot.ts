// The preload's only orchestrator (`node -r jaeger-auto/register app.js`):
//   1. guards: JAEGER_DISABLED, package managers, JAEGER_WORKER_THREADS (src/process-guard.ts);
//   2. require hooks, installed now (a hook only sees future requires);
//   3. the tracer, built late: after the main module's synchronous top level, or on the first traced
//      call, whichever comes first (the Python client's "no init at import"; config set by the app's
//      top level, e.g. dotenv, is honoured); each process (cluster worker, fork) and each worker
//      thread builds its own;
//   4. shutdown: flush at beforeExit, bounded flush and re-raise on SIGTERM/SIGINT when the app has
//      no handler of its own, synchronous hand-off to the UDP socket on 'exit'.
// Nothing here may throw into the app or change how its process ends. See the README, "Shutdown: what is flushed and what can be lost".
import { loadEnvConfig, parseEnv, type TracerConfig } from './config/from-env';
import { log, setLogLevel } from './log';
import { setAdoptHook, setTracerFactory, getTracer } from './tracer/global';
import type { HookHandle } from './loader/hook';
import type { Reporter } from './reporters/reporter';
import type { JaegerTracer } from './tracer/tracer';

/** Longest a signal is held back while queued spans are flushed. */
export const SIGNAL_FLUSH_MS = 2000;
/** Longest the beforeExit flush keeps the event loop alive. */
export const EXIT_FLUSH_MS = 2000;

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
type Signal = (typeof SIGNALS)[number];

let booted = false;
let hooks: HookHandle | undefined;
/** The thread this copy runs in: a worker's tracer is tagged with it and leaves signals alone. */
let thread = { isMainThread: true, threadId: 0 };

// Shared by every copy of this package in the process (a global install in NODE_OPTIONS plus the
// app's own, or one package reached by two paths): each copy has its own module state, so a
// module-level flag alone would let a second copy hook every module again and double every span.
const BOOTED = Symbol.for('jaeger-auto.booted');

/** Runs once per process, whichever copy of the package comes first; never throws. */
export function boot(): void {
  if (booted) return;
  booted = true;
  try {
    // Silent: only `disabled`, the log level and the instrumentation lists matter now; every warning
    // prints once, when the tracer is built from the environment as it is then.
    const early = parseEnv(process.env, () => {});
    if (early.disabled) return; // no hook, no tracer, no socket, no timer
    setLogLevel(early.logLevel);
    const holder = process as unknown as Record<symbol, string | undefined>;
    const first = holder[BOOTED];
    if (first !== undefined) {
      log.debug('another copy of jaeger-auto (%s) is already active; this one (%s) stays inactive', first, __dirname);
      return;
    }
    Object.defineProperty(holder, BOOTED, { value: __dirname, enumerable: false });
    // Package managers (npm start's own process) and, if turned off, worker threads: nothing at all.
    // Required here, not at the top: loading worker_threads alone costs ~1.4 ms, too much for JAEGER_DISABLED.
    const guard = (require('./process-guard') as typeof import('./process-guard')).notTracedReason(early.workerThreads);
    if (guard.reason !== undefined) {
      log.debug('not tracing: %s', guard.reason);
      return;
    }
    thread = guard.thread;
    const esm = require('./loader/esm-entry') as typeof import('./loader/esm-entry');
    const esmMain = esm.mainUsesEsmLoader();
    installInstrumentations(early, esmMain);
    setTracerFactory(startTracer);
    // A tracer the app builds with Config.initializeTracer() replaces ours; flush it at exit the same way.
    setAdoptHook((tracer) => installShutdown(tracer.reporter));
    // After the main module's synchronous top level. Unref'd: a script that ends before this never
    // pays for a tracer it did not use. An ES module main loads asynchronously, so an immediate set
    // now may come before its first import ran (`import 'dotenv/config'`): there the immediate is
    // set by the first module patched (installInstrumentations), which happens while the loaded
    // graph evaluates in one synchronous run. See the README, "ES modules".
    if (!esmMain) {
      setImmediate(() => {
        if (esm.mainWasMissed()) {
          log.warn('%s is an ES module that jaeger-auto did not recognise at start: its imports are not traced; '
            + 'start it with --import jaeger-auto/register (or give it an .mjs extension)', process.argv[1]);
          return;
        }
        getTracer();
      }).unref();
    }
  } catch (err) {
    log.error('tracing disabled, start-up failed: %s', errorMessage(err));
  }
}

function installInstrumentations(config: TracerConfig, esm: boolean): void {
  try {
    // Lazy: JAEGER_DISABLED must not pay for loading the hook and the instrumentations.
    const { installHooks, hookedModuleNames } = require('./loader/hook') as typeof import('./loader/hook');
    const registry = require('./loader/registry') as typeof import('./loader/registry');
    const { warnPreloaded } = require('./loader/preloaded') as typeof import('./loader/preloaded');
    const selected = registry.selectInstrumentations(
      registry.BUILTIN_INSTRUMENTATIONS, config.instrumentations, config.disabledInstrumentations,
    );
    let scheduled = false;
    // ES module main: build the tracer after the evaluation the first patched module is part of.
    const onPatched = esm ? () => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => { getTracer(); }).unref();
    } : undefined;
    hooks = installHooks(selected, { logger: log, esm, onPatched });
    warnPreloaded(hookedModuleNames(selected), log);
  } catch (err) {
    // Manual spans through the global tracer still work without the hooks.
    log.error('instrumentation disabled, installing the require hook failed: %s', errorMessage(err));
  }
}

/** The tracer factory: builds from JAEGER_* as they are now (once), or undefined to stay quiet. */
function startTracer(): JaegerTracer | undefined {
  try {
    const config = loadEnvConfig(); // configuration warnings print here, once
    if (config.disabled) {
      log.debug('JAEGER_DISABLED set by the application: not tracing');
      return undefined;
    }
    const { createTracer } = require('./config/build') as typeof import('./config/build');
    // A worker thread reports under the process's service name with a client-uuid of its own; the
    // tag says which thread (JAEGER_TAGS may still set it).
    const { THREAD_ID_TAG_KEY } = require('./process-guard') as typeof import('./process-guard');
    const overrides = thread.isMainThread ? {} : { tags: { [THREAD_ID_TAG_KEY]: thread.threadId, ...config.tags } };
    const tracer = createTracer(config, overrides);
    (require('./tracer/opentracing') as typeof import('./tracer/opentracing')).initGlobalTracer(tracer);
    installShutdown(tracer.reporter);
    log.info(
      'tracing %s%s: reporting to %s, sampler %s %s, instrumented: %s',
      tracer.serviceName, thread.isMainThread ? '' : ` (worker thread ${thread.threadId})`, reporterTarget(config), config.samplerType, config.samplerParam,
      hooks?.applied().join(', ') || 'nothing yet',
    );
    return tracer;
  } catch (err) {
    log.error('tracing disabled, could not create the tracer: %s', errorMessage(err));
    return undefined;
  }
}

/** Where spans go, for the start-up line: never the collector's credentials or query. */
function reporterTarget(config: TracerConfig): string {
  if (config.endpoint !== undefined) {
    try {
      const url = new URL(config.endpoint);
      return `collector ${url.protocol}//${url.host}${url.pathname} (HTTP)`;
    } catch {
      return 'collector (HTTP)';
    }
  }
  const host = config.agentHost.includes(':') && !config.agentHost.startsWith('[') ? `[${config.agentHost}]` : config.agentHost;
  return `agent ${host}:${config.agentPort} (UDP)`;
}

function installShutdown(reporter: Reporter): void {
  // The loop drained: deliver what is queued. Our timer keeps the loop alive for at most
  // EXIT_FLUSH_MS (an HTTP request in flight holds it until its own deadline); once the flush
  // settles the loop drains again, beforeExit fires again and finds nothing to send, so the process
  // ends. Spans the app produces after that go out at the next beforeExit.
  let busy = false;
  process.on('beforeExit', () => {
    if (busy) return; // a flush outlived its bound (a hung collector): let the process end
    busy = true;
    boundedFlush(reporter, EXIT_FLUSH_MS, (settled) => {
      busy = !settled;
      // A collector that accepts and never answers would hold the exit until the request's own
      // deadline (JAEGER_REPORTER_TIMEOUT): end it now, its spans counted as 'shutdown'.
      if (!settled) closeNow(reporter);
    });
  });
  // process.exit(), an uncaught exception: 'exit' listeners are synchronous. A flush now hands the
  // buffered batch to a connected UDP socket, which sends at once; anything asynchronous is lost.
  process.on('exit', () => {
    try {
      reporter.flush().catch(() => {});
    } catch {
      // never disturb the exit
    }
  });
  if (process.platform === 'win32') return; // no faithful re-raise there
  // Signals reach only the main thread; a re-raise from a worker would kill the whole process.
  if (!thread.isMainThread) return;
  // One watcher per event for both signals: every listener we add counts against the app's
  // MaxListeners warnings.
  const guards = new Map<string | symbol, SignalGuard>(SIGNALS.map((s) => [s, guardSignal(s, reporter)]));
  process.on('newListener', (event: string | symbol, listener: unknown) => guards.get(event)?.added(listener));
  process.on('removeListener', (event: string | symbol, listener: unknown) => guards.get(event)?.removed(listener));
}

interface SignalGuard {
  added(listener: unknown): void;
  removed(listener: unknown): void;
}

function closeNow(reporter: Reporter): void {
  try {
    reporter.closeNow?.();
  } catch (err) {
    log.debug('could not stop the reporter: %s', errorMessage(err));
  }
}

/**
 * Flushes, keeping the loop alive (a ref'd timer) until the flush settles or `ms` pass;
 * `done(settled)` runs once, with false when the bound was hit first.
 */
function boundedFlush(reporter: Reporter, ms: number, done: (settled: boolean) => void): void {
  let called = false;
  const finish = (settled: boolean): void => {
    if (called) return;
    called = true;
    clearTimeout(timer);
    done(settled);
  };
  const timer = setTimeout(() => finish(false), ms);
  try {
    reporter.flush().then(() => finish(true), () => finish(true));
  } catch {
    finish(true);
  }
}

/**
 * SIGTERM/SIGINT for an app that does not handle them itself: flush (bounded), then re-raise the
 * same signal with Node's default disposition, so the process ends exactly as it would have.
 *
 * Our listener is attached only while nobody else listens. Node (and libraries such as
 * signal-exit, which re-raise only when their own listeners are the only ones) decide what a
 * signal does from the listener count, so an extra listener of ours must never be seen next to
 * someone else's: we step aside when the app adds one and come back when the last one goes.
 */
function guardSignal(signal: Signal, reporter: Reporter): SignalGuard {
  let attached = false;
  let handling = false;
  let retired = false;
  const attach = (): void => {
    if (attached || retired) return;
    attached = true;
    process.on(signal, onSignal);
  };
  const detach = (): void => {
    if (!attached) return;
    attached = false;
    process.removeListener(signal, onSignal);
  };
  const reraise = (): void => {
    if (retired) return;
    retired = true;
    detach(); // the last listener gone, Node restores the default disposition
    try {
      process.kill(process.pid, signal);
    } catch (err) {
      log.debug('could not re-raise %s: %s', signal, errorMessage(err));
    }
  };
  function onSignal(): void {
    if (process.listenerCount(signal) > 1) return; // someone else is listening: the app decides
    if (handling) return reraise(); // signalled again while flushing: stop waiting
    handling = true;
    // The bound timer also keeps the loop alive, so the app cannot drift into beforeExit and exit 0.
    boundedFlush(reporter, SIGNAL_FLUSH_MS, reraise);
  }
  if (process.listenerCount(signal) === 0) attach();
  return {
    added(listener) {
      if (listener === onSignal || !attached) return;
      // After the add completes: removing ours inside newListener would make Node close the signal
      // watcher (zero listeners at that instant) under the listener being added.
      queueMicrotask(() => {
        if (process.listenerCount(signal) > 1) detach();
      });
    },
    removed(listener) {
      if (listener !== onSignal && process.listenerCount(signal) === 0) attach();
    },
  };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
