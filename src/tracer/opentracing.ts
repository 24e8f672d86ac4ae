// The parts of the `opentracing` package the tracer runs on, required from the package's own files
// rather than its index: the index also loads its MockTracer and examples' helpers (five more
// files, ~5 ms of a service's start on the 2-core test machine). They are the very objects the
// index re-exports, so `instanceof opentracing.Span` and the global tracer are shared with an app
// that loads 'opentracing'. 0.14 is opentracing-javascript's last line and its layout is fixed; if
// the files are not where 0.14 keeps them, the index is used.
import type * as OT from 'opentracing';

type Api = Pick<typeof OT, 'Tracer' | 'Span' | 'SpanContext' | 'Tags' | 'initGlobalTracer'
  | 'FORMAT_BINARY' | 'FORMAT_TEXT_MAP' | 'FORMAT_HTTP_HEADERS' | 'REFERENCE_FOLLOWS_FROM'>;

function load(): Api {
  try {
    const constants = require('opentracing/lib/constants') as typeof OT;
    const api: Api = {
      Tracer: (require('opentracing/lib/tracer') as { Tracer: typeof OT.Tracer }).Tracer,
      Span: (require('opentracing/lib/span') as { default: typeof OT.Span }).default,
      SpanContext: (require('opentracing/lib/span_context') as { default: typeof OT.SpanContext }).default,
      Tags: require('opentracing/lib/ext/tags') as typeof OT.Tags,
      initGlobalTracer: (require('opentracing/lib/global_tracer') as typeof OT).initGlobalTracer,
      FORMAT_BINARY: constants.FORMAT_BINARY,
      FORMAT_TEXT_MAP: constants.FORMAT_TEXT_MAP,
      FORMAT_HTTP_HEADERS: constants.FORMAT_HTTP_HEADERS,
      REFERENCE_FOLLOWS_FROM: constants.REFERENCE_FOLLOWS_FROM,
    };
    if (Object.values(api).some((v) => v === undefined)) throw new Error('opentracing layout changed');
    // What the index does last: the base classes' no-op span, context and tracer.
    (require('opentracing/lib/noop') as { initialize(): void }).initialize();
    return api;
  } catch {
    return require('opentracing') as typeof OT;
  }
}

const ot = load();
export const {
  Tracer, Span, SpanContext, Tags, initGlobalTracer,
  FORMAT_BINARY, FORMAT_TEXT_MAP, FORMAT_HTTP_HEADERS, REFERENCE_FOLLOWS_FROM,
} = ot;
export type Tracer = OT.Tracer;
export type Span = OT.Span;
export type SpanContext = OT.SpanContext;
export type SpanOptions = OT.SpanOptions;
