// Instrumentation of 'mysql' — https://github.com/mysqljs/mysql
// Patches Connection.prototype.query (lib/Connection.js), where pool.query and pool clusters end
// too, so each statement is one span; Pool.prototype.getConnection (lib/Pool.js) hands the caller's
// callback back in the caller's context (a queued caller is otherwise served from the releasing
// caller's). Hooked by file: index.js loads its classes lazily.
import { defineInstrumentation, type InstrumentationDefinition, type PatchContext } from '../src/loader/definition';
import { lazy } from '../src/loader/lazy';
import type { ConnectionClass, PoolClass, Fn } from './mysql/query';

// The wrappers, loaded on the first require of mysql (src/loader/lazy.ts).
const impl = lazy(() => require('./mysql/query') as typeof import('./mysql/query'));

const definitions: InstrumentationDefinition[] = [
  defineInstrumentation<ConnectionClass>({
    name: 'mysql',
    versions: '>=2 <3',
    file: 'lib/Connection.js',
    patch(Connection, ctx: PatchContext) {
      const proto = Connection?.prototype;
      if (proto == null) return;
      ctx.wrap(proto, 'query', impl().wrapQuery);
      // Bound by the constructor: patched before any connection exists, as the hook runs at require.
      if (typeof proto._handleProtocolError === 'function') ctx.wrap(proto, '_handleProtocolError', (o) => impl().wrapHandleProtocolError(o as Fn));
    },
  }),
  defineInstrumentation<PoolClass>({
    name: 'mysql',
    versions: '>=2 <3',
    file: 'lib/Pool.js',
    patch(Pool, ctx: PatchContext) {
      if (Pool?.prototype != null) ctx.wrap(Pool.prototype, 'getConnection', impl().wrapGetConnection);
    },
  }),
];

export default definitions;
