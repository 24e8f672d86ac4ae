import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as opentracing from 'opentracing';
import { JaegerSpanContext } from '../../src/tracer/span-context';
import { DEBUG_FLAG, SAMPLED_FLAG } from '../../src/tracer/constants';
import type { PropagationFormat } from '../../src/codecs/composite';
import { codecTracer, makeContext } from '../helpers/codec-tracer';

// Propagation through the tracer's public API: inject/extract, then spans started from the result.

const HTTP = opentracing.FORMAT_HTTP_HEADERS;
const T64 = '0af7651916cd43dd';
const T128 = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = 'b7ad6b7169203331';

test('a child of an extracted context joins the trace and inherits its sampling decision', () => {
  for (const remoteSampled of [false, true]) {
    // The local sampler says the opposite: the remote decision must win.
    const tracer = codecTracer({ sampled: !remoteSampled });
    const headers = { 'uber-trace-id': `${T128}:${SPAN}:0:${remoteSampled ? 1 : 0}` };
    const remote = tracer.extract(HTTP, headers) as JaegerSpanContext;
    assert.equal(remote.isRemote, true);
    const child = tracer.startSpan('server', { childOf: remote });
    const ctx = child.context() as JaegerSpanContext;
    assert.equal(ctx.traceId, T128);
    assert.equal(ctx.parentId, SPAN);
    assert.notEqual(ctx.spanId, SPAN);
    assert.equal(ctx.isSampled, remoteSampled);
    assert.equal(ctx.isRemote, false);
  }
});

test('the same holds for traceparent and both B3 forms', () => {
  const tracer = codecTracer({ sampled: false, propagation: ['w3c', 'b3'] });
  const carriers = [
    { traceparent: `00-${T128}-${SPAN}-01` },
    { 'x-b3-traceid': T128, 'x-b3-spanid': SPAN, 'x-b3-sampled': '1' },
    { b3: `${T128}-${SPAN}-1` },
  ];
  for (const headers of carriers) {
    const child = tracer.startSpan('server', { childOf: tracer.extract(HTTP, headers) ?? undefined });
    const ctx = child.context() as JaegerSpanContext;
    assert.equal(ctx.traceId, T128, JSON.stringify(headers));
    assert.equal(ctx.parentId, SPAN);
    assert.equal(ctx.isSampled, true);
  }
});

test('a debug-id-only carrier starts a sampled debug root tagged with the id', () => {
  const tracer = codecTracer({ sampled: false });
  const remote = tracer.extract(HTTP, { 'jaeger-debug-id': 'req-42', 'uberctx-user': 'u1' }) as JaegerSpanContext;
  assert.equal(remote.isValid, false);
  const span = tracer.startSpan('server', { childOf: remote });
  const ctx = span.context() as JaegerSpanContext;
  assert.equal(ctx.flags, SAMPLED_FLAG | DEBUG_FLAG);
  assert.equal(ctx.parentId, '');
  assert.notEqual(ctx.traceId, '');
  assert.ok(span.tags.some((t) => t.key === 'jaeger-debug-id' && t.value === 'req-42'));
  assert.equal(span.getBaggageItem('user'), 'u1');
});

test('a baggage-only carrier starts a root the local sampler decides, carrying the baggage', () => {
  const tracer = codecTracer({ sampled: false });
  const span = tracer.startSpan('server', { childOf: tracer.extract(HTTP, { baggage: 'k=v%201' }) ?? undefined });
  assert.equal((span.context() as JaegerSpanContext).isSampled, false);
  assert.equal(span.getBaggageItem('k'), 'v 1');
});

test('a malformed carrier extracts as null and the span is a new root', () => {
  const tracer = codecTracer();
  const remote = tracer.extract(HTTP, { 'uber-trace-id': `${T64}:${SPAN}:0:1`.repeat(2), traceparent: 'x' });
  assert.equal(remote, null);
  assert.equal((tracer.startSpan('x', { childOf: remote ?? undefined }).context() as JaegerSpanContext).parentId, '');
});

