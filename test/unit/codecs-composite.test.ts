import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCodec, type PropagationFormat } from '../../src/codecs/composite';
import { SAMPLED_FLAG, DEBUG_FLAG } from '../../src/tracer/constants';
import { makeContext } from '../helpers/codec-tracer';

const T64 = '0af7651916cd43dd';
const T128 = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = 'b7ad6b7169203331';
const SPAN2 = '00f067aa0ba902b7';
const ALL: PropagationFormat[] = ['jaeger', 'w3c', 'b3', 'b3-single'];

function injected(formats: PropagationFormat[], urlEncoding = true): string[] {
  const carrier: Record<string, unknown> = {};
  const ctx = makeContext({ traceId: T64, spanId: SPAN, parentId: SPAN2, baggage: { k: 'v' } });
  createCodec(formats, { urlEncoding }).inject(ctx, carrier);
  return Object.keys(carrier).sort();
}

test('each selection injects exactly its own headers', () => {
  assert.deepEqual(injected(['jaeger']), ['uber-trace-id', 'uberctx-k']);
  assert.deepEqual(injected(['w3c']), ['baggage', 'traceparent']);
  assert.deepEqual(injected(['b3']), ['x-b3-parentspanid', 'x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid']);
  assert.deepEqual(injected(['b3-single']), ['b3']);
  assert.deepEqual(injected(['jaeger', 'w3c']), ['baggage', 'traceparent', 'uber-trace-id', 'uberctx-k']);
  assert.equal(injected(ALL).length, 9);
  assert.deepEqual(injected([]), []);
});

test('unknown and repeated format names are ignored', () => {
  const formats = ['zipkin', 'jaeger', 'jaeger', 'W3C'] as unknown as PropagationFormat[];
  assert.deepEqual(injected(formats), ['uber-trace-id', 'uberctx-k']);
  const codec = createCodec(formats, { urlEncoding: true });
  assert.equal(codec.extract({ traceparent: `00-${T128}-${SPAN}-01` }), null);
});

test('extract takes the first valid context in format order', () => {
  const carrier = { 'uber-trace-id': `${T64}:${SPAN}:0:0`, traceparent: `00-${T128}-${SPAN2}-01` };
  const jaegerFirst = createCodec(['jaeger', 'w3c'], { urlEncoding: true }).extract(carrier);
  assert.equal(jaegerFirst?.traceId, T64);
  assert.equal(jaegerFirst?.flags, 0);
  const w3cFirst = createCodec(['w3c', 'jaeger'], { urlEncoding: true }).extract(carrier);
  assert.equal(w3cFirst?.traceId, T128);
  assert.equal(w3cFirst?.spanId, SPAN2);
  assert.equal(w3cFirst?.flags, SAMPLED_FLAG);
});

test('a malformed first format falls through to the next valid one', () => {
  const codec = createCodec(['jaeger', 'w3c', 'b3'], { urlEncoding: true });
  const got = codec.extract({ 'uber-trace-id': 'bad', traceparent: `ff-${T128}-${SPAN}-01`, 'x-b3-traceid': T64, 'x-b3-spanid': SPAN2, 'x-b3-sampled': '1' });
  assert.equal(got?.traceId, T64);
  assert.equal(got?.spanId, SPAN2);
  assert.equal(got?.flags, SAMPLED_FLAG);
});

test('baggage and the debug id from every format merge onto the winner; its own items win', () => {
  const codec = createCodec(['jaeger', 'w3c'], { urlEncoding: true });
  const got = codec.extract({
    traceparent: `00-${T128}-${SPAN}-01`,
    baggage: 'shared=w3c,w=1',
    'jaeger-baggage': 'shared=jaeger,j=2',
    'uberctx-u': '3',
    'jaeger-debug-id': 'dbg',
  });
  assert.equal(got?.traceId, T128);
  assert.deepEqual(got?.baggage, { shared: 'w3c', w: '1', u: '3', j: '2' });
  assert.equal(got?.debugId, 'dbg');
  assert.equal(got?.isRemote, true);
  assert.equal(got?.parentId, '');
});

test('formats after the winner still contribute their baggage', () => {
  const codec = createCodec(['w3c', 'jaeger'], { urlEncoding: false });
  const got = codec.extract({
    traceparent: `00-${T128}-${SPAN}-01`,
    baggage: 'shared=w3c',
    'uber-trace-id': `${T64}:${SPAN2}:0:1`,
    'uberctx-shared': 'jaeger',
    'uberctx-only': 'j',
  });
  assert.equal(got?.traceId, T128);
  assert.deepEqual(got?.baggage, { shared: 'w3c', only: 'j' });
});

test('the winner comes back unchanged when the others add nothing new', () => {
  const codec = createCodec(['jaeger', 'w3c'], { urlEncoding: true });
  const carrier: Record<string, unknown> = {};
  codec.inject(makeContext({ traceId: T64, spanId: SPAN, baggage: { a: '1', b: 'x y' } }), carrier);
  const got = codec.extract(carrier);
  assert.deepEqual(got?.baggage, { a: '1', b: 'x y' });
  assert.equal(got?.traceState, '');
});

