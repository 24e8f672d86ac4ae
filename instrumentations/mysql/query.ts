// What instrumentations/mysql.ts patches in: one span per query, failures of queued queries.
// Loaded on the first require of mysql's lib/Connection.js or lib/Pool.js.
import { failPending, wrapQueryWith, type MysqlConfig } from '../mysql-common';

export type Fn = (...args: any[]) => any;
interface Connection { config?: MysqlConfig }
export interface ConnectionClass { prototype: { query: Fn; _handleProtocolError?: Fn } }
export interface PoolClass { prototype: { getConnection: Fn } }

// query(sql | options | Query, values?, cb?); query(cb) too. A Query sequence's callback is
// _callback; its end is always Sequence#end, which emits 'error' (when failed), calls _callback,
// then emits 'end', for query errors and connection failures alike.
export function wrapQuery(original: Fn): Fn {
  return wrapQueryWith(original, { component: 'mysql', fallbackName: 'mysql.query', callbackKey: '_callback', functionIsCallback: true });
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
