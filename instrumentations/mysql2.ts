// Instrumentation of 'mysql2' — https://github.com/sidorares/node-mysql2
// Patches Connection.prototype.query and .execute (lib/connection.js): pools, pool clusters and the
// promise wrappers all end there, so each statement is one span. Pool.prototype.getConnection
// (lib/pool.js) hands the caller's callback back in the caller's context. Hooked by file, not by
// the main export: in 3.x `require('mysql2/promise')` loads lib/ without ever loading index.js.
import { defineInstrumentation, type InstrumentationDefinition, type PatchContext } from '../src/loader/definition';
import { lazy } from '../src/loader/lazy';
import type { ConnectionClass, PoolClass, Fn } from './mysql2/query';

// The wrappers, loaded on the first require of mysql2 (src/loader/lazy.ts).
const impl = lazy(() => require('./mysql2/query') as typeof import('./mysql2/query'));

const definitions: InstrumentationDefinition[] = [
  defineInstrumentation<ConnectionClass>({
    name: 'mysql2',
    versions: '>=2 <4',
    file: 'lib/connection.js',
    patch(Connection, ctx: PatchContext) {
      const proto = Connection?.prototype;
      if (proto == null) return;
      ctx.wrap(proto, 'query', impl().wrapQuery);
      ctx.wrap(proto, 'execute', impl().wrapExecute);
      if (typeof proto._notifyError === 'function') ctx.wrap(proto, '_notifyError', (o) => impl().wrapNotifyError(o as Fn));
    },
  }),
  defineInstrumentation<PoolClass>({
    name: 'mysql2',
    versions: '>=2 <4',
    file: 'lib/pool.js',
    patch(Pool, ctx: PatchContext) {
      if (Pool?.prototype != null) ctx.wrap(Pool.prototype, 'getConnection', impl().wrapGetConnection);
    },
  }),
];

export default definitions;
