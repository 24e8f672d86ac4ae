import shimmer from 'shimmer';
import type { Logger } from '../log';

// The one way shims replace a function. Over bare shimmer it adds: no double wrap, the original's
// name, length and own properties kept, non-writable targets skipped, failures logged (shimmer
// itself prints to console.error), and a record of every wrap so unpatching is automatic.

const ORIGINAL = Symbol('jaeger-auto:original');

/** One replaced method, so it can be put back. */
export interface WrapRecord {
  readonly target: object;
  readonly method: string | symbol;
  /** The wrapper installed; unwrapping only happens while it is still in place. */
  readonly wrapped: Function;
  /** target's own descriptor before wrapping; undefined when the method was inherited. */
  readonly descriptor: PropertyDescriptor | undefined;
  /** What made `wrapped` from the original (tests apply it to spies to check call behaviour). */
  readonly factory: (original: any) => unknown;
}

// shimmer logs through console.error by default; route it to our logger instead (set per call).
let shimmerLog: (msg: string) => void = () => {};
shimmer({ logger: (msg: string) => shimmerLog(msg) });

/** True when `fn` is one of our wrappers. */
export function isWrapped(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as { [ORIGINAL]?: unknown })[ORIGINAL] !== undefined;
}

/**
 * Replaces `target[method]` with `wrapper(original)`. Returns false (and changes nothing) when the
 * method is missing, already wrapped by us, not writable, or the wrapper does not return a function.
 */
export function wrapMethod<T extends object, K extends keyof T>(
  target: T,
  method: K,
  wrapper: (original: T[K]) => T[K],
  records: WrapRecord[],
  logger: Logger,
): boolean {
  const name = String(method);
  if (target == null || (typeof target !== 'object' && typeof target !== 'function')) {
    logger.debug('wrap %s: no target', name);
    return false;
  }
  const original = target[method] as unknown;
  if (typeof original !== 'function') {
    logger.debug('wrap %s: not a function', name);
    return false;
  }
  if (isWrapped(original)) {
    logger.debug('wrap %s: already wrapped', name);
    return false;
  }
  const descriptor = findDescriptor(target, method);
  if (descriptor !== undefined && descriptor.writable === false && descriptor.configurable === false) {
    logger.debug('wrap %s: not writable', name);
    return false;
  }
  const wrapped = wrapper(original as T[K]) as unknown;
  if (typeof wrapped !== 'function' || wrapped === original || isWrapped(wrapped)) {
    logger.debug('wrap %s: wrapper returned no new function', name);
    return false;
  }
  const own = Object.getOwnPropertyDescriptor(target, method);
  try {
    copyIdentity(original as Function, wrapped as Function);
    if (typeof (target as { propertyIsEnumerable?: unknown }).propertyIsEnumerable !== 'function') {
      // A null-prototype target (an ES module namespace through import-in-the-middle, whose
      // defineProperty rebinds the export): shimmer would call target.propertyIsEnumerable and throw.
      Object.defineProperty(target, method, { configurable: true, enumerable: own?.enumerable ?? true, writable: true, value: wrapped });
    } else {
      shimmerLog = (msg) => logger.debug('shimmer: %s', msg);
      shimmer.wrap(target as any, method as any, () => wrapped as any);
    }
  } catch (err) {
    // Non-configurable accessors, frozen objects: the define fails and the target is unchanged.
    logger.debug('wrap %s: %s', name, (err as Error)?.message);
    return false;
  }
  if (target[method] !== wrapped) return false;
  records.push({ target, method: method as string | symbol, wrapped: wrapped as Function, descriptor: own, factory: wrapper });
  return true;
}

/**
 * Puts back every method in `records` (newest first) exactly as it was, and empties the list. A
 * method someone else re-wrapped over ours is left alone: removing ours would drop theirs too.
 */
export function unwrapAll(records: WrapRecord[], logger: Logger): void {
  for (let i = records.length - 1; i >= 0; i--) {
    const { target, method, wrapped, descriptor } = records[i];
    try {
      if (Object.getOwnPropertyDescriptor(target, method)?.value !== wrapped) continue;
      // Not shimmer.unwrap: it leaves a writable own property even where the original was
      // inherited from a prototype or read-only.
      if (descriptor === undefined) delete (target as Record<string | symbol, unknown>)[method];
      else Object.defineProperty(target, method, descriptor);
    } catch (err) {
      logger.debug('unwrap %s failed: %s', String(method), (err as Error)?.message);
    }
  }
  records.length = 0;
}

/** The original a wrapper was made from, or the function itself. */
export function originalOf<F>(fn: F): F {
  return (isWrapped(fn) ? (fn as { [ORIGINAL]: F })[ORIGINAL] : fn);
}

function findDescriptor(target: object, key: PropertyKey): PropertyDescriptor | undefined {
  for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, key);
    if (d !== undefined) return d;
  }
  return undefined;
}

// The wrapper must look like the original to the app: name, length, and own properties such as
// util.promisify.custom or static helpers hung on the function.
function copyIdentity(original: Function, wrapped: Function): void {
  for (const key of Reflect.ownKeys(original)) {
    if (key === 'prototype' || key === 'arguments' || key === 'caller') continue;
    const d = Object.getOwnPropertyDescriptor(original, key);
    if (d === undefined) continue;
    if (key !== 'name' && key !== 'length' && Object.prototype.hasOwnProperty.call(wrapped, key)) continue;
    try {
      Object.defineProperty(wrapped, key, { ...d, configurable: true });
    } catch {
      // A property the wrapper cannot take: leave it.
    }
  }
  if (original.prototype !== undefined && (wrapped as { prototype?: unknown }).prototype !== original.prototype) {
    try {
      (wrapped as { prototype?: unknown }).prototype = original.prototype; // `instanceof` keeps working
    } catch {
      // non-writable prototype (class wrappers): leave it.
    }
  }
  Object.defineProperty(wrapped, ORIGINAL, { value: original });
}
