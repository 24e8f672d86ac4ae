import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as opentracing from 'opentracing';
import { JaegerTracer } from '../../src/tracer/tracer';
import { ConstSampler } from '../../src/samplers/const';
import { InMemoryReporter } from '../../src/reporters/in-memory';

test('an unsampled span keeps nothing: no tags, logs or references, duration 0 once finished', () => {
  const reporter = new InMemoryReporter();
  const tracer = new JaegerTracer({ serviceName: 's', sampler: new ConstSampler(false), reporter });
  const parent = tracer.startSpan('parent');
  const span = tracer.startSpan('child', { childOf: parent, tags: { a: 1 } });
  span.setTag('b', 'x');
  span.log({ event: 'e' });
  assert.equal(span.tags.length, 0);
  assert.equal(span.logs.length, 0);
  assert.equal(span.isFinished, false);
  span.finish();
  assert.equal(span.isFinished, true);
  assert.equal(span.duration, 0);
  // The reference is still there for whoever asks (built on demand).
  assert.deepEqual(span.references.map((r) => [r.type, r.context.spanId]), [['child_of', parent.spanContext.spanId]]);
  assert.equal(reporter.spans.length, 0);
});

test('a span sampled by sampling.priority after start still measures its duration', () => {
  const reporter = new InMemoryReporter();
  const tracer = new JaegerTracer({ serviceName: 's', sampler: new ConstSampler(false), reporter });
  // Started 50 ms ago (no sleep needed): finish() must read the clock, not record 0.
  const span = tracer.startSpan('forced', { startTime: Date.now() - 50 });
  span.setTag(opentracing.Tags.SAMPLING_PRIORITY, 1);
  span.finish();
  assert.equal(reporter.spans.length, 1);
  assert.ok(reporter.spans[0].duration >= 40_000, `duration ${reporter.spans[0].duration}`);
});
