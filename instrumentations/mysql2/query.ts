// What instrumentations/mysql2.ts patches in: one span per query or execute, failures of queued
// statements. Loaded on the first require of mysql2's lib/connection.js or lib/pool.js.
import { shouldTrace } from '../../src/shim/span-helpers';
import {
  callQuery, callbackIndex, failPending, sqlOf, startQuery, withEndingCallback, wrapQueryWith, type MysqlConfig,
  type QueryTrace,
} from '../mysql-common';

const COMPONENT_MYSQL2 = 'mysql2';
const FALLBACK_NAME = 'mysql2.query';

export type Fn = (...args: any[]) => any;
interface Connection { config?: MysqlConfig }
export interface ConnectionClass { prototype: { query: Fn; execute: Fn; _notifyError?: Fn } }
export interface PoolClass { prototype: { getConnection: Fn } }

// query(sql | options | Query, values?, cb?). A Query object comes from pool.query / createQuery
// (its callback is its onResult); everything else is built by the original.
export function wrapQuery(original: Fn): Fn {
  return wrapQueryWith(original, { component: COMPONENT_MYSQL2, fallbackName: FALLBACK_NAME, callbackKey: 'onResult', functionIsCallback: false });
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
    return callQuery(original, this, withEndingCallback(arguments, callbackIndex(arguments), trace), trace, true, 'onResult');
  };
}

// execute() prefers options.values over the argument (lib/connection.js `options.values || values`).
function executeValues(args: IArguments): unknown {
  const first: unknown = args[0];
  const own = first !== null && typeof first === 'object' ? (first as { values?: unknown }).values : undefined;
  return own || (typeof args[1] === 'function' ? undefined : args[1]);
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
