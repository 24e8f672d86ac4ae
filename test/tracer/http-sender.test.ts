import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { HttpSender, type HttpSenderOptions } from '../../src/senders/http';
import type { DropReason } from '../../src/senders/sender';
import { FakeCollector, assertWireProcess, assertWireSpan } from '../helpers/fake-agent';
import { tagMap } from '../helpers/thrift-decode';
import { makeSpan, PROCESS } from '../unit/thrift-shapes';
import { recordingLogger } from '../helpers/tracer';
import { runScenario, wireTracer } from './wire-scenario';

// Spans through a real JaegerTracer → RemoteReporter → HttpSender → an HTTP server on 127.0.0.1 →
// decoded by the thrift package's binary reader.

const collectors: FakeCollector[] = [];
async function startCollector(behaviour: { status?: number; hang?: boolean } = {}): Promise<FakeCollector> {
  const c = await FakeCollector.start(behaviour);
  collectors.push(c);
  return c;
}
after(() => Promise.all(collectors.map((c) => c.close())));

function sender(options: HttpSenderOptions) {
  const logger = recordingLogger();
  const s = new HttpSender({ logger, ...options });
  const sent: number[] = [];
  const dropped: Array<{ count: number; reason: DropReason; message: string }> = [];
  s.setEvents({
    onSent: (n) => sent.push(n),
    onDropped: (count, reason, e) => dropped.push({ count, reason, message: e?.message ?? '' }),
  });
  s.setProcess(PROCESS);
  return { s, sent, dropped, logger };
}

for (const traceId128bit of [false, true]) {
  test(`every span field crosses HTTP intact (${traceId128bit ? 128 : 64}-bit trace ids)`, async () => {
    const collector = await startCollector();
    const { tracer, reporter } = wireTracer(new HttpSender({ endpoint: collector.url }), { traceId128bit });
    const spans = runScenario(tracer);
    await tracer.close();
    await collector.waitForSpans(spans.length);
    assert.deepEqual(collector.errors, []);
    const req = collector.batches[0];
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/api/traces');
    assert.equal(req.headers?.['content-type'], 'application/x-thrift');
    assert.equal(req.headers?.authorization, undefined);
    for (const span of spans) {
      const wire = collector.spans.find((s) => s.spanId === span.spanContext.spanId);
      assert.ok(wire, `span ${span.operationName} arrived`);
      assertWireSpan(wire, span);
    }
    assertWireProcess(collector.process, tracer.process);
    assert.equal(tagMap(collector.process?.tags).custom, 'yes');
    assert.equal(req.batch.seqNo, 1n);
    assert.equal(reporter.stats().sent, spans.length);
  });
}

test('basic auth from user/password, bearer from a token, basic from URL credentials', async () => {
  const collector = await startCollector();
  const cases: Array<[HttpSenderOptions, string]> = [
    [{ endpoint: collector.url, user: 'jaeger', password: 's3cret:pw' }, `Basic ${Buffer.from('jaeger:s3cret:pw').toString('base64')}`],
    [{ endpoint: collector.url, authToken: 'tok-123', user: 'ignored', password: 'x' }, 'Bearer tok-123'],
    [{ endpoint: collector.url.replace('http://', 'http://u%40x:p%2Fw@') }, `Basic ${Buffer.from('u@x:p/w').toString('base64')}`],
  ];
  for (const [i, [options, expected]] of cases.entries()) {
    const { s } = sender({ ...options, headers: { 'X-Tenant': 'acme' } });
    s.append(makeSpan({ operationName: `auth-${i}` }));
    await s.close();
    await collector.waitFor((c) => c.batches.length > i);
    assert.equal(collector.batches[i].headers?.authorization, expected);
    assert.equal(collector.batches[i].headers?.['x-tenant'], 'acme');
    assert.equal(collector.batches[i].headers?.['content-type'], 'application/x-thrift');
    assert.equal(s.endpoint, collector.url, 'the endpoint shown in logs carries no credentials');
  }
});

