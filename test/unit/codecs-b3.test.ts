import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createB3Codec, parseSingle } from '../../src/codecs/b3';
import { DEBUG_FLAG, SAMPLED_FLAG } from '../../src/tracer/constants';
import { makeContext } from '../helpers/codec-tracer';

const multi = createB3Codec({ single: false });
const single = createB3Codec({ single: true });
const T64 = '463ac35c9f6413ad';
const T128 = '463ac35c9f6413ad48485a3953bb6124';
const SPAN = 'a2fb4a1d1a96d312';
const PARENT = '0020000000000001';
const DEBUG = SAMPLED_FLAG | DEBUG_FLAG;

test('multi inject: ids, parent when known, sampled 1/0, debug as X-B3-Flags without X-B3-Sampled', () => {
  const a: Record<string, unknown> = {};
  multi.inject(makeContext({ traceId: T128, spanId: SPAN, parentId: PARENT, flags: SAMPLED_FLAG }), a);
  assert.deepEqual(a, { 'x-b3-traceid': T128, 'x-b3-spanid': SPAN, 'x-b3-parentspanid': PARENT, 'x-b3-sampled': '1' });
  const b: Record<string, unknown> = {};
  multi.inject(makeContext({ traceId: T64, spanId: SPAN, flags: 0 }), b);
  assert.deepEqual(b, { 'x-b3-traceid': T64, 'x-b3-spanid': SPAN, 'x-b3-sampled': '0' });
  const c: Record<string, unknown> = {};
  multi.inject(makeContext({ traceId: T64, spanId: SPAN, flags: DEBUG }), c);
  assert.deepEqual(c, { 'x-b3-traceid': T64, 'x-b3-spanid': SPAN, 'x-b3-flags': '1' });
});

test('single inject: trace-span-sampled[-parent], d for debug', () => {
  const cases: Array<[number, string, string]> = [
    [SAMPLED_FLAG, PARENT, `${T64}-${SPAN}-1-${PARENT}`],
    [0, '', `${T64}-${SPAN}-0`],
    [DEBUG, '', `${T64}-${SPAN}-d`],
  ];
  for (const [flags, parentId, expected] of cases) {
    const carrier: Record<string, unknown> = {};
    single.inject(makeContext({ traceId: T64, spanId: SPAN, flags, parentId }), carrier);
    assert.deepEqual(carrier, { b3: expected });
  }
});

test('B3 carries no baggage and an invalid context injects nothing', () => {
  const carrier: Record<string, unknown> = {};
  multi.inject(makeContext({ traceId: '', spanId: '', baggage: { a: '1' } }), carrier);
  single.inject(makeContext({ baggage: { a: '1' } }), carrier);
  assert.deepEqual(Object.keys(carrier), ['b3']);
});

test('round trip through either form, read by either codec', () => {
  for (const injector of [multi, single]) {
    for (const extractor of [multi, single]) {
      for (const traceId of [T64, T128]) {
        for (const flags of [0, SAMPLED_FLAG, DEBUG]) {
          const carrier: Record<string, unknown> = {};
          injector.inject(makeContext({ traceId, spanId: SPAN, parentId: PARENT, flags }), carrier);
          const got = extractor.extract(carrier);
          assert.equal(got?.traceId, traceId);
          assert.equal(got?.spanId, SPAN);
          assert.equal(got?.parentId, '');
          assert.equal(got?.flags, flags);
          assert.equal(got?.isRemote, true);
        }
      }
    }
  }
});

