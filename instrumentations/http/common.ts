// Pieces the http server and client shims share: the propagation format, the component tag value,
// error marking, and running an emitter's listeners in one captured scope.
import type * as opentracing from 'opentracing';
import { applyInScope, bind, type Scope } from '../../src/context/scope-manager';
import { ERROR } from '../../src/tracer/tags';

/** opentracing.FORMAT_HTTP_HEADERS, spelled out so the preload does not load `opentracing`. */
export const FORMAT_HTTP_HEADERS = 'http_headers';

/**
 * The `component` tag of every http span, server or client, plain or TLS: one value to filter on.
 * The scheme is in the client's http.url.
 */
export const COMPONENT_HTTP = 'http';

// Log field keys of an error event (the same fields setError writes).
const EVENT = 'event';
const ERROR_KIND = 'error.kind';
const MESSAGE = 'message';

/** error=true plus an error log with a kind and message, for failures that are not Error objects. */
export function markFailed(span: opentracing.Span, kind: string, message: string): void {
  span.setTag(ERROR, true);
  span.log({ [EVENT]: 'error', [ERROR_KIND]: kind, [MESSAGE]: message });
}

/**
 * What an emitter's events run in: `scope`, whatever context the event comes from (the socket's,
 * which on a kept-alive connection belongs to an earlier request). `observe`, when set, sees each
 * event first (through a patched prototype: each heard event and each of isObservedEvent's types),
 * called with the binding as `this`; it must not throw (callers guard it). Shared
 * functions plus a plain record instead of closures per request: the hooks run on every request.
 */
export interface EmitBinding {
  readonly scope: Scope | undefined;
  readonly observe?: (this: EmitBinding, type: unknown, arg: unknown) => void;
  /**
   * An observed event type whose listeners at binding time were Node's own (a server response's
   * 'finish': resOnFinish, added before the app saw the response), with those listeners as
   * listenersOf gave them: while the event still has exactly these, it runs outside the scope,
   * as it would without us. Node's code needs no span, and a scope entered per event costs.
   */
  readonly quietType?: string;
  readonly quietListeners?: unknown;
}

/** Returns the object it is given: lets a subclass constructor add private fields to any object. */
export class Stamp {
  constructor(target: object) {
    return target;
  }
}

/**
 * Where a binding lives on an emitter whose emit (inherited from a prototype we patched) reads it:
 * a private field stamped on the emitter. Invisible to the app (no key, not inspected or copied),
 * and cheap: Object.defineProperty on every request, response and client request cost ~0.5 µs
 * each; a WeakMap was cheaper to write but its entries made every scavenge slower (both measured
 * on Node 20, bench:hotpath /outbound).
 */
class BindingSlot extends Stamp {
  #binding: EmitBinding | undefined;

  static get(emitter: object): EmitBinding | undefined {
    return #binding in emitter ? (emitter as BindingSlot).#binding : undefined;
  }

