// Instrumentation of 'mysql2' — https://github.com/sidorares/node-mysql2
// Patches Connection.prototype.query and .execute (lib/connection.js): pools, pool clusters and the
// promise wrappers all end there, so each statement is one span. Pool.prototype.getConnection
// (lib/pool.js) hands the caller's callback back in the caller's context. Hooked by file, not by
// the main export: in 3.x `require('mysql2/promise')` loads lib/ without ever loading index.js.
import { defineInstrumentation, type InstrumentationDefinition, type PatchContext } from '../src/loader/definition';
import { shouldTrace } from '../src/shim/span-helpers';
import {
  callbackIndex, end, endingCallback, isEmitter, observeEvents, sqlOf, startQuery, valuesOf, withEndingCallback, wrapGetConnection,
  failPending, watchConnection, type MysqlConfig, type QueryTrace,
} from './mysql-common';

const COMPONENT_MYSQL2 = 'mysql2';
const FALLBACK_NAME = 'mysql2.query';

type Fn = (...args: any[]) => any;
interface Command { emit: Fn; onResult?: Fn; sql?: unknown; values?: unknown }
interface Connection { config?: MysqlConfig }
interface ConnectionClass { prototype: { query: Fn; execute: Fn; _notifyError?: Fn } }
interface PoolClass { prototype: { getConnection: Fn } }

// query(sql | options | Query, values?, cb?). A Query object comes from pool.query / createQuery
// (its callback is its onResult); everything else is built by the original.
function wrapQuery(original: Fn): Fn {
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
function wrapExecute(original: Fn): Fn {
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
  if (observe && isEmitter(result) && !trace.span.isFinished) {
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
function wrapNotifyError(original: Fn): Fn {
  return function _notifyError(this: Connection, err: unknown) {
    failPending(this, err); // before the app hears of it
    return original.apply(this, arguments as any);
  };
}

const definitions: InstrumentationDefinition[] = [
  defineInstrumentation<ConnectionClass>({
    name: 'mysql2',
    versions: '>=2 <4',
    file: 'lib/connection.js',
    patch(Connection, ctx: PatchContext) {
      const proto = Connection?.prototype;
      if (proto == null) return;
      ctx.wrap(proto, 'query', wrapQuery);
      ctx.wrap(proto, 'execute', wrapExecute);
      if (typeof proto._notifyError === 'function') ctx.wrap(proto, '_notifyError', (o) => wrapNotifyError(o as Fn));
    },
  }),
  defineInstrumentation<PoolClass>({
    name: 'mysql2',
    versions: '>=2 <4',
    file: 'lib/pool.js',
    patch(Pool, ctx: PatchContext) {
      if (Pool?.prototype != null) ctx.wrap(Pool.prototype, 'getConnection', wrapGetConnection);
    },
  }),
];

export default definitions;
