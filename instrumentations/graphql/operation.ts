// The operation span, whichever way graphql is intercepted (wrapped execute in 15–16, diagnostics
// channel in 17): named `<type> <name>` from the document, child of the active span, failed when
// execution throws or its result carries errors.
import type * as opentracing from 'opentracing';
import type { PatchContext } from '../../src/loader/definition';
import { setError, startSpan } from '../../src/shim/span-helpers';
import { COMPONENT, ERROR } from '../../src/tracer/tags';
import { findOperation, maskedDocument } from './document';
import { COMPONENT_GRAPHQL, resolverSpansEnabled, startOperation } from './resolvers';

/** The operation's name in the document (absent for an anonymous operation). */
export const GRAPHQL_OPERATION_NAME = 'graphql.operation.name';
/** query, mutation or subscription. */
export const GRAPHQL_OPERATION_TYPE = 'graphql.operation.type';
/** The document's text with literal values masked (graphql/document.ts). */
export const GRAPHQL_DOCUMENT = 'graphql.document';
/** Operation name when the document does not tell which operation runs (graphql answers an error). */
export const UNKNOWN_OPERATION = 'graphql.execute';
/** At most this many of a result's errors are logged on the span. */
export const MAX_LOGGED_ERRORS = 5;

interface GraphQLErrorLike { message?: unknown; path?: unknown }

/** Starts the span of the operation `document` runs (undefined when tracing is off). */
export function startOperationSpan(schema: unknown, document: unknown, operationName: unknown, ctx: PatchContext): opentracing.Span | undefined {
  const op = findOperation(document, operationName);
  const tags: Record<string, unknown> = { [COMPONENT]: COMPONENT_GRAPHQL };
  if (op.type !== undefined) tags[GRAPHQL_OPERATION_TYPE] = op.type;
  if (op.name !== undefined) tags[GRAPHQL_OPERATION_NAME] = op.name;
  const text = maskedDocument(document);
  if (text !== undefined) tags[GRAPHQL_DOCUMENT] = text;
  const name = op.type === undefined ? UNKNOWN_OPERATION : op.name === undefined ? op.type : `${op.type} ${op.name}`;
  const span = startSpan(name, tags);
  if (span !== undefined && span.spanContext.isSampled && resolverSpansEnabled()) startOperation(span, schema, ctx);
  return span;
}

/** Finishes the operation span: failed when execute threw or the result carries errors. */
export function endOperation(span: opentracing.Span, result?: unknown, thrown?: unknown): void {
  try {
    if (thrown !== undefined) {
      setError(span, thrown);
    } else {
      // graphql 17's incremental delivery answers { initialResult, subsequentResults }.
      const r = result as { errors?: unknown; initialResult?: { errors?: unknown } } | null;
      const errors = r?.errors ?? r?.initialResult?.errors;
      if (Array.isArray(errors) && errors.length > 0) {
        span.setTag(ERROR, true);
        for (const e of errors.slice(0, MAX_LOGGED_ERRORS)) logResultError(span, e);
      }
    }
    span.finish();
  } catch {
    // our bug; the result went to the app unchanged.
  }
}

// Only the message and the field path: never the variables, and no stack (the error was handled
// by graphql and answered to the client).
function logResultError(span: opentracing.Span, e: unknown): void {
  const err = e as GraphQLErrorLike | null;
  const fields: Record<string, unknown> = { event: 'error', 'error.kind': 'GraphQLError', message: scrub(String(err?.message)) };
  if (Array.isArray(err?.path)) fields['graphql.error.path'] = err.path.join('.');
  span.log(fields);
}

// Coercion errors quote the rejected value (`Variable "$id" got invalid value "…"; …`), which may be
// a variable's value: the message is kept up to those words.
function scrub(message: string): string {
  const at = message.search(/\b(?:got|has) invalid value\b/);
  return at < 0 ? message : `${message.slice(0, at)}${message.slice(at).startsWith('got') ? 'got' : 'has'} invalid value`;
}

export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function';
}
