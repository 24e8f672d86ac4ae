// Instrumentation of 'opentracing' — https://github.com/opentracing/opentracing-javascript
// When the app (any copy of the package) loads opentracing, its global tracer becomes a delegate to
// the preload's tracer, built on first use. So `globalTracer().startSpan()` works even in the app's
// synchronous top level, before the preload would otherwise have built the tracer. An app that calls
// initGlobalTracer() with a tracer of its own simply replaces the delegate.
import { defineInstrumentation } from '../src/loader/definition';
import { getTracer } from '../src/tracer/global';

interface TracerLike {
  startSpan(...args: unknown[]): unknown;
  inject(...args: unknown[]): unknown;
  extract(...args: unknown[]): unknown;
}

interface OpentracingModule {
  Tracer: new () => TracerLike;
  initGlobalTracer(tracer: TracerLike): void;
}

// An instance of the app's own Tracer class (instanceof keeps working) whose three methods forward
// to our tracer, or to the no-op base methods while tracing is off.
function delegatingTracer(ot: OpentracingModule): TracerLike {
  const noop = new ot.Tracer();
  const delegate = new ot.Tracer();
  const target = (): TracerLike => (getTracer() as TracerLike | undefined) ?? noop;
  delegate.startSpan = function startSpan(...args: unknown[]) { const t = target(); return t.startSpan(...args); };
  delegate.inject = function inject(...args: unknown[]) { const t = target(); return t.inject(...args); };
  delegate.extract = function extract(...args: unknown[]) { const t = target(); return t.extract(...args); };
  return delegate;
}

export default [
  defineInstrumentation<OpentracingModule>({
    name: 'opentracing',
    versions: '>=0.14.0 <1',
    patch(ot) {
      if (typeof ot?.initGlobalTracer !== 'function' || typeof ot.Tracer !== 'function') return;
      ot.initGlobalTracer(delegatingTracer(ot));
    },
  }),
];
