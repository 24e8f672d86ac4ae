// amqplib through the real entry point, for every version in test/versions/amqplib.json, against
// RabbitMQ on 127.0.0.1:5672: test/fixtures/amqplib-consumer.js and amqplib-producer.js run as two
// processes under `node -r ./register.js`; spans arrive at a fake agent decoding real Thrift. The
// trace must continue through the queue into the other process, and each process must print the
// same with and without the preload.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture, startFixture, type FixtureResult } from '../helpers/run-fixture';
import { tagMap, type DecodedSpan } from '../helpers/thrift-decode';
import { requireVersion, versionDir, versionSet } from '../helpers/versions';
import { needService } from '../helpers/services';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

const ROOT_PARENT = '0000000000000000';
const FOLLOWS_FROM = 1;
const PRODUCER = 'amqp-producer';
const CONSUMER = 'amqp-consumer';
const prefixes: string[] = [];
let runs = 0;

const env = (service: string) => ({
  JAEGER_SERVICE_NAME: service, JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
  JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
});
const outLines = (r: FixtureResult) => r.stdout.split('\n').filter((l) => l.startsWith('out '));

/** Consumer first (it prints `ready` once it consumes), then the producer; both to completion. */
async function runPair(version: string, preload: { producer: boolean; consumer: boolean }) {
  const prefix = `jaeger-auto-test-${process.pid}-${version}-${++runs}`;
  prefixes.push(prefix);
  const args = [versionDir('amqplib', version), prefix];
  const consumer = startFixture('amqplib-consumer.js', { env: env(CONSUMER), args, preload: preload.consumer });
  await consumer.waitForLine(/^ready$/);
  const producer = await runFixture('amqplib-producer.js', { env: env(PRODUCER), args, preload: preload.producer });
  if (producer.code !== 0) consumer.child.kill();
  const consumed = await consumer.exited;
  assert.equal(producer.code, 0, producer.stdout + producer.stderr);
  assert.equal(consumed.code, 0, consumed.stdout + consumed.stderr);
  return { prefix, producer, consumer: consumed };
}

/** The spans each service reported since batch `from`, once `expected` in all have arrived. */
async function spansSince(from: number, expected: number) {
  const batches = () => agent.batches.slice(from);
  const count = () => batches().reduce((n, b) => n + b.batch.spans.length, 0);
  await agent.waitFor(() => count() >= expected, 10_000, `${expected} spans`);
  assert.equal(agent.errors.length, 0);
  assert.equal(count(), expected);
  const of = (service: string) => batches().filter((b) => b.batch.process.serviceName === service).flatMap((b) => b.batch.spans);
  return { producer: of(PRODUCER), consumer: of(CONSUMER) };
}

function one(spans: DecodedSpan[], pred: (s: DecodedSpan) => boolean, what: string): DecodedSpan {
  const found = spans.filter(pred);
  assert.equal(found.length, 1, `exactly one ${what}: ${spans.map((s) => s.operationName).join(', ')}`);
  return found[0];
}

function assertAmqpTags(span: DecodedSpan, kind: string, destination: string, routingKey: string | undefined): void {
  const t = tagMap(span.tags);
  assert.equal(t['span.kind'], kind, span.operationName);
  assert.equal(t.component, 'amqplib');
  assert.equal(t['message_bus.destination'], destination);
  assert.equal(t['message_bus.routing_key'], routingKey);
  assert.equal(t['peer.hostname'], '127.0.0.1');
  assert.equal(t['peer.port'], 5672n);
  // Neither credentials nor message bodies in any tag.
  for (const v of Object.values(t)) assert.doesNotMatch(String(v), /guest|^m\d$|^async$|^throw$/);
}

/** References are exactly [follows_from → producer]; the producer is also the parent. */
function assertFollows(span: DecodedSpan, producer: DecodedSpan): void {
  assert.deepEqual(span.references, [{
    refType: FOLLOWS_FROM, traceIdLow: producer.traceIdLow, traceIdHigh: producer.traceIdHigh, spanId: producer.spanId,
  }], `${span.operationName} follows from ${producer.operationName}`);
  assert.equal(span.parentSpanId, producer.spanId);
  assert.equal(span.traceIdLow, producer.traceIdLow);
}

