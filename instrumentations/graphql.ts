// Instrumentation of 'graphql' 15–17 (https://github.com/graphql/graphql-js): one span per executed
// operation, `query GetUser`, child of the active span (usually the http server span). graphql
// 15–16: execute and executeSync of execution/execute.js are wrapped; graphql(), graphqlSync() and
// servers built on graphql-js call them through that module's exports (the package index only
// re-exports them through getters). graphql 17: its `graphql:execute` diagnostics channel
// (graphql/channels.ts). Resolvers run in the operation's scope; with
// JAEGER_GRAPHQL_RESOLVER_SPANS each field resolver gets its own span (graphql/resolvers.ts).
import { defineInstrumentation, type InstrumentationDefinition } from '../src/loader/definition';
import { lazy } from '../src/loader/lazy';
import type { ExecuteModule } from './graphql/execute';

// The wrappers, loaded on the first require of graphql (src/loader/lazy.ts).
const impl = lazy(() => require('./graphql/execute') as typeof import('./graphql/execute'));

const definitions: InstrumentationDefinition[] = [
  defineInstrumentation<ExecuteModule>({
    name: 'graphql',
    versions: '>=15 <17',
    file: 'execution/execute.js',
    patch(exports, ctx) {
      impl().wrapExecuteModule(exports, ctx);
    },
  }),
  // graphql 17 loaded as CommonJS on a Node without process.getBuiltinModule publishes nothing:
  // wrap execute there, as for 16.
  defineInstrumentation<ExecuteModule>({
    name: 'graphql',
    versions: '>=17 <18',
    file: 'execution/execute.js',
    patch(exports, ctx) {
      if (!impl().channelsAvailable()) impl().wrapExecuteModule(exports, ctx);
    },
  }),
  // The package's main module, CommonJS or (required) ES module: exports stay untouched.
  defineInstrumentation<unknown>({
    name: 'graphql',
    versions: '>=17 <18',
    patch(_exports, ctx) {
      impl().subscribeExecute(ctx);
    },
    unpatch() {
      impl().unsubscribeExecute();
    },
  }),
];

export default definitions;
