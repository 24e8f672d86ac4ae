// What instrumentations/mysql.ts patches in: one span per query, failures of queued queries.
// Loaded on the first require of mysql's lib/Connection.js or lib/Pool.js.
import { shouldTrace } from '../../src/shim/span-helpers';
import {
  callbackIndex, end, endingCallback, isEmitter, observeEvents, sqlOf, startQuery, valuesOf, withEndingCallback,
  failPending, watchConnection, type MysqlConfig, type QueryTrace,
} from '../mysql-common';

const COMPONENT_MYSQL = 'mysql';
const FALLBACK_NAME = 'mysql.query';

export type Fn = (...args: any[]) => any;
// A Query sequence: its callback is _callback, its end is always Sequence#end, which emits 'error'
// (when failed), calls _callback, then emits 'end' — for query errors and connection failures alike.
interface Sequence { emit: Fn; _callback?: Fn; sql?: unknown; values?: unknown }
interface Connection { config?: MysqlConfig }
export interface ConnectionClass { prototype: { query: Fn; _handleProtocolError?: Fn } }
export interface PoolClass { prototype: { getConnection: Fn } }

// query(sql | options | Query, values?, cb?); query(cb) too (createQuery takes a function as the callback).
export function wrapQuery(original: Fn): Fn {
  return function query(this: Connection, sql: unknown) {
    if (!shouldTrace()) return original.apply(this, arguments as any);
    const sequence = isEmitter(sql) ? sql as Sequence : undefined;
    let trace: QueryTrace | undefined;
    try {
      trace = startQuery(COMPONENT_MYSQL, FALLBACK_NAME, sqlOf(sql), sequence ? sequence.values : valuesOf(arguments), this?.config);
    } catch {
      trace = undefined;
    }
    if (trace === undefined) return original.apply(this, arguments as any);
    let args: ArrayLike<unknown> = arguments;
    if (sequence !== undefined) {
      try {
        let forget: (() => void) | undefined;
        if (typeof sequence._callback === 'function') sequence._callback = endingCallback(trace, sequence._callback);
        else forget = watchConnection(this, trace);
        observeEvents(sequence, trace, forget);
      } catch {
        // a sequence we cannot observe: the query goes on, its span may stay open (never reported)
      }
    } else {
      args = withEndingCallback(arguments, typeof sql === 'function' ? 0 : callbackIndex(arguments), trace);
    }
    let result: unknown;
    try {
      result = original.apply(this, args as unknown[]);
    } catch (err) {
      end(trace, err); // the app gets the very same error
      throw err;
    }
    if (sequence === undefined && isEmitter(result) && trace.span?.isFinished !== true) {
      try {
        observeEvents(result, trace, typeof (result as Sequence)._callback === 'function' ? undefined : watchConnection(this, trace));
      } catch {
        // the query goes on; its span ends with its callback, if any
      }
    }
    return result;
  };
}

// A fatal error no queued query can take (none has a callback or 'error' listener) bubbles to the
// connection's 'error' event here, and the queued queries are never ended (Protocol#_delegateError).
// A non-fatal one belongs to the query that failed, which has ended already.
export function wrapHandleProtocolError(original: Fn): Fn {
  return function _handleProtocolError(this: Connection, err: unknown) {
    if ((err as { fatal?: unknown } | null)?.fatal === true) failPending(this, err); // before the app hears of it
    return original.apply(this, arguments as any);
  };
}

export { wrapGetConnection } from '../mysql-common';
