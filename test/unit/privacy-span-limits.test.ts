import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { UdpSender } from '../../src/senders/udp';
import { HttpSender } from '../../src/senders/http';
import type { JaegerTracer } from '../../src/tracer/tracer';
import {
  DROPPED_LOG_FIELDS_KEY, DROPPED_LOGS_KEY, DROPPED_TAGS_KEY, MAX_KEY_LENGTH, MAX_LOG_FIELDS, MAX_LOGS,
  MAX_OPERATION_NAME_LENGTH, MAX_SPAN_BYTES, MAX_TAGS, MAX_VALUE_BYTES, cutString,
} from '../../src/tracer/span';
import { memoryTracer } from '../helpers/tracer';
import { addSharedTags, sharedTags } from '../../src/shim/span-helpers';
import type { JaegerSpan } from '../../src/tracer/span';
import { FakeAgent, FakeCollector } from '../helpers/fake-agent';
import { tagMap } from '../helpers/thrift-decode';
import { wireTracer } from '../tracer/wire-scenario';

// Size limits of one span: huge values are cut, floods of tags and logs are capped and counted,
// and the span stays small enough for one UDP datagram and one HTTP body.

const MB = 1024 * 1024;

function tagsOf(span: { tags: readonly { key: string; value: unknown }[] }): Record<string, unknown> {
  return Object.fromEntries(span.tags.map((t) => [t.key, t.value]));
}

test('a 1 MB string value is cut to the value limit, ending in an ellipsis', () => {
  const { tracer, reporter } = memoryTracer();
  const span = tracer.startSpan('big', { tags: { start: 'x'.repeat(MB) } });
  span.setTag('payload', 'y'.repeat(MB));
  span.log({ body: 'z'.repeat(MB) });
  span.finish();
  const got = reporter.spans[0];
  const tags = tagsOf(got);
  for (const v of [tags.start, tags.payload, got.logs[0].fields[0].value] as string[]) {
    assert.equal(typeof v, 'string');
    assert.ok(Buffer.byteLength(v) <= MAX_VALUE_BYTES, `${Buffer.byteLength(v)} bytes`);
    assert.ok(v.endsWith('…'));
    assert.ok(v.length > MAX_VALUE_BYTES / 2, 'most of the value is kept');
  }
  assert.equal(tags[DROPPED_TAGS_KEY], undefined, 'cutting is not dropping');
});

test('cutting never splits a character and leaves small values alone', () => {
  assert.equal(cutString('short', 10), 'short');
  const emoji = '😀'.repeat(10_000); // 4 bytes each
  const cut = cutString(emoji, 1001);
  assert.ok(Buffer.byteLength(cut) <= 1001);
  assert.ok(!cut.includes('\ufffd'));
  assert.equal(cut, `${'😀'.repeat(249)}…`);
  const cjk = '漢'.repeat(100_000); // 3 bytes each
  const c2 = cutString(cjk, MAX_VALUE_BYTES);
  assert.ok(Buffer.byteLength(c2) <= MAX_VALUE_BYTES && !c2.includes('\ufffd'));
});

test('binary and object values are bounded too; small ones keep their type', () => {
  const { tracer, reporter } = memoryTracer();
  const span = tracer.startSpan('values');
  const small = Buffer.from([1, 2, 3]);
  const obj = { a: 1 };
  span.setTag('small.bin', small);
  span.setTag('big.bin', Buffer.alloc(MB, 7));
  span.setTag('small.obj', obj);
  span.setTag('big.obj', { data: 'q'.repeat(MB) });
  span.setTag('n', 42);
  span.finish();
  const tags = tagsOf(reporter.spans[0]);
  assert.equal(tags['small.bin'], small);
  assert.equal((tags['big.bin'] as Buffer).length, MAX_VALUE_BYTES);
  assert.equal(tags['small.obj'], obj);
  assert.equal(typeof tags['big.obj'], 'string');
  assert.ok((tags['big.obj'] as string).startsWith('{"data":"qqq'));
  assert.ok(Buffer.byteLength(tags['big.obj'] as string) <= MAX_VALUE_BYTES);
  assert.equal(tags.n, 42);
});

test('keys and operation names are cut', () => {
  const { tracer, reporter } = memoryTracer();
  const span = tracer.startSpan('o'.repeat(MB));
  span.setTag('k'.repeat(MB), 1);
  span.log({ ['f'.repeat(MB)]: 1 });
  span.finish();
  const s = reporter.spans[0];
  assert.ok(s.operationName.length <= MAX_OPERATION_NAME_LENGTH);
  assert.ok(s.tags[s.tags.length - 1].key.length <= MAX_KEY_LENGTH);
  assert.ok(s.logs[0].fields[0].key.length <= MAX_KEY_LENGTH);
  const t2 = tracer.startSpan('short');
  t2.setOperationName('p'.repeat(MB));
  t2.finish();
  assert.ok(reporter.spans[1].operationName.length <= MAX_OPERATION_NAME_LENGTH);
});

