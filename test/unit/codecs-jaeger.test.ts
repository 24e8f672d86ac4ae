import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createJaegerCodec, parseTraceState } from '../../src/codecs/jaeger';
import { MAX_BAGGAGE_BYTES, MAX_BAGGAGE_ITEMS } from '../../src/codecs/carrier';
import { DEBUG_FLAG, SAMPLED_FLAG } from '../../src/tracer/constants';
import { makeContext, SPECIAL_BAGGAGE } from '../helpers/codec-tracer';

const text = createJaegerCodec({ urlEncoding: false });
const http = createJaegerCodec({ urlEncoding: true });
const T64 = '0af7651916cd43dd';
const T128 = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = 'b7ad6b7169203331';

test('inject writes trace:span:parent:flags with the parent or 0, and hex flags', () => {
  const carrier: Record<string, unknown> = {};
  text.inject(makeContext({ traceId: T64, spanId: SPAN, flags: 0 }), carrier);
  assert.deepEqual(carrier, { 'uber-trace-id': `${T64}:${SPAN}:0:0` });
  const child: Record<string, unknown> = {};
  http.inject(makeContext({ traceId: T128, parentId: '00000000000000aa', flags: SAMPLED_FLAG | DEBUG_FLAG }), child);
  assert.equal(child['uber-trace-id'], `${T128}:${SPAN}:00000000000000aa:3`);
});

test('baggage is url-encoded for HTTP headers and written as is for TEXT_MAP', () => {
  const ctx = makeContext({ baggage: { k: 'a b=c,%' } });
  const h: Record<string, unknown> = {};
  const t: Record<string, unknown> = {};
  http.inject(ctx, h);
  text.inject(ctx, t);
  assert.equal(h['uberctx-k'], 'a%20b%3Dc%2C%25');
  assert.equal(t['uberctx-k'], 'a b=c,%');
});

test('HTTP inject skips keys that are not header tokens and values that cannot be encoded', () => {
  const ctx = makeContext({ baggage: { 'has space': 'x', 'bad\n': 'y', lone: '\ud800', ok: 'z' } });
  const h: Record<string, unknown> = {};
  http.inject(ctx, h);
  assert.deepEqual(Object.keys(h).sort(), ['uber-trace-id', 'uberctx-ok']);
  const t: Record<string, unknown> = {};
  text.inject(ctx, t);
  assert.equal(t['uberctx-has space'], 'x');
});

test('an invalid context injects its baggage but no uber-trace-id', () => {
  const carrier: Record<string, unknown> = {};
  text.inject(makeContext({ traceId: '', spanId: '', baggage: { a: '1' } }), carrier);
  assert.deepEqual(carrier, { 'uberctx-a': '1' });
});

test('round trip: both carriers, 64/128-bit ids, every flag combination, special baggage', () => {
  for (const codec of [text, http]) {
    for (const traceId of [T64, T128]) {
      for (const flags of [0, SAMPLED_FLAG, SAMPLED_FLAG | DEBUG_FLAG]) {
        const carrier: Record<string, unknown> = {};
        codec.inject(makeContext({ traceId, flags, parentId: '0000000000000abc', baggage: { ...SPECIAL_BAGGAGE } }), carrier);
        const got = codec.extract(carrier);
        assert.ok(got);
        assert.equal(got.traceId, traceId);
        assert.equal(got.spanId, SPAN);
        assert.equal(got.parentId, '');
        assert.equal(got.flags, flags);
        assert.equal(got.isRemote, true);
        assert.deepEqual(got.baggage, SPECIAL_BAGGAGE);
      }
    }
  }
});

test('extract accepts 1–32 digit trace ids, uppercase hex, and normalises them', () => {
  assert.deepEqual(parseTraceState('1:2:0:1'), { traceId: '0000000000000001', spanId: '0000000000000002', flags: 1 });
  assert.equal(parseTraceState(`ABC:${SPAN.toUpperCase()}:0:1`)?.traceId, '0000000000000abc');
  assert.equal(parseTraceState(`0000000000000000${T64}:${SPAN}:0:1`)?.traceId, T64);
  assert.equal(parseTraceState(`abc${T64}:${SPAN}:0:1`)?.traceId, `0000000000000abc${T64}`);
  assert.equal(parseTraceState(`${T64}:${SPAN}:0:ff`)?.flags, 0xff);
});

test('the deprecated parent field is ignored but must be present', () => {
  assert.equal(parseTraceState(`${T64}:${SPAN}:not-hex:1`)?.spanId, SPAN);
  assert.equal(parseTraceState(`${T64}:${SPAN}::1`)?.spanId, SPAN);
  assert.equal(parseTraceState(`${T64}:${SPAN}:1`), null);
  assert.equal(parseTraceState(`${T64}:${SPAN}:0:1:0`), null);
});

test('HTTP values may arrive url-encoded; TEXT_MAP values are taken literally', () => {
  const encoded = { 'uber-trace-id': `${T64}%3A${SPAN}%3A0%3A1` };
  assert.equal(http.extract(encoded)?.traceId, T64);
  assert.equal(text.extract(encoded), null);
  const t = text.extract({ 'uber-trace-id': `${T64}:${SPAN}:0:1`, 'uberctx-k': 'a%20b' });
  assert.equal(t?.baggage?.k, 'a%20b');
});

