import type { JaegerTracer } from './tracer';

// The loader's tracer, bound late: the preload installs a factory, the tracer is built after the
// app's top level ran or on the first traced call, whichever comes first. Shims read isTracing()
// first, a single boolean, so they cost nothing when tracing is off.

let tracer: JaegerTracer | undefined;
let factory: (() => JaegerTracer | undefined) | undefined;
let tracing = false;
let adoptHook: ((t: JaegerTracer) => void) | undefined;

/** How to build the tracer when first needed (the preload). Turns isTracing() on. */
export function setTracerFactory(create: () => JaegerTracer | undefined): void {
  factory = create;
  tracing = true;
}

/** Uses this tracer from now on (or none: instrumentations go quiet). */
export function setTracer(t: JaegerTracer | undefined): void {
  tracer = t;
  factory = undefined;
  tracing = t !== undefined;
}

/** The tracer instrumentations report to, built now if it has not been yet. */
export function getTracer(): JaegerTracer | undefined {
  if (tracer === undefined && factory !== undefined) {
    const create = factory;
    factory = undefined;
    try {
      tracer = create();
    } finally {
      tracing = tracer !== undefined;
    }
  }
  return tracer;
}

/** True while instrumentations should trace: a tracer exists or can be built. */
export function isTracing(): boolean {
  return tracing;
}

/** Set by the preload: what to do with a tracer the application builds itself (flush it at exit). */
export function setAdoptHook(hook: (t: JaegerTracer) => void): void {
  adoptHook = hook;
}

/**
 * The application initialized a tracer of its own (Config.initializeTracer). Under the preload it
 * becomes the tracer instrumentations report to, so one process has one tracer; a tracer the
 * preload already built keeps reporting the spans it started. Returns false without the preload.
 */
export function adoptTracer(t: JaegerTracer): boolean {
  if (adoptHook === undefined || tracer === t) return false;
  setTracer(t);
  adoptHook(t);
  return true;
}