for (const [status, reason] of [[500, 'send_error'], [400, 'rejected'], [404, 'rejected'], [413, 'rejected']] as const) {
  test(`HTTP ${status} is not retried: the batch counts as ${reason} with the status in the message`, async () => {
    const collector = await startCollector({ status });
    const { s, sent, dropped } = sender({ endpoint: collector.url, user: 'jaeger', password: 'hunter2' });
    s.append(makeSpan());
    s.append(makeSpan());
    await s.flush();
    assert.deepEqual(sent, []);
    assert.equal(dropped.length, 1);
    assert.equal(dropped[0].count, 2);
    assert.equal(dropped[0].reason, reason);
    assert.match(dropped[0].message, new RegExp(`^POST ${collector.url}: HTTP ${status} .*refused by the fake collector`));
    assert.doesNotMatch(dropped[0].message, /hunter2|amFlZ2Vy/);
    assert.equal(collector.requests, 1, 'one request, no retry');
    assert.equal(s.queued, 0);
    await s.close();
  });
}

test('a collector that never answers: the request is destroyed at the timeout; the batch stays queued for a retry', async () => {
  const collector = await startCollector({ hang: true });
  const { s, dropped } = sender({ endpoint: collector.url, timeoutMs: 150 });
  s.append(makeSpan());
  const t0 = Date.now();
  await s.flush();
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= 140 && elapsed < 2000, `flush took ${elapsed} ms`);
  assert.equal(dropped.length, 0, 'nothing lost yet');
  assert.equal(s.queued, 1);
  assert.equal(s.inFlight, 1);
  await s.close();
  assert.deepEqual(dropped.map((d) => [d.count, d.reason]), [[1, 'shutdown']]);
  assert.match(dropped[0].message, /no answer within 150 ms/);
  assert.equal(s.queued, 0);
});

test('a refused connection keeps the batch for a retry; close() counts it as shutdown; credentials never reach errors or logs', async () => {
  const collector = await startCollector();
  const url = collector.url;
  await collector.close();
  collectors.splice(collectors.indexOf(collector), 1);
  const { s, dropped, logger } = sender({ endpoint: url.replace('http://', 'http://admin:topsecret@'), authToken: 'tok-secret', timeoutMs: 200 });
  s.append(makeSpan());
  await s.flush();
  assert.equal(s.queued, 1);
  await s.close();
  assert.equal(dropped[0].reason, 'shutdown');
  assert.match(dropped[0].message, /ECONNREFUSED/);
  const everything = JSON.stringify([dropped, logger.lines, s.endpoint]);
  assert.doesNotMatch(everything, /topsecret|tok-secret|admin/);
});

test('maxBatchBytes splits batches; a span over it is too_large; keep-alive reuses connections', async () => {
  const collector = await startCollector();
  const { s, sent, dropped } = sender({ endpoint: collector.url, maxBatchBytes: 8192 });
  const n = 300;
  for (let i = 0; i < n; i++) {
    s.append(makeSpan({ operationName: `op-${i}`, tags: [{ key: 'i', value: i }, { key: 'pad', value: 'x'.repeat(50) }] }));
    if (i === 100) s.append(makeSpan({ operationName: 'huge', tags: [{ key: 'blob', value: Buffer.alloc(10_000) }] }));
  }
  await s.flush();
  await collector.waitForSpans(n);
  assert.deepEqual(collector.errors, []);
  assert.ok(collector.batches.length > 5);
  for (const b of collector.batches) assert.ok(b.size <= 8192, `body of ${b.size} bytes`);
  assert.deepEqual(collector.spans.map((x) => x.operationName).sort(), Array.from({ length: n }, (_, i) => `op-${i}`).sort());
  assert.equal(sent.reduce((a, b) => a + b, 0), n);
  assert.deepEqual(dropped.map((d) => d.reason), ['too_large']);
  assert.equal(collector.batches[0].headers?.connection, 'keep-alive');
  assert.ok(collector.connections <= 2, `${collector.batches.length} requests over ${collector.connections} connections`);
  await s.close();
  s.append(makeSpan());
  assert.deepEqual(dropped.map((d) => d.reason), ['too_large', 'shutdown']);
});

test('invalid endpoints are refused at construction without echoing the URL', () => {
  assert.throws(() => new HttpSender({ endpoint: 'not a url with pass:word' }), (err: Error) => !err.message.includes('word'));
  assert.throws(() => new HttpSender({ endpoint: 'ftp://collector:21/api/traces' }), /must be http or https/);
  assert.throws(() => new HttpSender({ endpoint: 'http://c/api', authToken: 'bad\ntoken' }), (err: Error) => !err.message.includes('token'));
});
