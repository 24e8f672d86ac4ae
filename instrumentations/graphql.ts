// Instrumentation of 'graphql' 15–17 (https://github.com/graphql/graphql-js): one span per executed
// operation, `query GetUser`, child of the active span (usually the http server span). graphql
// 15–16: execute and executeSync of execution/execute.js are wrapped; graphql(), graphqlSync() and
// servers built on graphql-js call them through that module's exports (the package index only
// re-exports them through getters). graphql 17: its `graphql:execute` diagnostics channel
// (graphql/channels.ts). Resolvers run in the operation's scope; with
// JAEGER_GRAPHQL_RESOLVER_SPANS each field resolver gets its own span (graphql/resolvers.ts).
import type * as opentracing from 'opentracing';
import { defineInstrumentation, type InstrumentationDefinition, type PatchContext } from '../src/loader/definition';
import { activate } from '../src/context/scope-manager';
import { shouldTrace } from '../src/shim/span-helpers';
import { channelsAvailable, subscribeExecute, unsubscribeExecute } from './graphql/channels';
import { endOperation, isThenable, startOperationSpan } from './graphql/operation';

type Execute = (this: unknown, ...args: unknown[]) => unknown;
interface ExecuteModule { execute?: Execute; executeSync?: Execute }
interface ExecutionArgs { schema?: unknown; document?: unknown; operationName?: unknown }

function wrapExecute(ctx: PatchContext) {
  return function (original: Execute): Execute {
    return function execute(this: unknown) {
      if (!shouldTrace()) return original.apply(this, arguments as unknown as unknown[]);
      let span: opentracing.Span | undefined;
      try {
        span = operationSpanFor(arguments as unknown as unknown[], ctx);
      } catch {
        span = undefined;
      }
      if (span === undefined) return original.apply(this, arguments as unknown as unknown[]);
      let result: unknown;
      try {
        result = activate(span, original, this, ...(arguments as unknown as unknown[]));
      } catch (err) {
        endOperation(span, undefined, err);
        throw err;
      }
      if (isThenable(result)) {
        const s = span;
        try {
          result.then((value) => endOperation(s, value), (err) => endOperation(s, undefined, err ?? new Error('rejected')));
        } catch {
          endOperation(s);
        }
      } else {
        endOperation(span, result);
      }
      return result;
    };
  };
}

// execute(args) in every version; graphql 15 also takes (schema, document, rootValue, contextValue,
// variableValues, operationName, ...) and, like graphql, reads one argument as the object form.
function operationSpanFor(args: unknown[], ctx: PatchContext): opentracing.Span | undefined {
  const object = args.length === 1 ? (args[0] as ExecutionArgs | null) : undefined;
  if (object === undefined) return startOperationSpan(args[0], args[1], args[5], ctx);
  return startOperationSpan(object?.schema, object?.document, object?.operationName, ctx);
}

function wrapExecuteModule(exports: ExecuteModule, ctx: PatchContext): void {
  if (exports === null || typeof exports !== 'object') return;
  const wrapper = wrapExecute(ctx);
  ctx.wrap(exports as Required<ExecuteModule>, 'execute', wrapper);
  ctx.wrap(exports as Required<ExecuteModule>, 'executeSync', wrapper);
}

const definitions: InstrumentationDefinition[] = [
  defineInstrumentation<ExecuteModule>({
    name: 'graphql',
    versions: '>=15 <17',
    file: 'execution/execute.js',
    patch: wrapExecuteModule,
  }),
  // graphql 17 loaded as CommonJS on a Node without process.getBuiltinModule publishes nothing:
  // wrap execute there, as for 16.
  defineInstrumentation<ExecuteModule>({
    name: 'graphql',
    versions: '>=17 <18',
    file: 'execution/execute.js',
    patch(exports, ctx) {
      if (!channelsAvailable()) wrapExecuteModule(exports, ctx);
    },
  }),
  // The package's main module, CommonJS or (required) ES module: exports stay untouched.
  defineInstrumentation<unknown>({
    name: 'graphql',
    versions: '>=17 <18',
    patch(_exports, ctx) {
      subscribeExecute(ctx);
    },
    unpatch() {
      unsubscribeExecute();
    },
  }),
];

export default definitions;
