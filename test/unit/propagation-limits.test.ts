import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as opentracing from 'opentracing';
import type { JaegerSpanContext } from '../../src/tracer/span-context';
import { DEBUG_FLAG, SAMPLED_FLAG } from '../../src/tracer/constants';
import { utf8Bytes } from '../../src/codecs/carrier';
import { parseEnv } from '../../src/config/from-env';
import { initTracerFromEnv } from '../../src/config/build';
import { propagationTracer } from '../helpers/propagation';

// Hostile amounts of baggage, baggage that decodes to CR/LF/NUL, and clients forcing debug traces.

const T64 = '0af7651916cd43dd';
const SPAN = 'b7ad6b7169203331';
const MB = 'v'.repeat(1024 * 1024);
const HTTP = opentracing.FORMAT_HTTP_HEADERS;
const TEXT = opentracing.FORMAT_TEXT_MAP;

function size(baggage: Readonly<Record<string, string>> | undefined): { items: number; bytes: number } {
  let items = 0;
  let bytes = 0;
  for (const k of Object.keys(baggage ?? {})) {
    items++;
    bytes += utf8Bytes(k) + utf8Bytes((baggage as Record<string, string>)[k]);
  }
  return { items, bytes };
}

test('a 10,000-key uberctx flood keeps 64 items and counts the rest it read; one warning', () => {
  const { tracer, warnings } = propagationTracer();
  const carrier: Record<string, string> = { 'uber-trace-id': `${T64}:${SPAN}:0:1` };
  for (let i = 0; i < 10_000; i++) carrier[`uberctx-k${i}`] = 'v';
  const ctx = tracer.extract(TEXT, carrier) as JaegerSpanContext;
  assert.equal(ctx.traceId, T64);
  assert.equal(size(ctx.baggage).items, 64);
  // Keys past the first 2,000 of a carrier are not read at all (Node's own header count limit).
  assert.equal(tracer.propagationStats.baggageDroppedOnExtract, 2000 - 1 - 64);
  tracer.extract(TEXT, carrier);
  assert.equal(warnings.filter((w) => w.includes('incoming baggage')).length, 1);
});

test('1 MB baggage values are left out and counted, in every baggage header', () => {
  const { tracer } = propagationTracer({ propagation: ['jaeger', 'w3c'] });
  const ctx = tracer.extract(HTTP, {
    traceparent: `00-${'1'.repeat(32)}-${SPAN}-01`,
    'uberctx-big': MB,
    'uberctx-ok': '1',
    'jaeger-baggage': `a=${MB}`,
    baggage: `b=${MB}`,
  }) as JaegerSpanContext;
  assert.equal(ctx.isValid, true);
  assert.deepEqual({ ...ctx.baggage }, { ok: '1' });
  assert.equal(tracer.propagationStats.baggageDroppedOnExtract, 3);
});

test('byte bound: items are kept until 8192 bytes of keys and values, later small ones still fit', () => {
  const { tracer } = propagationTracer();
  const carrier: Record<string, string> = {};
  for (let i = 0; i < 6; i++) carrier[`uberctx-k${i}`] = 'x'.repeat(1500);
  carrier['uberctx-small'] = '1';
  const ctx = tracer.extract(HTTP, carrier) as JaegerSpanContext;
  assert.deepEqual(Object.keys(ctx.baggage ?? {}), ['k0', 'k1', 'k2', 'k3', 'k4', 'small']);
  assert.ok(size(ctx.baggage).bytes <= 8192);
  assert.equal(tracer.propagationStats.baggageDroppedOnExtract, 1);
});

test('the same item in two formats is counted once; a key one format kept is not counted', () => {
  const { tracer } = propagationTracer({ propagation: ['jaeger', 'w3c'], baggageMaxItems: 2 });
  const ctx = tracer.extract(HTTP, {
    'uber-trace-id': `${T64}:${SPAN}:0:1`,
    'uberctx-a': '1', 'uberctx-b': '2', 'uberctx-c': '3',
    baggage: 'a=1,b=2,c=3,d=4',
  }) as JaegerSpanContext;
  assert.deepEqual({ ...ctx.baggage }, { a: '1', b: '2' });
  assert.equal(tracer.propagationStats.baggageDroppedOnExtract, 2, 'c and d');
});