test('FORMAT_BINARY inject and extract do nothing and do not throw', () => {
  const tracer = codecTracer();
  const span = tracer.startSpan('x');
  const carrier = { buffer: Buffer.alloc(8) };
  assert.doesNotThrow(() => tracer.inject(span.context(), opentracing.FORMAT_BINARY, carrier));
  assert.deepEqual(carrier.buffer, Buffer.alloc(8));
  assert.equal(tracer.extract(opentracing.FORMAT_BINARY, carrier), null);
});

function injectedKeys(propagation: readonly PropagationFormat[] | undefined): string[] {
  const tracer = codecTracer({ propagation });
  const span = tracer.startSpan('client');
  span.setBaggageItem('k', 'v');
  const carrier: Record<string, unknown> = {};
  tracer.inject(span, HTTP, carrier);
  return Object.keys(carrier).sort();
}

test('the propagation option selects the injected headers (JAEGER_PROPAGATION)', () => {
  assert.deepEqual(injectedKeys(undefined), ['baggage', 'traceparent', 'uber-trace-id', 'uberctx-k']);
  assert.deepEqual(injectedKeys(['b3']), ['x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid']);
  assert.deepEqual(injectedKeys(['b3-single']), ['b3']);
  assert.deepEqual(injectedKeys(['w3c']), ['baggage', 'traceparent']);
  assert.deepEqual(injectedKeys(['jaeger']), ['uber-trace-id', 'uberctx-k']);
  assert.deepEqual(injectedKeys(['b3', 'jaeger']), ['uber-trace-id', 'uberctx-k', 'x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid']);
});

test('the propagation option also limits what is extracted', () => {
  const b3Only = codecTracer({ propagation: ['b3'] });
  assert.equal(b3Only.extract(HTTP, { 'uber-trace-id': `${T64}:${SPAN}:0:1`, traceparent: `00-${T128}-${SPAN}-01` }), null);
  const jaegerOnly = codecTracer({ propagation: ['jaeger'] });
  assert.equal(jaegerOnly.extract(HTTP, { b3: `${T64}-${SPAN}-1` }), null);
});

test('tracestate survives a hop: extracted, inherited by the child, injected downstream', () => {
  const tracer = codecTracer();
  const remote = tracer.extract(HTTP, { traceparent: `00-${T128}-${SPAN}-01`, tracestate: 'vendor=opaque' });
  const child = tracer.startSpan('server', { childOf: remote ?? undefined });
  const out: Record<string, unknown> = {};
  tracer.inject(child, HTTP, out);
  assert.equal(out.tracestate, 'vendor=opaque');
  assert.equal(out.traceparent, `00-${T128}-${(child.context() as JaegerSpanContext).spanId}-01`);
  assert.equal(out['uber-trace-id'], `${T128}:${(child.context() as JaegerSpanContext).spanId}:${SPAN}:1`);
});

test('TEXT_MAP and HTTP_HEADERS differ only in encoding', () => {
  const tracer = codecTracer({ propagation: ['jaeger'] });
  const ctx = makeContext({ baggage: { k: 'a b' } });
  const text: Record<string, unknown> = {};
  const http: Record<string, unknown> = {};
  tracer.inject(ctx, opentracing.FORMAT_TEXT_MAP, text);
  tracer.inject(ctx, HTTP, http);
  assert.equal(text['uberctx-k'], 'a b');
  assert.equal(http['uberctx-k'], 'a%20b');
  assert.equal(text['uber-trace-id'], http['uber-trace-id']);
  const back = tracer.extract(opentracing.FORMAT_TEXT_MAP, text) as JaegerSpanContext;
  assert.equal(back.baggage?.k, 'a b');
});

test('getBaggageItem returns own items only: names of Object.prototype members are not baggage', () => {
  const tracer = codecTracer();
  const span = tracer.startSpan('op');
  span.setBaggageItem('k', 'v');
  assert.equal(span.getBaggageItem('k'), 'v');
  for (const key of ['toString', 'constructor', 'hasOwnProperty', '__proto__']) assert.equal(span.getBaggageItem(key), undefined, key);
});
