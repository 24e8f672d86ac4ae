// One request through everything issue 5 instruments: an express route that calls another service
// with the global fetch and publishes to RabbitMQ with amqplib, consumed by a third process. Every
// checkout must be one trace of exactly five spans in three services, decoded from the real Thrift.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { FakeAgent } from '../helpers/fake-agent';
import { startFixture } from '../helpers/run-fixture';
import { needService } from '../helpers/services';
import { newestVersionDir } from '../helpers/versions';
import { getOk } from '../helpers/http-get';
import type { DecodedSpan } from '../helpers/thrift-decode';

const CHECKOUTS = 3;
const ROOT_PARENT = '0000000000000000';
const FOLLOWS_FROM = 1;

const newest = newestVersionDir;

const get = getOk;

const tag = (s: DecodedSpan, key: string) => {
  const t = s.tags?.find((x) => x.key === key);
  return t === undefined ? undefined : t.vStr ?? (t.vLong !== undefined ? Number(t.vLong) : t.vBool);
};

test('express → fetch → service, and → RabbitMQ → worker: one whole trace per checkout', async (t) => {
  if (!(await needService(t, 'rabbitmq'))) return;
  const agent = await FakeAgent.start();
  const queue = `e2e-shop-${process.pid}-${Date.now()}`;
  const env = (role: string, extra: Record<string, string> = {}) => ({
    env: {
      ROLE: role, QUEUE: queue, JAEGER_SERVICE_NAME: role, JAEGER_AGENT_HOST: '127.0.0.1',
      JAEGER_AGENT_PORT: String(agent.port), EXPRESS_DIR: newest('express'), AMQPLIB_DIR: newest('amqplib'), ...extra,
    },
    timeoutMs: 60_000,
  });
  const worker = startFixture('e2e-shop.js', env('worker'));
  const pricing = startFixture('e2e-shop.js', env('pricing'));
  let frontend: ReturnType<typeof startFixture> | undefined;
  try {
    await worker.waitForLine(/^ready$/, 20_000);
    const pricingPort = (await pricing.waitForLine(/^listening \d+$/, 20_000)).split(' ')[1];
    frontend = startFixture('e2e-shop.js', env('frontend', { PRICING_PORT: pricingPort }));
    const port = Number((await frontend.waitForLine(/^listening \d+$/, 20_000)).split(' ')[1]);

    const bodies = await Promise.all(Array.from({ length: CHECKOUTS }, (_, n) => get(port, `/checkout/${n}`)));
    assert.deepEqual(bodies, Array.from({ length: CHECKOUTS }, (_, n) => `ordered ${n} ${10 + n}`));
    // The app's own message header arrives beside ours.
    for (let n = 0; n < CHECKOUTS; n++) await worker.waitForLine(new RegExp(`^consumed ${n} e2e$`), 20_000);

    for (const p of [frontend, pricing, worker]) p.child.kill('SIGTERM');
    for (const p of [frontend, pricing, worker]) {
      const exit = await p.exited;
      assert.equal(exit.code, 0, exit.stderr);
    }
    await agent.waitFor((a) => a.spans.length >= CHECKOUTS * 5, 20_000, 'five spans per checkout');
    assert.deepEqual(agent.errors, []);

    const serviceOf = new Map<string, string>();
    for (const b of agent.batches) for (const s of b.batch.spans) serviceOf.set(s.spanId, b.batch.process.serviceName);
    const spans = agent.spans;
    assert.equal(spans.length, CHECKOUTS * 5, `spans: ${spans.map((s) => `${serviceOf.get(s.spanId)} ${s.operationName}`).join(', ')}`);
    const childrenOf = (s: DecodedSpan) => spans.filter((c) => c.parentSpanId === s.spanId && c.traceIdLow === s.traceIdLow);
    const describe = (s: DecodedSpan) => `${serviceOf.get(s.spanId)} ${tag(s, 'span.kind')} ${s.operationName}`;

    const roots = spans.filter((s) => s.parentSpanId === ROOT_PARENT && (s.references ?? []).length === 0);
    assert.deepEqual(roots.map(describe), Array(CHECKOUTS).fill('frontend server GET /checkout/:id'));
    const paths = new Set<string>();
    for (const root of roots) {
      paths.add(String(tag(root, 'http.url')));
      assert.equal(tag(root, 'http.route'), '/checkout/:id');
      assert.equal(tag(root, 'http.status_code'), 200);
      const trace = spans.filter((s) => s.traceIdLow === root.traceIdLow);
      assert.equal(trace.length, 5, `trace of ${tag(root, 'http.url')}`);

      const [fetchSpan, publish, ...others] = childrenOf(root).sort((a, b) => Number(a.startTime - b.startTime));
      assert.deepEqual(others, []);
      assert.equal(describe(fetchSpan), 'frontend client GET');
      assert.match(String(tag(fetchSpan, 'http.url')), /^http:\/\/127\.0\.0\.1:\d+\/price\/\d$/);
      assert.equal(tag(fetchSpan, 'http.status_code'), 200);
      assert.equal(tag(fetchSpan, 'component'), 'undici', 'the global fetch, not the http module');
      const [priced, ...moreServers] = childrenOf(fetchSpan);
      assert.deepEqual(moreServers, []);
      assert.equal(describe(priced), 'pricing server GET');
      assert.deepEqual(childrenOf(priced), []);

      assert.equal(describe(publish), `frontend producer publish ${queue}`);
      assert.equal(tag(publish, 'component'), 'amqplib');
      assert.equal(tag(publish, 'message_bus.destination'), queue);
      // The consumer's only reference is follows_from the publish (Jaeger then uses it as parent).
      const consumers = childrenOf(publish);
      assert.equal(consumers.length, 1, 'one consumer span follows the publish');
      const consumer = consumers[0];
      assert.deepEqual(consumer.references!.map((r) => [r.refType, r.spanId]), [[FOLLOWS_FROM, publish.spanId]]);
      assert.equal(describe(consumer), `worker consumer consume ${queue}`);
      assert.equal(tag(consumer, 'message_bus.destination'), queue);
      assert.ok(consumer.startTime >= publish.startTime, 'consumed after it was published');
      assert.deepEqual(childrenOf(consumer), []);
    }
    assert.deepEqual([...paths].sort(), Array.from({ length: CHECKOUTS }, (_, n) => `/checkout/${n}`));
  } finally {
    for (const p of [frontend, pricing, worker]) if (p && p.child.exitCode === null) p.child.kill('SIGKILL');
    await agent.close();
  }
});