test('configured bounds apply: JAEGER_BAGGAGE_MAX_ITEMS / _BYTES through the environment', () => {
  const warnings: string[] = [];
  const { tracer: base } = propagationTracer();
  const logger = { error() {}, info() {}, debug() {}, warn: (m: string, ...a: unknown[]) => { warnings.push([m, ...a].join(' ')); } };
  const tracer = initTracerFromEnv(
    { reporter: base.reporter, sampler: base.sampler, logger },
    { JAEGER_SERVICE_NAME: 'x', JAEGER_BAGGAGE_MAX_ITEMS: '2', JAEGER_BAGGAGE_MAX_BYTES: '10' },
  );
  const ctx = tracer.extract(TEXT, { 'uberctx-a': '1', 'uberctx-b': '2', 'uberctx-c': '3' }) as JaegerSpanContext;
  assert.deepEqual({ ...ctx.baggage }, { a: '1', b: '2' });
  const tight = tracer.extract(TEXT, { 'uberctx-abcd': '12345', 'uberctx-e': '1' }) as JaegerSpanContext;
  assert.deepEqual({ ...tight.baggage }, { abcd: '12345' }, 'abcd + 12345 is 9 bytes; e + 1 would make 11');
  assert.equal(warnings.filter((w) => /JAEGER_/.test(w)).length, 0, warnings.join('\n'));
});

test('setBaggageItem flood: 10,000 keys of 1 MB keep the item and byte bounds, count each refusal', () => {
  const { tracer, warnings } = propagationTracer();
  const span = tracer.startSpan('flood');
  for (let i = 0; i < 10_000; i++) span.setBaggageItem(`k${i}`, MB);
  const baggage = span.spanContext.baggage;
  const { items, bytes } = size(baggage);
  assert.ok(items >= 1 && items <= 64 && bytes <= 8192, `${items} items, ${bytes} bytes`);
  assert.equal(tracer.propagationStats.baggageDroppedOnSet, 10_000 - items);
  assert.equal(warnings.filter((w) => w.includes('setBaggageItem')).length, 1);
  // Replacing a kept item is not refused; what a child sends stays within the W3C header limit.
  span.setBaggageItem('k0', 'small');
  assert.equal(span.getBaggageItem('k0'), 'small');
  const child = tracer.startSpan('child', { childOf: span });
  const out: Record<string, string> = {};
  tracer.inject(child, HTTP, out);
  assert.ok(out.baggage.length <= 8192);
  for (const [k, v] of Object.entries(out)) assert.doesNotThrow(() => http.validateHeaderValue(k, v));
});

test('setBaggageItem: 65 items is one too many; the context is unchanged by a refusal', () => {
  const { tracer } = propagationTracer();
  const span = tracer.startSpan('op');
  for (let i = 0; i < 64; i++) span.setBaggageItem(`k${i}`, 'v');
  const before = span.spanContext;
  span.setBaggageItem('k64', 'v');
  assert.equal(span.getBaggageItem('k64'), undefined);
  assert.equal(span.spanContext, before);
  assert.equal(tracer.propagationStats.baggageDroppedOnSet, 1);
});

test('baggage decoding to CR, LF or NUL never makes an outgoing request throw', async () => {
  const { tracer } = propagationTracer({ propagation: ['jaeger', 'w3c'] });
  const incoming = tracer.extract(HTTP, {
    'uber-trace-id': `${T64}:${SPAN}:0:1`,
    'uberctx-crlf': 'a%0D%0AX-Injected:%201',
    'uberctx-nul': 'a%00b',
    baggage: 'lf=x%0Ay',
  }) as JaegerSpanContext;
  assert.equal(incoming.baggage?.crlf, 'a\r\nX-Injected: 1');
  const span = tracer.startSpan('server', { childOf: incoming });
  span.setBaggageItem('set', 'p\r\nq\u0000');
  const server = http.createServer((req, res) => res.end(JSON.stringify(req.headers)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    for (const format of [HTTP, TEXT]) {
      const headers: Record<string, string> = {};
      tracer.inject(span, format, headers);
      // The app's own request, with whatever we injected: it must neither throw nor smuggle a header.
      const body = await new Promise<string>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, headers }, (res) => {
          let data = '';
          res.setEncoding('utf8').on('data', (c: string) => { data += c; }).on('end', () => resolve(data));
        });
        req.on('error', reject).end();
      });
      const seen = JSON.parse(body) as Record<string, string>;
      assert.equal(seen['x-injected'], undefined, format);
      if (format === HTTP) {
        // Encoded, so the next hop decodes the very same values.
        const next = tracer.extract(HTTP, seen) as JaegerSpanContext;
        assert.equal(next.baggage?.crlf, 'a\r\nX-Injected: 1');
        assert.equal(next.baggage?.set, 'p\r\nq\u0000');
      } else {
        // TEXT_MAP writes values as they are, so it leaves these items out of uberctx-*.
        assert.equal(seen['uberctx-crlf'], undefined);
        assert.equal(seen['uberctx-nul'], undefined);
      }
    }
  } finally {
    server.close();
  }
});

