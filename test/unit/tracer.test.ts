import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as opentracing from 'opentracing';
import { memoryTracer, fixedSampler } from '../helpers/tracer';
import { JaegerSpan, isJaegerSpan } from '../../src/tracer/span';
import { JaegerSpanContext, isJaegerSpanContext, normalizeSpanId, normalizeTraceId } from '../../src/tracer/span-context';
import { SharedTag, isSharedTag } from '../../src/tracer/shared-tag';
import { DEBUG_FLAG, SAMPLED_FLAG, JAEGER_CLIENT_VERSION } from '../../src/tracer/constants';
import { InMemoryReporter } from '../../src/reporters/in-memory';
import { JaegerTracer } from '../../src/tracer/tracer';
import { nowMicros } from '../../src/tracer/clock';

const HEX16 = /^[0-9a-f]{16}$/;

test('a root span gets a fresh 64-bit trace id, sampler tags, and no parent', () => {
  const { tracer, reporter } = memoryTracer();
  const span = tracer.startSpan('root', { tags: { a: 1 } });
  const ctx = span.context() as JaegerSpanContext;
  assert.match(ctx.toTraceId(), HEX16);
  assert.match(ctx.toSpanId(), HEX16);
  assert.equal(ctx.parentId, '');
  assert.equal(ctx.flags, SAMPLED_FLAG);
  span.finish();
  assert.equal(reporter.spans.length, 1);
  const tags = Object.fromEntries(reporter.spans[0].tags.map((t) => [t.key, t.value]));
  assert.deepEqual(tags, { 'sampler.type': 'const', 'sampler.param': true, a: 1 });
});

test('128-bit trace ids when enabled', () => {
  const { tracer } = memoryTracer({ traceId128bit: true });
  const ids = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const id = (tracer.startSpan('x').context() as JaegerSpanContext).toTraceId();
    assert.match(id, /^[0-9a-f]{32}$/);
    ids.add(id);
  }
  assert.equal(ids.size, 100);
});

test('children share the trace, point at the parent, and inherit the sampling decision', () => {
  for (const sampled of [true, false]) {
    const { tracer, reporter } = memoryTracer({ sampled });
    const parent = tracer.startSpan('parent');
    const child = tracer.startSpan('child', { childOf: parent });
    const grandchild = tracer.startSpan('grandchild', { childOf: child.context() });
    const p = parent.context() as JaegerSpanContext;
    const c = child.context() as JaegerSpanContext;
    const g = grandchild.context() as JaegerSpanContext;
    assert.equal(c.traceId, p.traceId);
    assert.equal(g.traceId, p.traceId);
    assert.equal(c.parentId, p.spanId);
    assert.equal(g.parentId, c.spanId);
    assert.notEqual(c.spanId, p.spanId);
    assert.equal(c.isSampled, sampled);
    assert.equal(g.isSampled, sampled);
    grandchild.finish(); child.finish(); parent.finish();
    assert.equal(reporter.spans.length, sampled ? 3 : 0);
    if (sampled) {
      // Only the root carries sampler tags.
      const childTags = reporter.spans[1].tags.map((t) => t.key);
      assert.ok(!childTags.includes('sampler.type'));
      assert.deepEqual(reporter.spans[1].references.map((r) => [r.type, r.context.spanId]), [['child_of', p.spanId]]);
    }
  }
});

test('references: follows_from only makes that span the parent; all references are kept', () => {
  const { tracer, reporter } = memoryTracer();
  const a = tracer.startSpan('a');
  const b = tracer.startSpan('b');
  const s = tracer.startSpan('s', {
    references: [opentracing.followsFrom(a.context()), opentracing.childOf(b.context())],
  });
  const ctx = s.context() as JaegerSpanContext;
  assert.equal(ctx.parentId, (b.context() as JaegerSpanContext).spanId, 'child_of wins over follows_from');
  const f = tracer.startSpan('f', { references: [opentracing.followsFrom(a.context())] });
  assert.equal((f.context() as JaegerSpanContext).parentId, (a.context() as JaegerSpanContext).spanId);
  s.finish();
  const last = reporter.spans[reporter.spans.length - 1];
  assert.deepEqual(last.references.map((r) => r.type), ['follows_from', 'child_of']);
});

