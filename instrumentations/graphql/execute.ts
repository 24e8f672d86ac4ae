// What instrumentations/graphql.ts patches in for graphql 15–16 (and 17 without diagnostics
// channels): execute/executeSync run in an operation span. Loaded on the first require of graphql.
import type * as opentracing from 'opentracing';
import type { PatchContext } from '../../src/loader/definition';
import { activate } from '../../src/context/scope-manager';
import { shouldTrace } from '../../src/shim/span-helpers';
import { channelsAvailable, subscribeExecute, unsubscribeExecute } from './channels';
import { endOperation, isThenable, startOperationSpan } from './operation';

type Execute = (this: unknown, ...args: unknown[]) => unknown;
export interface ExecuteModule { execute?: Execute; executeSync?: Execute }
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

export function wrapExecuteModule(exports: ExecuteModule, ctx: PatchContext): void {
  if (exports === null || typeof exports !== 'object') return;
  const wrapper = wrapExecute(ctx);
  ctx.wrap(exports as Required<ExecuteModule>, 'execute', wrapper);
  ctx.wrap(exports as Required<ExecuteModule>, 'executeSync', wrapper);
}

export { channelsAvailable, subscribeExecute, unsubscribeExecute } from './channels';