function assertNotFailed(span: DecodedSpan): void {
  assert.equal(tagMap(span.tags).error, undefined, `${span.operationName} not failed`);
  assert.equal(span.logs?.length ?? 0, 0);
}

const end = (s: DecodedSpan) => s.startTime + s.duration;

for (const version of versionSet('amqplib').versions) {
  test(`amqplib@${version}: one trace from publish through RabbitMQ into the consumer process; output unchanged`, async (t) => {
    if (!await needService(t, 'rabbitmq')) return;
    const from = agent.batches.length;
    const traced = await runPair(version, { producer: true, consumer: true });
    // 14 producer spans (GET, 10 publish, 3 get); 14 consumer spans (8 consume, 6 work).
    const { producer, consumer } = await spansSince(from, 28);
    const plain = await runPair(version, { producer: false, consumer: false });
    assert.deepEqual(outLines(traced.producer), outLines(plain.producer), 'producer prints the same');
    assert.deepEqual(outLines(traced.consumer), outLines(plain.consumer), 'consumer prints the same');
    assert.match(traced.producer.stdout, /out m1 sent true options unchanged true headers keys \["x-app"\]/);
    assert.match(traced.consumer.stdout, /out channel error consumer failed on throw same error object/);
    assert.match(traced.consumer.stdout, /out unhandled rejection async consumer failed same error object/);

    const p = traced.prefix;
    const q1 = `${p}-q1`;
    const ex = `${p}-ex`;
    const q3 = `${p}-q3`;
    const publishes = producer.filter((s) => s.operationName.startsWith('publish '));
    assert.deepEqual(publishes.map((s) => s.operationName).sort(),
      [`publish ${ex}`, `publish ${ex}`, ...Array(5).fill(`publish ${q1}`), `publish ${p}-q3`, `publish ${p}-q3`, `publish ${p}-qt`].sort());
    for (const s of publishes) {
      const exchange = s.operationName === `publish ${ex}`;
      const dest = s.operationName.slice('publish '.length);
      assertAmqpTags(s, 'producer', dest, exchange ? 'rk1' : dest);
      assertNotFailed(s);
    }

    // The publish made while handling a request is the server span's child.
    const server = one(producer, (s) => tagMap(s.tags)['span.kind'] === 'server', 'server span');
    assert.equal(server.parentSpanId, ROOT_PARENT);
    const inRequest = one(publishes, (s) => s.parentSpanId === server.spanId, 'publish under the request');
    assert.equal(inRequest.operationName, `publish ${q1}`);
    assert.equal(inRequest.traceIdLow, server.traceIdLow);
    assert.equal(publishes.filter((s) => s.parentSpanId === ROOT_PARENT).length, 9, 'the others are roots');

    // Consumer process: every consume span follows from exactly one publish; work spans under it.
    const consumes = consumer.filter((s) => s.operationName.startsWith('consume '));
    assert.equal(consumes.length, 8);
    const referenced = new Set<string>();
    for (const c of consumes) {
      const producerSpan = one(publishes, (s) => s.spanId === c.references?.[0]?.spanId, `publish of ${c.operationName}`);
      assertFollows(c, producerSpan);
      const queue = c.operationName.slice('consume '.length);
      assert.equal(producerSpan.operationName, queue === `${p}-q2` ? `publish ${ex}` : `publish ${queue}`);
      assertAmqpTags(c, 'consumer', queue, tagMap(producerSpan.tags)['message_bus.routing_key'] as string);
      referenced.add(producerSpan.spanId);
    }
    assert.equal(referenced.size, 8, 'each message its own producer span');
    const consumeOf = (body: string) => {
      const work = one(consumer, (s) => s.operationName === `work ${body}`, `work ${body}`);
      const c = one(consumes, (s) => s.spanId === work.parentSpanId, `consume span of ${body}`);
      assert.equal(work.traceIdLow, c.traceIdLow);
      assertNotFailed(c);
      return { c, work };
    };
    // m1's consume span: parent = the producer span under the request, one trace across processes.
    assert.equal(consumeOf('m1').c.parentSpanId, inRequest.spanId);
    assert.equal(consumeOf('m1').c.traceIdLow, server.traceIdLow);
    for (const body of ['m2', 'm6']) assert.equal(consumeOf(body).c.operationName, `consume ${p}-q2`);
    for (const body of ['m3', 'm4']) assert.equal(consumeOf(body).c.operationName, `consume ${q1}`);
    // An async consumer: its span ends when the returned promise settles, after the work it awaited.
    const asyncPair = consumeOf('async');
    assert.ok(end(asyncPair.c) >= end(asyncPair.work), 'consume span outlives the awaited work');

    const failed = one(consumes, (s) => s.operationName === `consume ${p}-qt`, 'throwing consumer span');
    const ft = tagMap(failed.tags);
    assert.equal(ft.error, true);
    const logs = (failed.logs ?? []).map((l) => tagMap(l.fields));
    assert.equal(logs.length, 1);
    assert.equal(logs[0]['error.kind'], 'Error');
    assert.equal(logs[0].message, 'consumer failed on throw');
    assert.equal(consumer.filter((s) => s.parentSpanId === failed.spanId).length, 0);
    // The rejected promise of an async consumer: the span failed once it settled.
    const rejectedSpans = consumes.filter((s) => s.operationName === `consume ${q1}` && tagMap(s.tags).error === true);
    assert.equal(rejectedSpans.length, 1, 'one failed consume on q1');
    assert.deepEqual((rejectedSpans[0].logs ?? []).map((l) => tagMap(l.fields).message), ['async consumer failed']);

    // get: two found a message (follows from its publish), one found the queue empty (a root).
    const gets = producer.filter((s) => s.operationName === `get ${q3}`);
    assert.equal(gets.length, 3);
    const q3Publishes = publishes.filter((s) => s.operationName === `publish ${q3}`);
    for (const g of gets) assertAmqpTags(g, 'consumer', q3, g.references === undefined ? undefined : q3);
    const empty = one(gets, (g) => g.references === undefined, 'get of an empty queue');
    assert.equal(empty.parentSpanId, ROOT_PARENT);
    for (const pub of q3Publishes) assertFollows(one(gets, (g) => g.references?.[0]?.spanId === pub.spanId, 'get of a message'), pub);
  });

  test(`amqplib@${version}: messages from an untraced producer (or with a malformed uber-trace-id) start root consumer spans`, async (t) => {
    if (!await needService(t, 'rabbitmq')) return;
    const from = agent.batches.length;
    const { prefix } = await runPair(version, { producer: false, consumer: true });
    const { producer, consumer } = await spansSince(from, 14);
    assert.equal(producer.length, 0);
    const consumes = consumer.filter((s) => s.operationName.startsWith('consume '));
    assert.equal(consumes.length, 8);
    for (const c of consumes) {
      assert.equal(c.parentSpanId, ROOT_PARENT, `${c.operationName} is a root`);
      assert.equal(c.references, undefined);
      assert.ok(c.operationName.startsWith(`consume ${prefix}-`));
    }
    // m3 carried the app's own `uber-trace-id: not-a-trace-id`: ignored, a fresh trace.
    const m3 = one(consumer, (s) => s.operationName === 'work m3', 'work m3');
    assert.equal(one(consumes, (s) => s.spanId === m3.parentSpanId, 'consume of m3').parentSpanId, ROOT_PARENT);
  });
}

// Queues of a failed run may be left behind (q3 has no consumer to auto-delete it).
after(async () => {
  if (prefixes.length === 0) return;
  try {
    const amqp = requireVersion('amqplib', versionSet('amqplib').versions.at(-1)!);
    const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
    const ch = await conn.createChannel();
    for (const p of prefixes) {
      for (const q of ['q1', 'q2', 'qt', 'q3']) await ch.deleteQueue(`${p}-${q}`);
      await ch.deleteExchange(`${p}-ex`);
    }
    await conn.close();
  } catch {
    // RabbitMQ gone: nothing to clean
  }
});
