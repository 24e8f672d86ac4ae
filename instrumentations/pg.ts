// Instrumentation of 'pg' (node-postgres) — https://github.com/brianc/node-postgres
// Patches the pure-JS Client (lib/client.js): query → one span per query in every call form,
// connect → a `pg.connect` span; and pg-pool's Pool.prototype.connect (reached through pg.Pool) so
// pooled callbacks run in their caller's context. pg.native (lib/native) is not traced.
import { defineInstrumentation, type InstrumentationDefinition } from '../src/loader/definition';
import { lazy } from '../src/loader/lazy';

// Loaded on the first require of pg (src/loader/lazy.ts).
const query = lazy(() => require('./pg/query') as typeof import('./pg/query'));
const connect = lazy(() => require('./pg/connect') as typeof import('./pg/connect'));

interface ClientClass { prototype: { query: (...a: any[]) => unknown; connect: (...a: any[]) => unknown } }
interface PgModule { Pool?: { prototype?: object } }
interface PoolPrototype { connect: (...a: any[]) => unknown }

/** pg 7 and 8 share the patch targets: Client.prototype.query/connect, pg-pool's connect. */
export const PG_VERSIONS = '>=7 <9';

const definitions: InstrumentationDefinition[] = [
  // lib/client.js exports the JS Client itself: hooking the file (not pg.Client) leaves the native
  // client alone even under NODE_PG_FORCE_NATIVE, where pg.Client is the native one.
  defineInstrumentation<ClientClass>({
    name: 'pg',
    versions: PG_VERSIONS,
    file: 'lib/client.js',
    patch(Client, ctx) {
      const proto = Client?.prototype;
      if (proto === undefined) return;
      ctx.wrap(proto, 'query', (original) => query().wrapQuery(original) as typeof original);
      ctx.wrap(proto, 'connect', (original) => connect().wrapConnect(original) as typeof original);
    },
  }),
  // pg.Pool is pg-pool's Pool bound to the client class (a subclass in pg 8, util.inherits in pg 7).
  defineInstrumentation<PgModule>({
    name: 'pg',
    versions: PG_VERSIONS,
    patch(pg, ctx) {
      const bound = pg?.Pool?.prototype;
      const proto = bound === undefined ? null : Object.getPrototypeOf(bound) as PoolPrototype | null;
      if (proto === null || proto === Object.prototype || typeof proto.connect !== 'function') return;
      ctx.wrap(proto, 'connect', (original) => connect().wrapPoolConnect(original) as typeof original);
    },
  }),
];

export default definitions;