// ---- jaeger-debug-id throttle ----

function debugRun(options: Parameters<typeof propagationTracer>[0], requests: number, stepMs: number) {
  let now = 1_000_000;
  const env = propagationTracer({ ...options, debugClock: () => now });
  const spans = [];
  for (let i = 0; i < requests; i++) {
    const ctx = env.tracer.extract(HTTP, { 'jaeger-debug-id': `client-${i}` });
    spans.push(env.tracer.startSpan('GET', { childOf: ctx ?? undefined }));
    now += stepMs;
  }
  const debug = spans.filter((s) => (s.spanContext.flags & DEBUG_FLAG) !== 0);
  return { ...env, spans, debug };
}

test('jaeger-debug-id at 1,000 req/s for 1 s: at most the throttle (1/s) forces debug traces', () => {
  const { tracer, spans, debug, warnings } = debugRun({ sampled: false }, 1000, 1);
  assert.ok(debug.length >= 1 && debug.length <= 2, `${debug.length} debug traces`);
  assert.equal(debug[0], spans[0], 'the first request passes at once');
  assert.equal(tracer.propagationStats.debugThrottled, 1000 - debug.length);
  // Throttled requests are traced by the normal sampler: here it samples nothing.
  for (const s of spans) if (!debug.includes(s)) assert.equal(s.spanContext.flags, 0);
  assert.equal(warnings.filter((w) => w.includes('jaeger-debug-id')).length, 1);
});

test('throttled debug requests keep the normal sampler decision, without the debug tag', () => {
  const { spans, debug } = debugRun({ sampled: true }, 100, 1);
  assert.equal(debug.length, 1);
  const other = spans[50];
  assert.equal(other.spanContext.flags, SAMPLED_FLAG);
  assert.ok(!other.tags.some((t) => t.key === 'jaeger-debug-id'));
  assert.ok(debug[0].tags.some((t) => t.key === 'jaeger-debug-id' && t.value === 'client-0'));
});

test('JAEGER_DEBUG_THROTTLE sets the rate; 0 ignores the header; trust honours every request', () => {
  // 10 s of fake time at 100 req/s with 5/s allowed: the first, then 5 per second.
  const five = debugRun({ sampled: false, debugThrottle: 5 }, 1000, 10);
  assert.ok(five.debug.length >= 45 && five.debug.length <= 56, `${five.debug.length}`);
  assert.equal(debugRun({ sampled: false, debugThrottle: 0 }, 100, 10).debug.length, 0);
  const trusted = debugRun({ sampled: false, debugTrust: true }, 1000, 1);
  assert.equal(trusted.debug.length, 1000);
  assert.equal(trusted.tracer.propagationStats.debugThrottled, 0);
});

test('bad values for the new variables: one warning each, defaults used', () => {
  const warnings: string[] = [];
  const config = parseEnv({
    JAEGER_BAGGAGE_MAX_ITEMS: 'lots', JAEGER_BAGGAGE_MAX_BYTES: '-1', JAEGER_DEBUG_THROTTLE: 'fast', JAEGER_DEBUG_TRUST: 'maybe',
  }, (m) => warnings.push(m));
  assert.equal(config.baggageMaxItems, 64);
  assert.equal(config.baggageMaxBytes, 8192);
  assert.equal(config.debugThrottle, 1);
  assert.equal(config.debugTrust, false);
  for (const name of ['JAEGER_BAGGAGE_MAX_ITEMS', 'JAEGER_BAGGAGE_MAX_BYTES', 'JAEGER_DEBUG_THROTTLE', 'JAEGER_DEBUG_TRUST']) {
    assert.equal(warnings.filter((w) => w.includes(name)).length, 1, name);
  }
  const good = parseEnv({ JAEGER_DEBUG_THROTTLE: '0.5', JAEGER_DEBUG_TRUST: 'true', JAEGER_BAGGAGE_MAX_ITEMS: '0' }, () => {});
  assert.equal(good.debugThrottle, 0.5);
  assert.equal(good.debugTrust, true);
  assert.equal(good.baggageMaxItems, 0);
});