test('startSpan does not mutate the caller\'s options', () => {
  const { tracer } = memoryTracer();
  const parent = tracer.startSpan('p');
  const options = { childOf: parent, tags: { x: 1 } };
  tracer.startSpan('c', options);
  assert.equal(options.childOf, parent);
  assert.equal('references' in options, false);
});

test('startTime and finish(time) are milliseconds; the span records microseconds', () => {
  const { tracer, reporter } = memoryTracer();
  const span = tracer.startSpan('timed', { startTime: 1_700_000_000_000 });
  span.finish(1_700_000_000_250.5);
  const s = reporter.spans[0];
  assert.equal(s.startTime, 1_700_000_000_000_000);
  assert.equal(s.duration, 250_500);
  const before = nowMicros();
  const live = tracer.startSpan('live');
  live.finish();
  const l = reporter.spans[1];
  assert.ok(l.startTime >= before && l.startTime - before < 1e6);
  assert.ok(l.duration >= 0 && l.duration < 1e6);
});

test('finish twice reports once; tags and logs after finish are ignored', () => {
  const { tracer, reporter } = memoryTracer();
  const span = tracer.startSpan('once');
  span.finish();
  span.finish();
  span.setTag('late', true);
  span.log({ late: true });
  assert.equal(reporter.spans.length, 1);
  assert.ok(!reporter.spans[0].tags.some((t) => t.key === 'late'));
  assert.equal(reporter.spans[0].logs.length, 0);
});

test('setTag, addTags, log, logEvent, setOperationName', () => {
  const { tracer, reporter } = memoryTracer();
  const span = tracer.startSpan('before');
  span.setTag('s', 'v').addTags({ n: 2, b: false });
  span.log({ event: 'e1', k: 'v' }, 1_700_000_000_000);
  span.logEvent('e2', { x: 1 });
  span.setOperationName('after');
  span.finish();
  const s = reporter.spans[0];
  assert.equal(s.operationName, 'after');
  const tags = s.tags.filter((t) => !t.key.startsWith('sampler.'));
  assert.deepEqual(tags.map((t) => [t.key, t.value]), [['s', 'v'], ['n', 2], ['b', false]]);
  assert.equal(s.logs.length, 2);
  assert.equal(s.logs[0].timestamp, 1_700_000_000_000_000);
  assert.deepEqual(s.logs[0].fields.map((f) => [f.key, f.value]), [['event', 'e1'], ['k', 'v']]);
  assert.deepEqual(s.logs[1].fields.map((f) => f.key), ['event', 'payload']);
});

test('an unsampled span records nothing and is not reported', () => {
  const { tracer, reporter } = memoryTracer({ sampled: false });
  const span = tracer.startSpan('nope', { tags: { a: 1 } }) as JaegerSpan;
  span.setTag('b', 2).log({ c: 3 });
  span.finish();
  assert.equal(span.tags.length, 0);
  assert.equal(span.logs.length, 0);
  assert.equal(reporter.spans.length, 0);
});

test('sampling.priority forces a debug trace on, and 0 turns sampling off', () => {
  const { tracer, reporter } = memoryTracer({ sampled: false });
  const forced = tracer.startSpan('forced');
  forced.setTag(opentracing.Tags.SAMPLING_PRIORITY, 1);
  const ctx = forced.context() as JaegerSpanContext;
  assert.equal(ctx.flags & (SAMPLED_FLAG | DEBUG_FLAG), SAMPLED_FLAG | DEBUG_FLAG);
  const child = tracer.startSpan('child', { childOf: forced });
  assert.ok((child.context() as JaegerSpanContext).isDebug);
  child.finish();
  forced.finish();
  assert.equal(reporter.spans.length, 2);

  const atStart = tracer.startSpan('at-start', { tags: { [opentracing.Tags.SAMPLING_PRIORITY]: 1 } });
  assert.ok((atStart.context() as JaegerSpanContext).isSampled);

  const on = memoryTracer({ sampled: true });
  const off = on.tracer.startSpan('off');
  off.setTag(opentracing.Tags.SAMPLING_PRIORITY, 0);
  off.finish();
  assert.equal(on.reporter.spans.length, 0);
});

