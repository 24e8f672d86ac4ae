import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as opentracing from 'opentracing';
import { JaegerSpanContext, normalizeSpanId, normalizeTraceId } from '../../src/tracer/span-context';
import { DEBUG_FLAG, SAMPLED_FLAG } from '../../src/tracer/constants';
import { codecTracer, makeContext, referenceTracer, SPECIAL_BAGGAGE } from '../helpers/codec-tracer';

// Interop with the reference client, jaeger-client 3.19: each side extracts what the other injects.

const FORMATS = [opentracing.FORMAT_TEXT_MAP, opentracing.FORMAT_HTTP_HEADERS];
const FLAGS = [0, SAMPLED_FLAG, SAMPLED_FLAG | DEBUG_FLAG];
const IDS: Array<[string, string]> = [
  ['0af7651916cd43dd', 'b7ad6b7169203331'],
  ['4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7'],
  ['000000000000000a', '000000000000000b'],
];

test('jaeger-client extracts what we inject: ids, flags and baggage', () => {
  const ours = codecTracer();
  const theirs = referenceTracer();
  for (const format of FORMATS) {
    for (const [traceId, spanId] of IDS) {
      for (const flags of FLAGS) {
        const ctx = makeContext({ traceId, spanId, parentId: '0000000000000123', flags, baggage: { ...SPECIAL_BAGGAGE } });
        const carrier: Record<string, unknown> = {};
        ours.inject(ctx, format, carrier);
        const got = theirs.extract(format, carrier);
        const label = `${format} ${traceId} ${flags}`;
        assert.ok(got.isValid, label);
        assert.equal(normalizeTraceId(got.traceIdStr), traceId, label);
        assert.equal(normalizeSpanId(got.spanIdStr), spanId, label);
        assert.equal(got.flags, flags, label);
        assert.deepEqual({ ...got.baggage }, SPECIAL_BAGGAGE, label);
      }
    }
  }
});

test('we extract what jaeger-client injects: ids, flags and baggage', () => {
  for (const traceId128bit of [false, true]) {
    for (const sampled of [false, true]) {
      const theirs = referenceTracer({ sampled, traceId128bit });
      const ours = codecTracer();
      for (const format of FORMATS) {
        for (const debug of [false, true]) {
          const span = theirs.startSpan('op');
          if (debug) span.setTag(opentracing.Tags.SAMPLING_PRIORITY, 1);
          for (const [k, v] of Object.entries(SPECIAL_BAGGAGE)) span.setBaggageItem(k, v);
          const carrier: Record<string, unknown> = {};
          theirs.inject(span.context(), format, carrier);
          const ref = span.context();
          const got = ours.extract(format, carrier) as JaegerSpanContext | null;
          const label = `${format} 128=${traceId128bit} sampled=${sampled} debug=${debug}`;
          assert.ok(got?.isValid, label);
          assert.equal(got.traceId, normalizeTraceId(ref.traceIdStr), label);
          assert.equal(got.spanId, normalizeSpanId(ref.spanIdStr), label);
          assert.equal(got.traceId.length, traceId128bit ? 32 : 16, label);
          assert.equal(got.flags, ref.flags, label);
          assert.equal(got.isDebug, debug, label);
          assert.equal(got.isSampled, sampled || debug, label);
          assert.equal(got.parentId, '', label);
          assert.deepEqual(got.baggage, SPECIAL_BAGGAGE, label);
        }
      }
    }
  }
});

test('a three-hop trace across both clients keeps one trace id and the baggage', () => {
  const a = codecTracer({ traceId128bit: true });
  const b = referenceTracer();
  const c = codecTracer();
  const root = a.startSpan('a');
  root.setBaggageItem('tenant', 'acme corp');
  const h1: Record<string, unknown> = {};
  a.inject(root, opentracing.FORMAT_HTTP_HEADERS, h1);
  const bSpan = b.startSpan('b', { childOf: b.extract(opentracing.FORMAT_HTTP_HEADERS, h1) });
  const h2: Record<string, unknown> = {};
  b.inject(bSpan.context(), opentracing.FORMAT_HTTP_HEADERS, h2);
  const cSpan = c.startSpan('c', { childOf: c.extract(opentracing.FORMAT_HTTP_HEADERS, h2) ?? undefined });
  const rootCtx = root.context() as JaegerSpanContext;
  const cCtx = cSpan.context() as JaegerSpanContext;
  assert.equal(cCtx.traceId, rootCtx.traceId);
  assert.equal(cCtx.parentId, normalizeSpanId(bSpan.context().spanIdStr));
  assert.equal(normalizeSpanId(bSpan.context().parentIdStr), rootCtx.spanId);
  assert.equal(cSpan.getBaggageItem('tenant'), 'acme corp');
  assert.equal(cCtx.isSampled, true);
});

test('both clients read the same hand-written carriers the same way', () => {
  const carriers: Array<Record<string, unknown>> = [
    { 'uber-trace-id': 'abc:def:0:1' },
    { 'uber-trace-id': '4bf92f3577b34da6a3ce929d0e0e4736%3A00f067aa0ba902b7%3A0%3A3', 'uberctx-x': 'a%2Cb' },
    { 'uber-trace-id': 'abc:def:0:1', 'jaeger-baggage': 'k1=v1,k2=v2' },
    { 'jaeger-debug-id': 'dbg-1', 'uberctx-y': '1' },
    { 'uber-trace-id': 'abc:def:0:1', 'uberctx-p': '100%' },
  ];
  const ours = codecTracer();
  const theirs = referenceTracer();
  for (const carrier of carriers) {
    const label = JSON.stringify(carrier);
    const got = ours.extract(opentracing.FORMAT_HTTP_HEADERS, carrier) as JaegerSpanContext;
    const ref = theirs.extract(opentracing.FORMAT_HTTP_HEADERS, carrier);
    assert.equal(got.isValid, ref.isValid, label);
    if (ref.isValid) {
      assert.equal(got.traceId, normalizeTraceId(ref.traceIdStr), label);
      assert.equal(got.spanId, normalizeSpanId(ref.spanIdStr), label);
      assert.equal(got.flags, ref.flags, label);
    }
    assert.equal(got.debugId, ref.debugId, label);
    assert.deepEqual({ ...got.baggage }, { ...ref.baggage }, label);
  }
});