test('multi extract: true/false from old senders, flags 1 is debug, no decision joins unsampled', () => {
  const ids = { 'x-b3-traceid': T64, 'x-b3-spanid': SPAN };
  assert.equal(multi.extract({ ...ids, 'x-b3-sampled': 'true' })?.flags, SAMPLED_FLAG);
  assert.equal(multi.extract({ ...ids, 'x-b3-sampled': 'false' })?.flags, 0);
  assert.equal(multi.extract({ ...ids, 'x-b3-sampled': '0', 'x-b3-flags': '1' })?.flags, DEBUG);
  assert.equal(multi.extract({ ...ids, 'x-b3-flags': '0', 'x-b3-sampled': '1' })?.flags, SAMPLED_FLAG);
  assert.equal(multi.extract(ids)?.flags, 0);
  assert.equal(multi.extract({ ...ids, 'x-b3-sampled': 'yes' }), null);
});

test('multi extract: canonical mixed-case names from a TEXT_MAP carrier', () => {
  const got = multi.extract({ 'X-B3-TraceId': T128.toUpperCase(), 'X-B3-SpanId': SPAN, 'X-B3-Sampled': '1' });
  assert.equal(got?.traceId, T128);
  assert.equal(got?.flags, SAMPLED_FLAG);
});

test('multi extract: ids must be 16/32 and 16 hex digits, not zero, and both present', () => {
  const bad = [
    { 'x-b3-traceid': T64 },
    { 'x-b3-spanid': SPAN },
    { 'x-b3-traceid': T64.slice(1), 'x-b3-spanid': SPAN },
    { 'x-b3-traceid': `${T64}0`, 'x-b3-spanid': SPAN },
    { 'x-b3-traceid': T64, 'x-b3-spanid': SPAN.slice(2) },
    { 'x-b3-traceid': '0'.repeat(32), 'x-b3-spanid': SPAN },
    { 'x-b3-traceid': T64, 'x-b3-spanid': '0'.repeat(16) },
    { 'x-b3-traceid': `zz${T64.slice(2)}`, 'x-b3-spanid': SPAN },
  ];
  for (const carrier of bad) assert.equal(multi.extract(carrier), null, JSON.stringify(carrier));
});

test('single extract: optional sampled and parent parts', () => {
  assert.equal(parseSingle(`${T64}-${SPAN}`)?.flags, 0);
  assert.equal(parseSingle(`${T128}-${SPAN}-1`)?.traceId, T128);
  assert.equal(parseSingle(`${T64}-${SPAN}-d-${PARENT}`)?.flags, DEBUG);
  assert.equal(parseSingle(`${T64}-${SPAN}-0-${PARENT}`)?.flags, 0);
});

test('single extract: sampling-only values name no span and give null', () => {
  for (const v of ['0', '1', 'd', '']) assert.equal(parseSingle(v), null, v);
  assert.equal(single.extract({ b3: '0' }), null);
});

test('single extract: malformed values give null', () => {
  const bad = [
    `${T64}-${SPAN}-x`,
    `${T64}-${SPAN}-`,
    `${T64}-${SPAN}-1-${PARENT}-extra`,
    `${T64}-${SPAN}-1-bad`,
    `${T64}-${SPAN}-1-${'0'.repeat(16)}`,
    `${T64.slice(3)}-${SPAN}-1`,
    `${T64}-${SPAN}0-1`,
    `${T64}${SPAN}`,
    `${T64}-${SPAN}-1-${PARENT}`.repeat(100),
  ];
  for (const v of bad) assert.equal(parseSingle(v), null, v);
});

test('a malformed single header falls back to the multi headers', () => {
  const got = single.extract({ b3: '0', 'x-b3-traceid': T64, 'x-b3-spanid': SPAN, 'x-b3-sampled': '1' });
  assert.equal(got?.traceId, T64);
  assert.equal(got?.flags, SAMPLED_FLAG);
});

test('the single header wins over the multi headers when both are present', () => {
  const got = multi.extract({ b3: `${T128}-${SPAN}-1`, 'x-b3-traceid': T64, 'x-b3-spanid': SPAN, 'x-b3-sampled': '0' });
  assert.equal(got?.traceId, T128);
  assert.equal(got?.flags, SAMPLED_FLAG);
});