test('baggage: set, get, inherited by children, logged on the span, truncated when too long', () => {
  const { tracer, reporter } = memoryTracer({ maxBaggageValueLength: 5 });
  const span = tracer.startSpan('b');
  span.setBaggageItem('user', 'alice');
  span.setBaggageItem('long', 'abcdefgh');
  span.setBaggageItem('user', 'bob');
  assert.equal(span.getBaggageItem('user'), 'bob');
  assert.equal(span.getBaggageItem('long'), 'abcde');
  assert.equal(span.getBaggageItem('missing'), undefined);
  const child = tracer.startSpan('c', { childOf: span });
  assert.equal(child.getBaggageItem('user'), 'bob');
  child.setBaggageItem('user', 'carol');
  assert.equal(span.getBaggageItem('user'), 'bob', 'a child never changes its parent\'s baggage');
  span.finish();
  const logs = reporter.spans[0].logs.map((l) => Object.fromEntries(l.fields.map((f) => [f.key, f.value])));
  assert.deepEqual(logs, [
    { event: 'baggage', key: 'user', value: 'alice' },
    { event: 'baggage', key: 'long', value: 'abcde', truncated: true },
    { event: 'baggage', key: 'user', value: 'bob', override: true },
  ]);
});

test('a debug-id-only context starts a sampled debug trace tagged with the id', () => {
  const { tracer, reporter } = memoryTracer({ sampled: false });
  const carrierCtx = new JaegerSpanContext('', '', '', 0, { k: 'v' }, 'dbg-123');
  const span = tracer.startSpan('debug', { childOf: carrierCtx });
  const ctx = span.context() as JaegerSpanContext;
  assert.ok(ctx.isValid);
  assert.equal(ctx.flags, SAMPLED_FLAG | DEBUG_FLAG);
  assert.equal(span.getBaggageItem('k'), 'v');
  span.finish();
  assert.ok(reporter.spans[0].tags.some((t) => t.key === 'jaeger-debug-id' && t.value === 'dbg-123'));
});

test('FORMAT_BINARY and unknown formats never throw', () => {
  const { tracer } = memoryTracer();
  const span = tracer.startSpan('x');
  assert.doesNotThrow(() => tracer.inject(span, opentracing.FORMAT_BINARY, { buffer: null }));
  assert.equal(tracer.extract(opentracing.FORMAT_BINARY, {}), null);
  assert.doesNotThrow(() => tracer.inject(span, 'nonsense', {}));
  assert.equal(tracer.extract('nonsense', {}), null);
  assert.equal(tracer.extract(opentracing.FORMAT_HTTP_HEADERS, null as unknown as object), null);
});

test('process tags: jaeger.version, hostname, ip, client-uuid, plus custom tags', () => {
  const { tracer, reporter } = memoryTracer({ tags: { region: 'eu', hostname: 'override' } });
  const tags = Object.fromEntries(tracer.process.tags.map((t) => [t.key, t.value]));
  assert.equal(tags['jaeger.version'], JAEGER_CLIENT_VERSION);
  assert.match(String(tags['jaeger.version']), /^Node-jaeger-auto-\d+\.\d+\.\d+/);
  assert.match(String(tags.ip), /^\d+\.\d+\.\d+\.\d+$/);
  assert.match(String(tags['client-uuid']), /^[0-9a-f-]{36}$/);
  assert.equal(tags.hostname, 'override');
  assert.equal(tags.region, 'eu');
  assert.equal(reporter.process, tracer.process);
  const other = memoryTracer().tracer;
  const otherUuid = other.process.tags.find((t) => t.key === 'client-uuid')?.value;
  assert.notEqual(otherUuid, tags['client-uuid'], 'each tracer has its own client-uuid');
});

test('close() flushes, closes sampler and reporter once, drops later spans, and takes a callback', async () => {
  const calls: string[] = [];
  const reporter = new InMemoryReporter();
  reporter.close = async () => { calls.push('reporter.close'); };
  const sampler = { ...fixedSampler(true), close: () => { calls.push('sampler.close'); } };
  const tracer = new JaegerTracer({ serviceName: 's', sampler, reporter });
  tracer.startSpan('before').finish();
  const p1 = tracer.close();
  const p2 = tracer.close();
  await p1;
  await p2;
  assert.deepEqual(calls, ['sampler.close', 'reporter.close']);
  tracer.startSpan('after').finish();
  assert.deepEqual(reporter.spans.map((s) => s.operationName), ['before']);
  await new Promise<void>((resolve, reject) => tracer.close((err) => (err ? reject(err) : resolve())));
});

