// What instrumentations/mysql2.ts patches in: one span per query or execute, failures of queued
// statements. Loaded on the first require of mysql2's lib/connection.js or lib/pool.js.
import { shouldTrace } from '../../src/shim/span-helpers';
import {
  callbackIndex, end, endingCallback, isEmitter, observeEvents, sqlOf, startQuery, valuesOf, withEndingCallback,
  failPending, watchConnection, type MysqlConfig, type QueryTrace,
} from '../mysql-common';

const COMPONENT_MYSQL2 = 'mysql2';
const FALLBACK_NAME = 'mysql2.query';

export type Fn = (...args: any[]) => any;
interface Command { emit: Fn; onResult?: Fn; sql?: unknown; values?: unknown }
interface Connection { config?: MysqlConfig }
export interface ConnectionClass { prototype: { query: Fn; execute: Fn; _notifyError?: Fn } }
export interface PoolClass { prototype: { getConnection: Fn } }

// query(sql | options | Query, values?, cb?). A Query object comes from pool.query / createQuery
// (its callback is its onResult); everything else is built by the original.
export function wrapQuery(original: Fn): Fn {
  return function query(this: Connection, sql: unknown) {
    if (!shouldTrace()) return original.apply(this, arguments as any);
    const command = isEmitter(sql) ? sql as Command : undefined;
    let trace: QueryTrace | undefined;
    try {
      trace = startQuery(COMPONENT_MYSQL2, FALLBACK_NAME, sqlOf(sql), command ? command.values : valuesOf(arguments), this?.config);
    } catch {
      trace = undefined;
    }
    if (trace === undefined) return original.apply(this, arguments as any);
    let args: ArrayLike<unknown> = arguments;
    if (command !== undefined) {
      try {
        let forget: (() => void) | undefined;
        if (typeof command.onResult === 'function') command.onResult = endingCallback(trace, command.onResult);
        else forget = watchConnection(this, trace);
        observeEvents(command, trace, forget);
      } catch {
        // a command we cannot observe: the query goes on, its span may stay open (never reported)
      }
    } else {
      args = withEndingCallback(arguments, callbackIndex(arguments), trace);
    }
    return call(original, this, args, trace, command === undefined);
  };
}

// execute(sql | options, values?, cb?): prepare + execute, one statement for the app.
export function wrapExecute(original: Fn): Fn {
  return function execute(this: Connection, sql: unknown) {
    if (!shouldTrace()) return original.apply(this, arguments as any);
    let trace: QueryTrace | undefined;
    try {
      trace = startQuery(COMPONENT_MYSQL2, FALLBACK_NAME, sqlOf(sql), executeValues(arguments), this?.config);
    } catch {
      trace = undefined;
    }
    if (trace === undefined) return original.apply(this, arguments as any);
    return call(original, this, withEndingCallback(arguments, callbackIndex(arguments), trace), trace, true);
  };
}

// execute() prefers options.values over the argument (lib/connection.js `options.values || values`).
function executeValues(args: IArguments): unknown {
  const first: unknown = args[0];
  const own = first !== null && typeof first === 'object' ? (first as { values?: unknown }).values : undefined;
  return own || (typeof args[1] === 'function' ? undefined : args[1]);
}

function call(original: Fn, self: Connection, args: ArrayLike<unknown>, trace: QueryTrace, observe: boolean): unknown {
  let result: unknown;
  try {
    result = original.apply(self, args as unknown[]);
  } catch (err) {
    end(trace, err); // the app gets the very same error
    throw err;
  }
  if (observe && isEmitter(result) && trace.span?.isFinished !== true) {
    try {
      const command = result as Command;
      observeEvents(command, trace, typeof command.onResult === 'function' ? undefined : watchConnection(self, trace));
    } catch {
      // the query goes on; its span ends with its callback, if any
    }
  }
  return result;
}

// mysql2 reports connection failures (refused, access denied, lost) here, to the connection's
// 'error' event for queries without a callback.
export function wrapNotifyError(original: Fn): Fn {
  return function _notifyError(this: Connection, err: unknown) {
    failPending(this, err); // before the app hears of it
    return original.apply(this, arguments as any);
  };
}

export { wrapGetConnection } from '../mysql-common';
