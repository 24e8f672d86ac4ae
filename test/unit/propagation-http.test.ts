import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { runUntraced } from '../../src/context/scope-manager';
import { JaegerTracer } from '../../src/tracer/tracer';
import { setTracer } from '../../src/tracer/global';
import { fixedSampler, recordingLogger } from '../helpers/tracer';
import { listen, readBody, setUpTracing, WaitingReporter } from '../instrumentations/http-harness';
import { prng } from '../helpers/propagation';

// Hostile trace headers against a real instrumented server on 127.0.0.1: the http instrumentation
// extracts them, the handler calls a downstream server (the client instrumentation injects), and
// every request still gets its normal response while downstream only ever sees well-formed headers
// naming either the caller's trace (when the input was valid) or a new one.

const { unpatch } = setUpTracing();
const reporter = new WaitingReporter();
const tracer = new JaegerTracer({
  serviceName: 'hostile', sampler: fixedSampler(true), reporter, logger: recordingLogger(),
  propagation: ['jaeger', 'w3c', 'b3'],
});
setTracer(tracer);
after(() => unpatch());

const T64 = '0af7651916cd43dd';
const T128 = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = 'b7ad6b7169203331';
const VALID: Record<string, string> = {
  'uber-trace-id': `${T64}:${SPAN}:0:1`,
  traceparent: `00-${T128}-${SPAN}-01`,
  tracestate: 'a=1,t@s=2',
  baggage: 'k=v%20w;p',
  'jaeger-baggage': 'a=1, b=2',
  'jaeger-debug-id': 'dbg',
  'uberctx-user': 'alice%0D%0A',
  b3: `${T64}-${SPAN}-1`,
  'x-b3-traceid': T64,
  'x-b3-spanid': SPAN,
  'x-b3-sampled': '1',
};
// Only what an HTTP client can put on the wire (the server would answer 400 to anything else itself).
const TOKENS = ['%', '%zz', '%0A', '%00', '%0D%0A', ':', '-', '=', ',', ';', ' ', '\t', '0', 'ff', 'F', 'g', 'é', '0000000000000000', T64];

let downstream: Awaited<ReturnType<typeof listen>>;
let front: Awaited<ReturnType<typeof listen>>;
before(async () => {
  downstream = await listen((req, res) => res.end(JSON.stringify(req.headers)));
  front = await listen((req, res) => {
    // The app's own outgoing call, made inside the server span.
    http.get({ host: '127.0.0.1', port: downstream.port, agent: false }, (down) => {
      readBody(down).then((body) => {
        res.setHeader('content-type', 'application/json');
        res.end(body);
      }, () => res.end('{}'));
    }).on('error', () => res.end('{}'));
  });
});
after(async () => {
  await front.close();
  await downstream.close();
});

function mutate(r: () => number, value: string): string {
  const chars = Array.from(value);
  for (let e = 1 + Math.floor(r() * 4); e > 0; e--) {
    const at = Math.floor(r() * (chars.length + 1));
    const token = TOKENS[Math.floor(r() * TOKENS.length)];
    if (r() < 0.5) chars.splice(at, 1, token);
    else chars.splice(at, 0, token);
  }
  return chars.join('');
}

function send(headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return runUntraced(() => new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: front.port, headers, agent: false }, (res) => {
      readBody(res).then((body) => resolve({ status: res.statusCode ?? 0, body }), reject);
    });
    req.on('error', reject).end();
  }));
}

test('300 seeded hostile header sets: every request answered normally, downstream sees only well-formed headers', async () => {
  const r = prng(6);
  const ours = new Set(['uber-trace-id', 'traceparent', 'tracestate', 'baggage', 'b3', 'x-b3-traceid', 'x-b3-spanid',
    'x-b3-sampled', 'x-b3-flags', 'x-b3-parentspanid']);
  for (let i = 0; i < 300; i++) {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(VALID)) {
      const p = r();
      if (p < 0.3) continue;
      headers[name] = p < 0.5 ? value : mutate(r, value);
    }
    const { status, body } = await send(headers);
    const where = `case ${i}: ${JSON.stringify(headers)}`;
    assert.equal(status, 200, where);
    const seen = JSON.parse(body) as Record<string, string>;
    assert.ok(seen.host !== undefined, where);
    for (const [name, value] of Object.entries(seen)) {
      if (!ours.has(name) && !name.startsWith('uberctx-')) continue;
      assert.doesNotThrow(() => http.validateHeaderValue(name, value), where);
    }
    assert.match(seen['uber-trace-id'] ?? '', /^([0-9a-f]{16}|[0-9a-f]{32}):[0-9a-f]{16}:[0-9a-f]{16}:[0-9a-f]{1,2}$/, where);
    assert.match(seen.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/, where);
    // A valid uber-trace-id (read first) is continued; the server span is its child.
    if (headers['uber-trace-id'] === VALID['uber-trace-id']) assert.equal(seen['uber-trace-id'].split(':')[0], T64, where);
    if (Object.keys(headers).length === 0) assert.notEqual(seen['uber-trace-id'].split(':')[0], T64, where);
  }
});
