import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createW3cCodec, parseBaggage, parseTraceparent, serializeBaggage, validTraceState } from '../../src/codecs/w3c';
import { BaggageBuilder, MAX_BAGGAGE_ITEMS } from '../../src/codecs/carrier';
import { DEBUG_FLAG, SAMPLED_FLAG } from '../../src/tracer/constants';
import { makeContext, SPECIAL_BAGGAGE } from '../helpers/codec-tracer';

const w3c = createW3cCodec();
const T128 = '4bf92f3577b34da6a3ce929d0e0e4736';
const T64 = '0af7651916cd43dd';
const SPAN = '00f067aa0ba902b7';
const SPEC_EXAMPLE = `00-${T128}-${SPAN}-01`;

function bag(header: string): Record<string, string> | undefined {
  const b = new BaggageBuilder();
  parseBaggage(header, b);
  return b.items;
}

test('inject pads a 64-bit trace id to 32 digits and maps sampled to 01', () => {
  const carrier: Record<string, unknown> = {};
  w3c.inject(makeContext({ traceId: T64, spanId: SPAN, flags: SAMPLED_FLAG }), carrier);
  assert.deepEqual(carrier, { traceparent: `00-0000000000000000${T64}-${SPAN}-01` });
});

test('inject: unsampled is 00, debug is sent as sampled, tracestate is passed on', () => {
  const a: Record<string, unknown> = {};
  w3c.inject(makeContext({ traceId: T128, spanId: SPAN, flags: 0 }), a);
  assert.equal(a.traceparent, `00-${T128}-${SPAN}-00`);
  assert.equal(a.tracestate, undefined);
  const b: Record<string, unknown> = {};
  w3c.inject(makeContext({ traceId: T128, spanId: SPAN, flags: SAMPLED_FLAG | DEBUG_FLAG, traceState: 'k=v' }), b);
  assert.equal(b.traceparent, SPEC_EXAMPLE);
  assert.equal(b.tracestate, 'k=v');
});

test('the spec example extracts, and a zero high half folds to a 64-bit id', () => {
  assert.deepEqual(parseTraceparent(SPEC_EXAMPLE), { traceId: T128, spanId: SPAN, flags: SAMPLED_FLAG });
  assert.equal(parseTraceparent(`00-0000000000000000${T64}-${SPAN}-00`)?.traceId, T64);
  assert.equal(parseTraceparent(`  ${SPEC_EXAMPLE} `)?.spanId, SPAN);
});

test('only the sampled bit is read: W3C 0x02 (random) is not our debug bit', () => {
  assert.equal(parseTraceparent(`00-${T128}-${SPAN}-02`)?.flags, 0);
  assert.equal(parseTraceparent(`00-${T128}-${SPAN}-03`)?.flags, SAMPLED_FLAG);
  assert.equal(parseTraceparent(`00-${T128}-${SPAN}-ff`)?.flags, SAMPLED_FLAG);
});

test('versions: ff is invalid, 00 must be exact, later versions may append fields', () => {
  assert.equal(parseTraceparent(`ff-${T128}-${SPAN}-01`), null);
  assert.equal(parseTraceparent(`00-${T128}-${SPAN}-01-extra`), null);
  assert.equal(parseTraceparent(`00-${T128}-${SPAN}-01-`), null);
  assert.equal(parseTraceparent(`01-${T128}-${SPAN}-01-future-fields`)?.traceId, T128);
  assert.equal(parseTraceparent(`cc-${T128}-${SPAN}-01`)?.traceId, T128);
  assert.equal(parseTraceparent(`01-${T128}-${SPAN}-01x`), null);
  assert.equal(parseTraceparent(`0g-${T128}-${SPAN}-01`), null);
});

test('ids must be exact-length lowercase hex and not all zeros', () => {
  const bad = [
    `00-${T128.toUpperCase()}-${SPAN}-01`,
    `00-${T128}-${SPAN.toUpperCase().replace('0', 'A')}-01`,
    `00-${T128}-${SPAN}-0A`,
    `00-${'0'.repeat(32)}-${SPAN}-01`,
    `00-${T128}-${'0'.repeat(16)}-01`,
    `00-${T128.slice(1)}-${SPAN}-01`,
    `00-${T128}x-${SPAN}-01`,
    `00-${T128}-${SPAN}1-01`,
    `00_${T128}_${SPAN}_01`,
    `00-${T128}-${SPAN}-1`,
    '',
  ];
  for (const header of bad) assert.equal(parseTraceparent(header), null, header);
});

