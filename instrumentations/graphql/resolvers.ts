// Optional resolver spans (JAEGER_GRAPHQL_RESOLVER_SPANS): the `resolve` function of every field of
// a schema the app executes is wrapped once. A wrapped resolver called inside a traced operation
// gets a span `resolve <Type.field>`, child of the span of the nearest ancestor field that has one
// (else of the operation), runs in that span's scope, and ends when its value or promise settles.
// graphql calls resolvers from its own code, in the operation's scope, with a Path object per field
// (`info.path`, linked to its parent by `prev`): that object identifies the parent field's span.
import type * as opentracing from 'opentracing';
import { envSetting } from '../../src/config/setting';
import { activate, activeSpan } from '../../src/context/scope-manager';
import type { PatchContext } from '../../src/loader/definition';
import { setError, startSpan } from '../../src/shim/span-helpers';
import { COMPONENT } from '../../src/tracer/tags';

export const COMPONENT_GRAPHQL = 'graphql';
/** Response path of a resolved field: `user.posts.0.title`. */
export const GRAPHQL_FIELD_PATH = 'graphql.field.path';
/** The field's parent type and name: `User.posts`. */
export const GRAPHQL_FIELD_NAME = 'graphql.field.name';

const resolverSpans = envSetting('graphqlResolverSpans');

/** JAEGER_GRAPHQL_RESOLVER_SPANS, read once, at the first traced operation. */
export const resolverSpansEnabled = (): boolean => resolverSpans.get();

/** Overrides the setting (tests); undefined re-reads the environment. */
export const setResolverSpans = (value: boolean | undefined): void => resolverSpans.set(value);

/** Field spans of one operation, by the field's Path object. */
interface OperationState { readonly op: opentracing.Span; readonly fields: Map<object, opentracing.Span> }

// The operation (and each field span) → its operation's state; weak, so nothing outlives a span.
const states = new WeakMap<opentracing.Span, OperationState>();
const instrumented = new WeakSet<object>();

interface Path { prev?: Path; key?: unknown }
interface ResolveInfo { path?: Path; parentType?: { name?: unknown }; fieldName?: unknown }
type Resolver = (this: unknown, source: unknown, args: unknown, context: unknown, info: ResolveInfo) => unknown;
interface Field { resolve?: Resolver }
interface Schema { getTypeMap?: () => Record<string, { getFields?: () => Record<string, Field> }> }

/** Called when an operation's span starts: its resolvers will create field spans. */
export function startOperation(op: opentracing.Span, schema: unknown, ctx: PatchContext): void {
  states.set(op, { op, fields: new Map() });
  instrumentSchema(schema, ctx);
}

function instrumentSchema(schema: unknown, ctx: PatchContext): void {
  if (schema === null || typeof schema !== 'object' || instrumented.has(schema)) return;
  instrumented.add(schema);
  const types = (schema as Schema).getTypeMap?.();
  if (types === undefined || types === null) return;
  for (const name of Object.keys(types)) {
    if (name.startsWith('__')) continue; // introspection types
    const type = types[name];
    if (typeof type?.getFields !== 'function') continue;
    const fields = type.getFields();
    for (const key of Object.keys(fields)) {
      const field = fields[key];
      // Fields without a resolver read a property (graphql's default resolver): no span for that.
      if (typeof field?.resolve === 'function') ctx.wrap(field as Required<Field>, 'resolve', wrapResolver);
    }
  }
}

function wrapResolver(original: Resolver): Resolver {
  return function resolve(this: unknown, source: unknown, args: unknown, context: unknown, info: ResolveInfo) {
    const active = activeSpan();
    const state = active === null ? undefined : states.get(active);
    if (state === undefined) return original.apply(this, arguments as unknown as Parameters<Resolver>);
    let span: opentracing.Span | undefined;
    try {
      span = startFieldSpan(state, info);
    } catch {
      span = undefined;
    }
    if (span === undefined) return original.apply(this, arguments as unknown as Parameters<Resolver>);
    let result: unknown;
    try {
      result = activate(span, original, this, ...(arguments as unknown as Parameters<Resolver>));
    } catch (err) {
      endField(span, err);
      throw err;
    }
    if (isThenable(result)) {
      const s = span;
      // Our handlers observe the app's promise; graphql still gets the very same promise.
      try {
        result.then((v) => endField(s, v instanceof Error ? v : undefined), (err) => endField(s, err ?? new Error('rejected')));
      } catch {
        endField(s);
      }
    } else {
      endField(span, result instanceof Error ? result : undefined);
    }
    return result;
  };
}

function startFieldSpan(state: OperationState, info: ResolveInfo): opentracing.Span | undefined {
  const path = info?.path;
  let parent: opentracing.Span = state.op;
  for (let p = path?.prev; p != null; p = p.prev) {
    const found = state.fields.get(p);
    if (found !== undefined) {
      parent = found;
      break;
    }
  }
  const field = `${String(info?.parentType?.name)}.${String(info?.fieldName)}`;
  const span = startSpan(`resolve ${field}`, {
    [COMPONENT]: COMPONENT_GRAPHQL,
    [GRAPHQL_FIELD_NAME]: field,
    [GRAPHQL_FIELD_PATH]: pathString(path),
  }, parent);
  if (span === undefined) return undefined;
  if (path != null && typeof path === 'object') state.fields.set(path, span);
  states.set(span, state);
  return span;
}

function pathString(path: Path | undefined): string {
  const keys: string[] = [];
  for (let p = path; p != null; p = p.prev) keys.push(String(p.key));
  return keys.reverse().join('.');
}

function endField(span: opentracing.Span, err?: unknown): void {
  try {
    if (err !== undefined) setError(span, err);
    span.finish();
  } catch {
    // our bug; the resolver's value went to graphql unchanged.
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function';
}
