import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCodec, type PropagationFormat } from '../../src/codecs/composite';

// Malformed and hostile carriers: every one extracts as null (a new root trace) and none throws.

const T64 = '0af7651916cd43dd';
const T128 = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = 'b7ad6b7169203331';
const HUGE = 'a'.repeat(100 * 1024);
const ALL: PropagationFormat[] = ['jaeger', 'w3c', 'b3', 'b3-single'];

const MALFORMED: Array<[string, Record<string, unknown>]> = [
  ['empty carrier', {}],
  ['uber-trace-id empty', { 'uber-trace-id': '' }],
  ['uber-trace-id bare %', { 'uber-trace-id': '%' }],
  ['uber-trace-id %zz', { 'uber-trace-id': `%zz${T64}:${SPAN}:0:1` }],
  ['uber-trace-id three parts', { 'uber-trace-id': `${T64}:${SPAN}:1` }],
  ['uber-trace-id five parts', { 'uber-trace-id': `${T64}:${SPAN}:0:1:1` }],
  ['uber-trace-id 33-digit trace', { 'uber-trace-id': `1${T128}:${SPAN}:0:1` }],
  ['uber-trace-id 17-digit span', { 'uber-trace-id': `${T64}:1${SPAN}:0:1` }],
  ['uber-trace-id non-hex trace', { 'uber-trace-id': `xyz:${SPAN}:0:1` }],
  ['uber-trace-id zero trace', { 'uber-trace-id': `0:${SPAN}:0:1` }],
  ['uber-trace-id zero span', { 'uber-trace-id': `${T64}:0000:0:1` }],
  ['uber-trace-id empty span', { 'uber-trace-id': `${T64}::0:1` }],
  ['uber-trace-id bad flags', { 'uber-trace-id': `${T64}:${SPAN}:0:zz` }],
  ['uber-trace-id 3-digit flags', { 'uber-trace-id': `${T64}:${SPAN}:0:100` }],
  ['uber-trace-id empty flags', { 'uber-trace-id': `${T64}:${SPAN}:0:` }],
  ['uber-trace-id colons only', { 'uber-trace-id': ':::' }],
  ['uber-trace-id many colons', { 'uber-trace-id': ':'.repeat(5000) }],
  ['uber-trace-id 100 KB', { 'uber-trace-id': `${T64}:${SPAN}:0:1${HUGE}` }],
  ['uber-trace-id a number', { 'uber-trace-id': 12345 }],
  ['uber-trace-id an object', { 'uber-trace-id': { toString: () => `${T64}:${SPAN}:0:1` } }],
  ['uber-trace-id empty array', { 'uber-trace-id': [] }],
  ['uber-trace-id array of numbers', { 'uber-trace-id': [1, 2] }],
  ['uber-trace-id null', { 'uber-trace-id': null }],
  ['uberctx only, 100 KB value', { 'uberctx-a': HUGE }],
  ['uberctx only, number value', { 'uberctx-a': 1 }],
  ['jaeger-debug-id empty', { 'jaeger-debug-id': '' }],
  ['jaeger-debug-id blank', { 'jaeger-debug-id': '   ' }],
  ['jaeger-debug-id 100 KB', { 'jaeger-debug-id': HUGE }],
  ['jaeger-baggage no pairs', { 'jaeger-baggage': 'a,b,,=,=x' }],
  ['jaeger-baggage 100 KB', { 'jaeger-baggage': `k=${HUGE}` }],
  ['traceparent empty', { traceparent: '' }],
  ['traceparent version ff', { traceparent: `ff-${T128}-${SPAN}-01` }],
  ['traceparent 00 with extra part', { traceparent: `00-${T128}-${SPAN}-01-00` }],
  ['traceparent short trace', { traceparent: `00-${T64}-${SPAN}-01` }],
  ['traceparent uppercase', { traceparent: `00-${T128.toUpperCase()}-${SPAN}-01` }],
  ['traceparent zero trace', { traceparent: `00-${'0'.repeat(32)}-${SPAN}-01` }],
  ['traceparent zero span', { traceparent: `00-${T128}-${'0'.repeat(16)}-01` }],
  ['traceparent non-hex flags', { traceparent: `00-${T128}-${SPAN}-0x` }],
  ['traceparent 100 KB', { traceparent: `01-${T128}-${SPAN}-01-${HUGE}` }],
  ['traceparent dashes only', { traceparent: '-'.repeat(55) }],
  ['traceparent percent-encoded', { traceparent: `00%2D${T128}-${SPAN}-01` }],
  ['tracestate without traceparent', { tracestate: 'a=1' }],
  ['baggage no members', { baggage: ',,;;=' }],
  ['baggage 100 KB', { baggage: `k=${HUGE}` }],
  ['baggage bad keys only', { baggage: 'a b=1,(x)=2' }],
  ['b3 multi trace only', { 'x-b3-traceid': T64 }],
  ['b3 multi bad sampled', { 'x-b3-traceid': T64, 'x-b3-spanid': SPAN, 'x-b3-sampled': '2' }],
  ['b3 multi 20-digit trace', { 'x-b3-traceid': `${T64}0000`, 'x-b3-spanid': SPAN }],
  ['b3 multi numbers', { 'x-b3-traceid': 1, 'x-b3-spanid': 2 }],
  ['b3 single 0', { b3: '0' }],
  ['b3 single d', { b3: 'd' }],
  ['b3 single empty', { b3: '' }],
  ['b3 single too many parts', { b3: `${T64}-${SPAN}-1-${SPAN}-1` }],
  ['b3 single bad parent', { b3: `${T64}-${SPAN}-1-xyz` }],
  ['b3 single 100 KB', { b3: `${T64}-${SPAN}-1-${HUGE}` }],
  ['b3 single and multi both malformed', { b3: 'x', 'x-b3-traceid': T64, 'x-b3-spanid': 'x' }],
];