test('a malformed percent sequence in a value is kept as is, never thrown', () => {
  const got = http.extract({ 'uber-trace-id': `${T64}:${SPAN}:0:1`, 'uberctx-a': '100%', 'uberctx-b': '%zz%E0%A4%A' });
  assert.deepEqual(got?.baggage, { a: '100%', b: '%zz%E0%A4%A' });
  assert.equal(http.extract({ 'uber-trace-id': '%' }), null);
  assert.equal(http.extract({ 'uber-trace-id': `${T64}%3G${SPAN}%3A0%3A1` }), null);
});

test('header names match case-insensitively; baggage keys keep the case they arrived in', () => {
  const got = text.extract({ 'Uber-Trace-Id': `${T64}:${SPAN}:0:1`, 'UberCtx-UserId': 'u1', 'JAEGER-DEBUG-ID': 'd' });
  assert.equal(got?.traceId, T64);
  assert.deepEqual(got?.baggage, { UserId: 'u1' });
  assert.equal(got?.debugId, 'd');
});

test('array values (repeated headers) use the first element', () => {
  const got = http.extract({ 'uber-trace-id': [`${T64}:${SPAN}:0:1`, `${T128}:${SPAN}:0:0`], 'uberctx-a': ['1', '2'] });
  assert.equal(got?.traceId, T64);
  assert.equal(got?.flags, 1);
  assert.deepEqual(got?.baggage, { a: '1' });
});

test('jaeger-debug-id alone gives a context without a trace that carries the id', () => {
  const got = http.extract({ 'jaeger-debug-id': 'my%20debug' });
  assert.ok(got);
  assert.equal(got.traceId, '');
  assert.equal(got.isValid, false);
  assert.equal(got.debugId, 'my debug');
  assert.equal(got.isRemote, true);
});

test('jaeger-debug-id next to a valid trace keeps the trace', () => {
  const got = text.extract({ 'uber-trace-id': `${T64}:${SPAN}:0:0`, 'jaeger-debug-id': 'x' });
  assert.equal(got?.traceId, T64);
  assert.equal(got?.flags, 0);
  assert.equal(got?.debugId, 'x');
});

test('jaeger-debug-id next to a malformed trace still asks for a debug trace', () => {
  const got = text.extract({ 'uber-trace-id': 'garbage', 'jaeger-debug-id': 'x' });
  assert.equal(got?.isValid, false);
  assert.equal(got?.debugId, 'x');
});

test('jaeger-baggage adds baggage with or without a trace; uberctx-* wins a clash', () => {
  const alone = http.extract({ 'jaeger-baggage': 'k1=v1, k2 = v%202 ,bad, =nokey,a=b=c,k3=' });
  assert.equal(alone?.isValid, false);
  assert.deepEqual(alone?.baggage, { k1: 'v1', k2: 'v 2', k3: '' });
  const both = text.extract({ 'uber-trace-id': `${T64}:${SPAN}:0:1`, 'jaeger-baggage': 'k=list,j=1', 'uberctx-k': 'item' });
  assert.deepEqual(both?.baggage, { k: 'item', j: '1' });
});

test('nothing of the format gives null; so does uberctx- with an empty key', () => {
  assert.equal(text.extract({}), null);
  assert.equal(text.extract({ traceparent: 'x', other: 'y' }), null);
  assert.equal(text.extract({ 'uberctx-': 'v' }), null);
});

test(`baggage stops at ${MAX_BAGGAGE_ITEMS} items and never crashes on a huge carrier`, () => {
  const carrier: Record<string, unknown> = { 'uber-trace-id': `${T64}:${SPAN}:0:1` };
  for (let i = 0; i < 5000; i++) carrier[`uberctx-k${i}`] = 'v';
  const got = text.extract(carrier);
  assert.equal(Object.keys(got?.baggage ?? {}).length, MAX_BAGGAGE_ITEMS);
  assert.equal(got?.baggage?.k0, 'v');
});

test(`baggage stops at ${MAX_BAGGAGE_BYTES} bytes of keys and values`, () => {
  const carrier: Record<string, unknown> = {};
  for (let i = 0; i < 10; i++) carrier[`uberctx-k${i}`] = 'v'.repeat(8000);
  carrier['uberctx-small'] = 'fits';
  const got = text.extract(carrier);
  assert.deepEqual(Object.keys(got?.baggage ?? {}), ['k0', 'small']);
});

test('__proto__ baggage keys are dropped without using up the item budget', () => {
  const carrier = JSON.parse(`{"uberctx-__proto__": "x", "uberctx-ok": "1", "uber-trace-id": "${T64}:${SPAN}:0:1"}`);
  const got = text.extract(carrier);
  assert.deepEqual(got?.baggage, { ok: '1' });
  assert.equal(Object.getPrototypeOf(got?.baggage), Object.prototype);
  const list = `${'__proto__=x,'.repeat(MAX_BAGGAGE_ITEMS)}real=1`;
  assert.deepEqual(text.extract({ 'jaeger-baggage': list })?.baggage, { real: '1' });
});
