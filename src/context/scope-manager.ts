import { AsyncLocalStorage } from 'node:async_hooks';
import type * as opentracing from 'opentracing';

/**
 * What is active in the current asynchronous context. Never mutated: every change makes a new
 * object, so a callback bound to a scope sees exactly what was active when it was bound.
 */
export interface Scope {
  readonly span?: opentracing.Span;
  /** Set inside runUntraced(): instrumentations start no span here (our own traffic). */
  readonly untraced?: true;
}

// The one store for the whole process. It costs nothing until first run(): Node enables its
// async hooks lazily.
const storage = new AsyncLocalStorage<Scope>();

export function activeScope(): Scope | undefined {
  return storage.getStore();
}

/** The span active in the current asynchronous context, or null. */
export function activeSpan(): opentracing.Span | null {
  return storage.getStore()?.span ?? null;
}

/** Runs `fn` (with `this` and args) with `span` active; returns what `fn` returns, throws what it throws. */
export function activate<T, A extends unknown[]>(span: opentracing.Span | null | undefined, fn: (...args: A) => T, thisArg?: unknown, ...args: A): T {
  const current = storage.getStore();
  const next: Scope = span == null
    ? (current?.untraced ? current : EMPTY)
    : (current?.untraced ? { span, untraced: true } : { span });
  return storage.run(next, Reflect.apply, fn, thisArg, args) as T;
}

/** Runs `fn` in `scope` exactly (used to restore a captured scope). */
export function runInScope<T>(scope: Scope | undefined, fn: () => T): T {
  return storage.run(scope ?? EMPTY, fn);
}

/**
 * Calls `fn` with `thisArg` and `args` (an array or an `arguments` object) in `scope` exactly. No
 * closure per call: for wrappers on hot paths such as an emitter's emit.
 */
export function applyInScope<T>(scope: Scope | undefined, fn: (...args: any[]) => T, thisArg: unknown, args: ArrayLike<unknown>): T {
  return storage.run(scope ?? EMPTY, Reflect.apply, fn, thisArg, args) as T;
}

/**
 * `fn` bound to the scope active now (or the one given): wherever it is called later, it runs in
 * that scope. Keeps `this`, arguments, return value and `length` (some libraries dispatch on arity).
 */
export function bind<F extends (...args: any[]) => any>(fn: F, scope: Scope | undefined = storage.getStore()): F {
  if (typeof fn !== 'function') return fn;
  const target = scope ?? EMPTY;
  const bound = function (this: unknown, ...args: unknown[]) {
    return storage.run(target, Reflect.apply, fn, this, args);
  } as F;
  if (fn.length !== 0) Object.defineProperty(bound, 'length', { value: fn.length, configurable: true });
  return bound;
}

/** Runs `fn` so that no instrumentation traces anything it does. */
export function runUntraced<T>(fn: () => T): T {
  const current = storage.getStore();
  if (current?.untraced) return fn();
  return storage.run(current?.span ? { span: current.span, untraced: true } : UNTRACED, fn);
}

/** True inside runUntraced(). */
export function isUntraced(): boolean {
  return storage.getStore()?.untraced === true;
}

const EMPTY: Scope = Object.freeze({});
const UNTRACED: Scope = Object.freeze({ untraced: true as const });

/** What bindChannelStore needs of a diagnostics_channel Channel (`start` of a TracingChannel). */
export interface StoreBindable {
  bindStore(store: AsyncLocalStorage<Scope>, transform?: (message: any) => Scope | undefined): void;
  unbindStore?(store: AsyncLocalStorage<Scope>): boolean;
}

/**
 * For libraries that publish diagnostics_channel tracing events (graphql 17): `runStores(message,
 * fn)` on `channel` then runs fn in the scope `transform(message)` returns. Returns how to undo it.
 */
export function bindChannelStore(channel: StoreBindable, transform: (message: any) => Scope | undefined): () => void {
  channel.bindStore(storage, transform);
  return () => { channel.unbindStore?.(storage); };
}