for (const urlEncoding of [false, true]) {
  test(`malformed carriers extract as null (${urlEncoding ? 'HTTP_HEADERS' : 'TEXT_MAP'})`, () => {
    const codec = createCodec(ALL, { urlEncoding });
    for (const [name, carrier] of MALFORMED) {
      let got: unknown = 'threw';
      assert.doesNotThrow(() => { got = codec.extract(carrier); }, name);
      assert.equal(got, null, name);
    }
  });
}

test('each format alone also extracts every malformed carrier as null', () => {
  for (const format of ALL) {
    const codec = createCodec([format], { urlEncoding: true });
    for (const [name, carrier] of MALFORMED) assert.equal(codec.extract(carrier), null, `${format}: ${name}`);
  }
});

// A small deterministic generator: mutations of valid headers plus random junk.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}
const ALPHABET = '0123456789abcdefABCDEF-:%=,; \t\u00e9\ud800x0';

test('fuzz: mutated headers never throw and yield null or canonical ids', () => {
  const rand = lcg(42);
  const seeds: Record<string, string> = {
    'uber-trace-id': `${T64}:${SPAN}:0:1`,
    traceparent: `00-${T128}-${SPAN}-01`,
    tracestate: 'a=1,b=2',
    baggage: 'k=v%20w;p',
    b3: `${T64}-${SPAN}-1-${SPAN}`,
    'x-b3-traceid': T128,
    'x-b3-spanid': SPAN,
    'jaeger-baggage': 'a=1, b=2',
    'uberctx-k': 'v%',
  };
  const codecs = [createCodec(ALL, { urlEncoding: true }), createCodec(ALL, { urlEncoding: false })];
  for (let i = 0; i < 3000; i++) {
    const carrier: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(seeds)) {
      if (rand() < 0.4) continue;
      const chars = value.split('');
      const edits = Math.floor(rand() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rand() * (chars.length + 1));
        const c = ALPHABET[Math.floor(rand() * ALPHABET.length)];
        const op = rand();
        if (op < 0.33) chars.splice(at, 1);
        else if (op < 0.66) chars.splice(at, 0, c);
        else chars[at] = c;
      }
      carrier[rand() < 0.2 ? key.toUpperCase() : key] = chars.join('');
    }
    for (const codec of codecs) {
      const got = codec.extract(carrier);
      if (got === null) continue;
      if (got.isValid) {
        assert.match(got.traceId, /^([0-9a-f]{16}|[0-9a-f]{32})$/, JSON.stringify(carrier));
        assert.match(got.spanId, /^[0-9a-f]{16}$/, JSON.stringify(carrier));
      } else {
        assert.equal(got.traceId, '');
        assert.ok(got.debugId !== '' || got.baggage !== undefined, JSON.stringify(carrier));
      }
      assert.equal(got.isRemote, true);
      assert.equal(got.parentId, '');
    }
  }
});

test('extraction stays linear: a 2000-key carrier with a 100 KB value is fast', () => {
  const carrier: Record<string, unknown> = {};
  for (let i = 0; i < 2000; i++) carrier[`X-Header-${i}`] = HUGE;
  carrier['uberctx-big'] = HUGE;
  const codec = createCodec(ALL, { urlEncoding: true });
  const start = process.hrtime.bigint();
  for (let i = 0; i < 20; i++) assert.equal(codec.extract(carrier), null);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  // Generous bound: catches quadratic behaviour (seconds), not machine speed.
  assert.ok(ms < 2000, `${ms} ms`);
});
