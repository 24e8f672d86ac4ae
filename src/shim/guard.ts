import { log, type Logger } from '../log';
import { isWrapped } from './wrap';
import type { FinishGuard } from '../tracer/span';

// What keeps a failing instrumentation from hurting the app. Every wrapper the loader installs
// (ctx.wrap) marks its instrumentation as the current one while it runs; the span helpers start and
// finish spans inside try/catch and, when our own code throws there, disable that instrumentation
// (its wrappers then call the originals directly) and log one error. New instrumentations get this
// by using ctx.wrap and the span helpers; nothing to write per instrumentation.

/** One instrumentation's run-time state, shared by all its wrappers in one installHooks(). */
export interface InstrumentationState {
  /** The id in BUILTIN_INSTRUMENTATIONS ('http', 'pg', …). */
  readonly id: string;
  /** Set once our own code failed for this instrumentation: its wrappers fall through from then on. */
  disabled: boolean;
  readonly logger: Logger;
  /** The finish guard given to this instrumentation's spans (made on first use). */
  finishGuard?: FinishGuard;
}

export function newInstrumentationState(id: string, logger: Logger = log): InstrumentationState {
  return { id, disabled: false, logger };
}

// The instrumentation whose wrapper is running now (synchronously), if any.
let current: InstrumentationState | undefined;

/** The instrumentation whose wrapper (or bound callback) is running now, if any. */
export function currentInstrumentation(): InstrumentationState | undefined {
  return current;
}

const unattributed = new Set<string>();

/**
 * Our own code threw while tracing for `state`: disable it and log one error. Faults no wrapper can
 * be blamed for are logged once per place and otherwise ignored.
 */
export function reportFault(state: InstrumentationState | undefined, where: string, err: unknown): void {
  const detail = (err as Error)?.stack ?? String(err);
  if (state === undefined) {
    if (unattributed.has(where)) return;
    unattributed.add(where);
    log.error('tracing failed at span %s and was skipped; the app is unaffected: %s', where, detail);
    return;
  }
  if (state.disabled) return;
  state.disabled = true;
  state.logger.error('the %s instrumentation failed at span %s and is now disabled; the app is unaffected: %s',
    state.id, where, detail);
}

/**
 * The function ctx.wrap installs: runs `inner` (the instrumentation's wrapper) with `state` current,
 * or `original` itself once the instrumentation is disabled. Keeps `this`, arguments, return value,
 * thrown errors and `new`. `inner` is returned as is when it is no wrapper at all (wrapMethod then
 * refuses it).
 */
export function guardWrapper(state: InstrumentationState, original: Function, inner: unknown): unknown {
  if (typeof inner !== 'function' || inner === original || isWrapped(inner)) return inner;
  const wrapper = inner as Function;
  const guarded = function (this: unknown) {
    if (state.disabled) {
      return new.target === undefined ? Reflect.apply(original, this, arguments) : Reflect.construct(original, arguments, new.target);
    }
    const outer = current;
    current = state;
    try {
      return new.target === undefined ? Reflect.apply(wrapper, this, arguments) : Reflect.construct(wrapper, arguments, new.target);
    } finally {
      current = outer;
    }
  };
  // Properties an instrumentation hung on its wrapper stay visible (wrapMethod then copies the
  // original's name, length and remaining own properties).
  for (const key of Reflect.ownKeys(wrapper)) {
    if (key === 'name' || key === 'length' || key === 'prototype' || key === 'arguments' || key === 'caller') continue;
    const d = Object.getOwnPropertyDescriptor(wrapper, key);
    if (d === undefined) continue;
    try {
      Object.defineProperty(guarded, key, d);
    } catch {
      // not ours to insist on
    }
  }
  return guarded;
}

/**
 * `fn` run with `state` current (or the instrumentation current now): for work an instrumentation
 * does outside any wrapped call, such as a diagnostics_channel subscriber. Returns undefined
 * without calling `fn` once the instrumentation is disabled.
 */
export function bindInstrumentation<A extends unknown[], R>(
  fn: (...args: A) => R,
  state: InstrumentationState | undefined = current,
): (...args: A) => R | undefined {
  if (state === undefined) return fn;
  return function (this: unknown, ...args: A): R | undefined {
    if (state.disabled) return undefined;
    const outer = current;
    current = state;
    try {
      return Reflect.apply(fn, this, args);
    } finally {
      current = outer;
    }
  };
}

// --- Test-only fault injection --------------------------------------------------------------------
// JAEGER_TEST_FAULTS=<id>:start|finish[,<id>:start|finish…] makes that instrumentation's span start
// or finish throw, so tests can prove the app never notices. Read once; when unset the only cost is
// one comparison with undefined. Not a user setting: it is deliberately missing from the schema.

const FAULTS: ReadonlySet<string> | undefined = parseFaults(process.env.JAEGER_TEST_FAULTS);

function parseFaults(value: string | undefined): ReadonlySet<string> | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return new Set(value.split(',').map((s) => s.trim()).filter((s) => s !== ''));
}

/** Throws when JAEGER_TEST_FAULTS asks for a fault at `where` for `state`'s instrumentation. */
export function maybeInjectFault(state: InstrumentationState | undefined, where: 'start' | 'finish'): void {
  if (FAULTS === undefined) return;
  const id = state?.id ?? '*';
  if (FAULTS.has(`${id}:${where}`) || FAULTS.has(`*:${where}`)) {
    throw new Error(`jaeger-auto test fault: ${id} span ${where}`);
  }
}