  /** False when the emitter takes no field (a V8 that refuses non-extensible objects). */
  static set(emitter: object, binding: EmitBinding): boolean {
    try {
      if (!(#binding in emitter)) new BindingSlot(emitter);
      (emitter as BindingSlot).#binding = binding;
      return true;
    } catch {
      return false;
    }
  }
}
// Where it lives when the emitter got its own per-instance emit instead (the prototype was not
// patched, or something shadowed it); a separate key so a patched prototype never sees it twice.
const OWN_BINDING = Symbol('jaeger-auto:http.own-emit-binding');
// Marks our prototype emit (guardWrapper and wrapMethod copy own properties onto what they install).
const READS_BINDING = Symbol('jaeger-auto:http.reads-emit-binding');

/**
 * The replacement of a prototype's emit (IncomingMessage, ServerResponse, ClientRequest): an
 * emitter with a binding runs its listeners in the binding's scope; every other one is untouched.
 */
export function bindingEmit(original: (...args: any[]) => boolean): (...args: any[]) => boolean {
  // Events that might concern a binding go on to `scoped`; the rest straight to the original. Two
  // functions so that the common case hands its arguments on without V8 building an arguments
  // object (`f.apply(this, arguments)` is forwarded as it is unless `arguments` escapes elsewhere
  // in the function, as it does into applyInScope): a request and its response emit ~18 events.
  const scoped = function emit(this: object, type: unknown, arg?: unknown): boolean {
    const binding = BindingSlot.get(this);
    if (binding === undefined) return original.apply(this, arguments as unknown as unknown[]);
    if (binding.observe !== undefined) binding.observe(type, arg);
    // Nothing listens: no code runs in the scope, so do not enter it (an AsyncLocalStorage run per
    // event adds up: a request and its response emit a dozen, half of them unheard). An event of
    // another type got here because it is heard (no observer acts on it, so none took its listeners
    // away). 'error' always enters it: errorMonitor listeners are not counted.
    if (type !== 'error' && isObservedEvent(type)) {
      const listeners = listenersOf(this, type);
      if (listeners === undefined || (type === binding.quietType && listeners === binding.quietListeners)) {
        return original.apply(this, arguments as unknown as unknown[]);
      }
    }
    return applyInScope(binding.scope, original, this, arguments);
  };
  const emit = function emit(this: any, type: unknown): boolean {
    // Most of a request's and a response's events ('socket', 'prefinish', 'readable', 'resume')
    // have no listener and no observer that acts on them: they pass without a binding lookup.
    if (this !== null && typeof this === 'object' && (isObservedEvent(type) || listenersOf(this, type) !== undefined)) {
      return scoped.apply(this, arguments as unknown as [unknown]);
    }
    return original.apply(this, arguments as unknown as unknown[]);
  };
  Object.defineProperty(emit, READS_BINDING, { value: true });
  return emit;
}

/**
 * The event types an EmitBinding's observer acts on (the server response's end, a client request's
 * response and failures, a client response's end); through a patched prototype an observer sees
 * these and every event something listens to, but not unheard events of other types.
 */
function isObservedEvent(type: unknown): boolean {
  return type === 'finish' || type === 'close' || type === 'end' || type === 'response' || type === 'error'
    || type === 'timeout' || type === 'aborted';
}

/**
 * What an EventEmitter keeps for `type`: undefined when nothing listens, else the listener or an
 * array of them. Read as EventEmitter's own listenerCount reads it (it deletes a type's entry with
 * its last listener), so a listener added and removed again leaves the same value behind.
 */
export function listenersOf(emitter: object, type: unknown): unknown {
  const events = (emitter as { _events?: Record<PropertyKey, unknown> })._events;
  return events === undefined || events === null ? undefined : events[type as PropertyKey];
}

/**
 * Makes every listener of `emitter` run in `binding.scope` (see EmitBinding). Where the emitter's
 * emit is our prototype wrapper, one hidden property does it; otherwise the emitter gets an own,
 * non-enumerable `emit`, so the prototype and other instances stay untouched.
 */
export function bindEmitTo(emitter: { emit: (...args: any[]) => boolean }, binding: EmitBinding): void {
  const current = emitter.emit as unknown as { [READS_BINDING]?: true };
  if (typeof current === 'function' && current[READS_BINDING] === true && !Object.prototype.hasOwnProperty.call(emitter, 'emit')) {
    if (BindingSlot.set(emitter, binding)) return;
  }
  Object.defineProperty(emitter, OWN_BINDING, { value: binding, writable: true, configurable: true, enumerable: false });
  const bound = bind(emitter.emit, binding.scope);
  const emit = binding.observe === undefined
    ? bound
    : function emit(this: unknown, type: unknown, arg?: unknown): boolean {
      binding.observe!(type, arg);
      return bound.apply(this, arguments as unknown as unknown[]);
    };
  Object.defineProperty(emitter, 'emit', { value: emit, writable: true, configurable: true, enumerable: false });
}

/**
 * bindEmitTo with a scope and an optional observer (called with the event type and first argument;
 * it must not throw), for callers that keep their own per-object state in a closure.
 */
export function bindEmit(
  emitter: { emit: (...args: any[]) => boolean },
  scope: Scope | undefined,
  observe?: (type: unknown, arg: unknown) => void,
): void {
  bindEmitTo(emitter, observe === undefined ? { scope } : { scope, observe: (type, arg) => observe(type, arg) });
}

/** The binding bindEmitTo gave `emitter`, if any. */
export function bindingOf(emitter: object): EmitBinding | undefined {
  return BindingSlot.get(emitter) ?? (emitter as { [OWN_BINDING]?: EmitBinding })[OWN_BINDING];
}

/** The number a port-ish value denotes, or undefined. */
export function toPort(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : NaN;
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

/** `path` without its query string and fragment. */
export function stripQuery(path: string): string {
  const q = path.indexOf('?');
  const h = path.indexOf('#');
  const end = q === -1 ? h : h === -1 ? q : Math.min(q, h);
  return end === -1 ? path : path.slice(0, end);
}