test('id normalisation: padding, folding 128-bit ids with a zero high half, rejecting junk', () => {
  assert.equal(normalizeTraceId('abc'), '0000000000000abc');
  assert.equal(normalizeTraceId('ABC'), '0000000000000abc');
  assert.equal(normalizeTraceId('0000000000000000000000000000abcd'), '000000000000abcd');
  assert.equal(normalizeTraceId('1' + '0'.repeat(16)), '00000000000000010000000000000000');
  for (const bad of ['', '0', '0'.repeat(32), 'xyz', '1'.repeat(33), '-1', '12 34']) {
    assert.equal(normalizeTraceId(bad), null, bad);
  }
  assert.equal(normalizeSpanId('1'), '0000000000000001');
  for (const bad of ['', '0'.repeat(16), '1'.repeat(17), 'g']) assert.equal(normalizeSpanId(bad), null, bad);
});

test('the active span is the default parent; ignoreActiveSpan and explicit childOf opt out', async () => {
  const { tracer } = memoryTracer();
  const outer = tracer.startSpan('outer');
  const other = tracer.startSpan('other');
  assert.equal(tracer.scopeManager().active(), null);
  await tracer.activate(outer, async () => {
    assert.equal(tracer.scopeManager().active(), outer);
    await new Promise((resolve) => setTimeout(resolve, 1)); // survives an async hop
    const inner = tracer.startSpan('inner');
    assert.equal((inner.context() as JaegerSpanContext).parentId, (outer.context() as JaegerSpanContext).spanId);
    const root = tracer.startSpan('root', { ignoreActiveSpan: true });
    assert.equal((root.context() as JaegerSpanContext).parentId, '');
    const explicit = tracer.startSpan('explicit', { childOf: other });
    assert.equal((explicit.context() as JaegerSpanContext).parentId, (other.context() as JaegerSpanContext).spanId);
  });
  assert.equal(tracer.scopeManager().active(), null, 'activation ends with the function');
  const result = tracer.activate(outer, () => 42);
  assert.equal(result, 42);
  assert.throws(() => tracer.activate(outer, () => { throw new Error('same error'); }), /same error/);
});

test('brand checks stand in for instanceof: own spans, contexts and shared tags only, never a look-alike', () => {
  const { tracer } = memoryTracer();
  const span = tracer.startSpan('branded');
  const ctx = span.context() as JaegerSpanContext;
  const lookAlikeCtx = { traceId: ctx.traceId, spanId: ctx.spanId, parentId: '', flags: ctx.flags, isValid: true };
  const foreignSpan = new opentracing.Span();
  const foreignCtx = new opentracing.SpanContext();
  const proxied = new Proxy({}, { get: () => true }); // answers true to every property read
  for (const x of [span, ctx, lookAlikeCtx, foreignSpan, foreignCtx, Object.create(ctx), Object.create(span), null, undefined, 0, 'x']) {
    assert.equal(isJaegerSpanContext(x), x instanceof JaegerSpanContext);
    assert.equal(isJaegerSpan(x), x instanceof JaegerSpan);
  }
  assert.equal(isJaegerSpanContext(proxied), false);
  assert.equal(isJaegerSpan(proxied), false);
  const shared = new SharedTag('k', 'v');
  for (const t of [shared, { key: 'k', value: 'v' }, Object.freeze({ key: 'k', value: 'v', kept: { size: 1 } }), undefined]) {
    assert.equal(isSharedTag(t), t instanceof SharedTag);
  }
  // Parents and inject take our spans and contexts by brand, and anything else as before.
  const child = tracer.startSpan('child', { childOf: span });
  assert.equal((child.context() as JaegerSpanContext).parentId, ctx.spanId);
  const orphan = tracer.startSpan('orphan', { childOf: lookAlikeCtx as unknown as opentracing.SpanContext });
  assert.equal((orphan.context() as JaegerSpanContext).parentId, '');
  for (const given of [span, ctx]) {
    const carrier: Record<string, string> = {};
    tracer.inject(given, opentracing.FORMAT_HTTP_HEADERS, carrier);
    assert.equal(carrier['uber-trace-id'], ctx.toString());
  }
  for (const given of [foreignSpan, foreignCtx, lookAlikeCtx]) {
    const carrier: Record<string, string> = {};
    tracer.inject(given as opentracing.SpanContext, opentracing.FORMAT_HTTP_HEADERS, carrier);
    assert.deepEqual(carrier, {});
  }
});