test('10,000 tags and 10,000 logs: the first ones kept, the rest counted', () => {
  const { tracer, reporter } = memoryTracer();
  const span = tracer.startSpan('flood');
  for (let i = 0; i < 10_000; i++) span.setTag(`t${i}`, i);
  for (let i = 0; i < 10_000; i++) span.log({ event: 'tick', i });
  span.finish();
  const s = reporter.spans[0];
  const tags = tagsOf(s);
  const kept = s.tags.filter((t) => /^t\d+$/.test(t.key)).length;
  assert.ok(kept <= MAX_TAGS && kept > 0);
  assert.equal(tags.t0, 0, 'the first tags are the ones kept');
  assert.ok(s.logs.length <= MAX_LOGS && s.logs.length > 0);
  assert.equal(s.logs[0].fields[1].value, 0);
  assert.equal(kept + (tags[DROPPED_TAGS_KEY] as number), 10_000);
  assert.equal(s.logs.length + (tags[DROPPED_LOGS_KEY] as number), 10_000);
});

test('a log with 10,000 fields keeps the first ones and counts the rest', () => {
  const { tracer, reporter } = memoryTracer();
  const span = tracer.startSpan('fields');
  const fields: Record<string, number> = {};
  for (let i = 0; i < 10_000; i++) fields[`f${i}`] = i;
  span.log(fields);
  span.finish();
  const s = reporter.spans[0];
  assert.equal(s.logs[0].fields.length, MAX_LOG_FIELDS);
  assert.equal(tagsOf(s)[DROPPED_LOG_FIELDS_KEY], 10_000 - MAX_LOG_FIELDS);
});

test('shared tags count against the limits in every span they go to, and are cut like any other', () => {
  const { tracer, reporter } = memoryTracer();
  // 40 shared tags of ~2 KB each: more than MAX_SPAN_BYTES together, so each span drops the same
  // ones, the first time (size worked out) and every later time (size remembered).
  const many = sharedTags(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, `${i}:${'v'.repeat(2000)}`])));
  const huge = sharedTags({ huge: 'h'.repeat(MB) });
  for (let i = 0; i < 3; i++) {
    const span = tracer.startSpan(`s${i}`) as JaegerSpan;
    addSharedTags(span, huge);
    addSharedTags(span, many);
    span.finish();
  }
  const kept = reporter.spans.map((s) => s.tags.filter((t) => /^k\d+$/.test(t.key)).length);
  const dropped = reporter.spans.map((s) => tagsOf(s)[DROPPED_TAGS_KEY]);
  assert.ok(kept[0] > 0 && kept[0] < 40, `${kept[0]} of 40 kept`);
  assert.deepEqual(kept, [kept[0], kept[0], kept[0]]);
  assert.deepEqual(dropped, [40 - kept[0], 40 - kept[0], 40 - kept[0]]);
  for (const s of reporter.spans) {
    const value = tagsOf(s).huge as string;
    assert.ok(Buffer.byteLength(value) <= MAX_VALUE_BYTES && value.endsWith('…'), 'the 1 MB shared value is cut in every span');
  }
});

test('a span under no pressure gets no counters and its tags unchanged', () => {
  const { tracer, reporter } = memoryTracer();
  const span = tracer.startSpan('normal');
  span.setTag('http.method', 'GET');
  span.log({ event: 'x', message: 'y' });
  span.finish();
  const s = reporter.spans[0];
  assert.equal(s.tags.filter((t) => t.key.startsWith('jaeger.dropped')).length, 0);
  assert.equal(tagsOf(s)['http.method'], 'GET');
});

// The worst case: every limit hit at once.
function hostileSpan(tracer: JaegerTracer, name: string): void {
  const span = tracer.startSpan(name);
  span.setTag('payload', 'v'.repeat(MB));
  for (let i = 0; i < 10_000; i++) span.setTag(`tag.${i}`, `value ${'w'.repeat(i % 100)}`);
  for (let i = 0; i < 10_000; i++) span.log({ event: 'item', body: 'b'.repeat(MB / 1024), i });
  span.finish();
}

const receivers: Array<{ close(): Promise<void> }> = [];
after(() => Promise.all(receivers.map((r) => r.close())));

test('the hostile span still fits one UDP datagram and arrives with its counters', async () => {
  const agent = await FakeAgent.start();
  receivers.push(agent);
  const sender = new UdpSender({ host: '127.0.0.1', port: agent.port });
  const { tracer, reporter } = wireTracer(sender);
  hostileSpan(tracer, 'hostile');
  tracer.startSpan('after').finish();
  await tracer.close();
  const got = await agent.waitForSpans(2);
  assert.deepEqual(agent.errors, []);
  assert.deepEqual(reporter.stats().dropped, { queue_full: 0, too_large: 0, send_error: 0, rejected: 0, shutdown: 0 });
  const wire = got.find((s) => s.operationName === 'hostile')!;
  const tags = tagMap(wire.tags);
  assert.ok(Number(tags[DROPPED_TAGS_KEY]) > 0);
  assert.ok(Number(tags[DROPPED_LOGS_KEY]) > 0);
  assert.ok(agent.batches.every((b) => b.size <= 65_000));
  assert.ok(MAX_SPAN_BYTES < 65_000);
});

test('the hostile span goes through the HTTP sender too', async () => {
  const collector = await FakeCollector.start();
  receivers.push(collector);
  const sender = new HttpSender({ endpoint: collector.url });
  const { tracer, reporter } = wireTracer(sender);
  hostileSpan(tracer, 'hostile');
  await tracer.close();
  const got = await collector.waitForSpans(1);
  assert.deepEqual(reporter.stats().dropped, { queue_full: 0, too_large: 0, send_error: 0, rejected: 0, shutdown: 0 });
  assert.equal(got[0].operationName, 'hostile');
  assert.ok(Number(tagMap(got[0].tags)[DROPPED_TAGS_KEY]) > 0);
});