test('without any valid trace, baggage and debug id still come through', () => {
  const codec = createCodec(['w3c', 'jaeger', 'b3'], { urlEncoding: true });
  const got = codec.extract({ 'jaeger-debug-id': 'abc', baggage: 'a=1', 'uberctx-b': '2', b3: '0' });
  assert.ok(got);
  assert.equal(got.isValid, false);
  assert.equal(got.traceId, '');
  assert.equal(got.debugId, 'abc');
  assert.deepEqual(got.baggage, { a: '1', b: '2' });
  assert.equal(codec.extract({ b3: '1', other: 'x' }), null);
});

test('flags are passed through as received', () => {
  const codec = createCodec(['jaeger'], { urlEncoding: false });
  assert.equal(codec.extract({ 'uber-trace-id': `${T64}:${SPAN}:0:3` })?.flags, SAMPLED_FLAG | DEBUG_FLAG);
  assert.equal(codec.extract({ 'uber-trace-id': `${T64}:${SPAN}:0:9` })?.flags, 9);
});

test('headers match in any case; the lowercase key wins when both are present', () => {
  const codec = createCodec(ALL, { urlEncoding: false });
  assert.equal(codec.extract({ TraceParent: `00-${T128}-${SPAN}-01` })?.traceId, T128);
  assert.equal(codec.extract({ 'UBER-TRACE-ID': `${T64}:${SPAN}:0:1` })?.traceId, T64);
  assert.equal(codec.extract({ B3: `${T64}-${SPAN}-1` })?.traceId, T64);
  const both = codec.extract({ 'Uber-Trace-Id': `${T128}:${SPAN}:0:1`, 'uber-trace-id': `${T64}:${SPAN}:0:1` });
  assert.equal(both?.traceId, T64);
});

test('values of unrelated keys are never read', () => {
  const read: string[] = [];
  const target: Record<string, unknown> = { 'uber-trace-id': `${T64}:${SPAN}:0:1`, cookie: 'secret', Host: 'x' };
  const carrier = new Proxy(target, {
    get(t, key) {
      if (typeof key === 'string') read.push(key);
      return Reflect.get(t, key);
    },
  });
  const got = createCodec(ALL, { urlEncoding: true }).extract(carrier);
  assert.equal(got?.traceId, T64);
  assert.ok(!read.includes('cookie'), read.join());
  assert.ok(!read.includes('Host'), read.join());
});

test('throwing getters and carriers are contained', () => {
  const codec = createCodec(ALL, { urlEncoding: true });
  const hostile = new Proxy({}, {
    get() { throw new Error('boom'); },
    ownKeys() { throw new Error('boom'); },
  });
  assert.equal(codec.extract(hostile), null);
  const getter = Object.defineProperty({}, 'uber-trace-id', { enumerable: true, get() { throw new Error('x'); } });
  assert.equal(codec.extract(getter), null);
  assert.equal(codec.extract(null as never), null);
  assert.equal(codec.extract('uber-trace-id' as never), null);
});

test('inject into a frozen or throwing carrier does not throw', () => {
  const codec = createCodec(ALL, { urlEncoding: true });
  const ctx = makeContext({ baggage: { a: '1' } });
  assert.doesNotThrow(() => codec.inject(ctx, Object.freeze({}) as Record<string, unknown>));
  const setterThrows = new Proxy({}, { set() { throw new Error('no'); } });
  assert.doesNotThrow(() => codec.inject(ctx, setterThrows));
  const partial: Record<string, unknown> = {};
  Object.defineProperty(partial, 'uber-trace-id', { set() { throw new Error('no'); } });
  codec.inject(ctx, partial);
  assert.equal(partial.traceparent, `00-0000000000000000${T64}-${'b7ad6b7169203331'}-01`);
});

test('the first-letter pre-check never turns away a carrier the full read would use', () => {
  // The same headers in a plain object (pre-checked) and in a class instance (never pre-checked,
  // always read in full) must extract alike, for every format selection and header spelling.
  class Headers {}
  const inFull = (h: Record<string, unknown>) => Object.assign(new Headers(), h) as Record<string, unknown>;
  const t64 = `${T64}:${SPAN}:0:1`;
  const carriers: Array<Record<string, unknown>> = [
    {}, { host: 'x', accept: '*/*' }, { 'Uber-Trace-Id': t64 }, { 'uber-trace-id': t64 }, { 'UBERCTX-K': 'v' },
    { 'jaeger-debug-id': 'dbg' }, { 'Jaeger-Baggage': 'a=1' }, { traceparent: `00-${T128}-${SPAN}-01` },
    { TraceParent: `00-${T128}-${SPAN}-01`, tracestate: 'a=b' }, { Baggage: 'k=v' }, { b3: `${T64}-${SPAN}-1` },
    { 'X-B3-TraceId': T64, 'X-B3-SpanId': SPAN, 'x-b3-sampled': '1' }, { 'x-b3-flags': '1' },
    { host: 'x', 'content-type': 'a', 'user-agent': 'u', 'uberctx-user': 'alice' },
  ];
  const selections: PropagationFormat[][] = [['jaeger'], ['w3c'], ['b3'], ['b3-single'], ALL];
  for (const formats of selections) {
    const codec = createCodec(formats, { urlEncoding: true });
    for (const carrier of carriers) {
      assert.deepEqual(codec.extract(carrier), codec.extract(inFull(carrier)), `${formats} ${JSON.stringify(carrier)}`);
    }
  }
  // Headers that none of the formats read: nothing, and cheaply (no reader is even made).
  assert.equal(createCodec(ALL, { urlEncoding: true }).extract({ host: 'x', accept: '*/*', cookie: 'a' }), null);
});