test('tracestate is passed on within 32 members, cut to 512 characters, else dropped whole', () => {
  const members = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v`).join(',');
  assert.equal(validTraceState(members(32)), members(32));
  assert.equal(validTraceState(members(33)), '');
  // Long lists are cut: members over 128 characters go first, then members from the end.
  const long = `a=${'x'.repeat(200)}`;
  const mid = (c: string) => `${c}=${'y'.repeat(100)}`;
  assert.equal(validTraceState([long, mid('b'), mid('c'), mid('d'), mid('e'), mid('f')].join(',')),
    [mid('b'), mid('c'), mid('d'), mid('e')].join(','));
  assert.equal(validTraceState(`a=${'x'.repeat(257)}`), '');
  assert.equal(validTraceState('a=1, ,b=2'), 'a=1,b=2');
  assert.equal(validTraceState('a=1,novalue'), '');
  assert.equal(validTraceState('a=1\nb=2'), '');
});

test('tracestate is read only with a valid traceparent; repeated headers are joined', () => {
  const got = w3c.extract({ traceparent: SPEC_EXAMPLE, tracestate: ['a=1', 'b=2'] });
  assert.equal(got?.traceState, 'a=1,b=2');
  assert.equal(w3c.extract({ traceparent: 'bad', tracestate: 'a=1' }), null);
  const oversized = w3c.extract({ traceparent: SPEC_EXAMPLE, tracestate: `a=${'x'.repeat(600)}` });
  assert.equal(oversized?.traceState, '');
  assert.equal(oversized?.traceId, T128);
});

test('W3C baggage: properties dropped, whitespace trimmed, values percent-decoded', () => {
  assert.deepEqual(bag('k1=v1, k2 = v%202 ;prop=1;flag ,k3=%E2%9C%93'), { k1: 'v1', k2: 'v 2', k3: '✓' });
  assert.deepEqual(bag('bad%=100%,ok=%zz,noeq,=v, sp ace=1'), { 'bad%': '100%', ok: '%zz' });
  assert.equal(bag(''), undefined);
});

test(`W3C baggage keeps the first ${MAX_BAGGAGE_ITEMS} members; a header over 8192 bytes is ignored`, () => {
  const many = Array.from({ length: 200 }, (_, i) => `k${i}=v`).join(',');
  const got = bag(many);
  assert.equal(Object.keys(got ?? {}).length, MAX_BAGGAGE_ITEMS);
  assert.equal(got?.[`k${MAX_BAGGAGE_ITEMS - 1}`], 'v');
  assert.equal(w3c.extract({ baggage: `a=${'x'.repeat(8191)}` }), null);
  assert.deepEqual(w3c.extract({ baggage: `a=${'x'.repeat(8188)}` })?.baggage, { a: 'x'.repeat(8188) });
});

test('serializeBaggage encodes keys and values and stays within the W3C limits', () => {
  assert.equal(serializeBaggage({ 'a b': 'x,y', 'k(1)': '%' }), 'a%20b=x%2Cy,k%281%29=%25');
  const big: Record<string, string> = {};
  for (let i = 0; i < 300; i++) big[`k${i}`] = 'v'.repeat(100);
  const header = serializeBaggage(big);
  assert.ok(header.length <= 8192);
  assert.ok(header.split(',').length <= 180);
  assert.equal(serializeBaggage({ lone: '\ud800', ok: '1' }), 'ok=1');
});

test('round trip: 64/128-bit ids, sampled/unsampled/debug, special baggage, tracestate', () => {
  for (const traceId of [T64, T128]) {
    for (const [flags, expected] of [[0, 0], [SAMPLED_FLAG, SAMPLED_FLAG], [SAMPLED_FLAG | DEBUG_FLAG, SAMPLED_FLAG]]) {
      const carrier: Record<string, unknown> = {};
      const baggage = { ...SPECIAL_BAGGAGE, 'key with space': 'v', 'k%41': 'literal percent key' };
      w3c.inject(makeContext({ traceId, spanId: SPAN, flags, baggage, traceState: 'vendor=abc' }), carrier);
      const got = w3c.extract(carrier);
      assert.equal(got?.traceId, traceId);
      assert.equal(got?.spanId, SPAN);
      assert.equal(got?.flags, expected);
      assert.equal(got?.traceState, 'vendor=abc');
      assert.equal(got?.isRemote, true);
      assert.deepEqual(got?.baggage, baggage);
    }
  }
});

test('baggage without a traceparent yields a context without a trace', () => {
  const got = w3c.extract({ baggage: 'a=1' });
  assert.equal(got?.isValid, false);
  assert.deepEqual(got?.baggage, { a: '1' });
  assert.equal(w3c.extract({ traceparent: `ff-${T128}-${SPAN}-01` }), null);
});
