import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JaegerTracer } from '../../src/tracer/tracer';
import { ConstSampler } from '../../src/samplers/const';
import { InMemoryReporter } from '../../src/reporters/in-memory';
import type { FinishGuard, JaegerSpan } from '../../src/tracer/span';

function tracer(): { tracer: JaegerTracer; reporter: InMemoryReporter } {
  const reporter = new InMemoryReporter();
  return { tracer: new JaegerTracer({ serviceName: 's', sampler: new ConstSampler(true), reporter }), reporter };
}

test('a finish guard sees every finish of its span and can contain a throw', () => {
  const { tracer: t, reporter } = tracer();
  const faults: unknown[] = [];
  const seen: Array<[string, number | undefined]> = [];
  const guard: FinishGuard = {
    finish(span, finishTime) {
      seen.push([span.operationName, finishTime]);
      try {
        if (span.operationName === 'bad') throw new Error('injected');
        span.finishUnguarded(finishTime);
      } catch (err) {
        faults.push(err);
      }
    },
  };
  const ok = t.startSpan('ok');
  ok.setFinishGuard(guard);
  ok.finish(Date.now());
  const bad = t.startSpan('bad');
  bad.setFinishGuard(guard);
  assert.doesNotThrow(() => bad.finish());
  assert.equal(seen.length, 2);
  assert.equal(seen[0][0], 'ok');
  assert.equal(typeof seen[0][1], 'number');
  assert.deepEqual(seen[1], ['bad', undefined]);
  assert.equal(faults.length, 1);
  assert.deepEqual(reporter.spans.map((s) => s.operationName), ['ok']);
});

test('a guarded span keeps finish on the prototype (no own property) and unguarded spans are unaffected', () => {
  const { tracer: t, reporter } = tracer();
  const guarded = t.startSpan('g');
  guarded.setFinishGuard({ finish: (span: JaegerSpan, time) => span.finishUnguarded(time) });
  const plain = t.startSpan('p');
  assert.equal(Object.prototype.hasOwnProperty.call(guarded, 'finish'), false);
  guarded.finish();
  plain.finish();
  plain.finish(); // finishing twice reports once
  assert.deepEqual(reporter.spans.map((s) => s.operationName), ['g', 'p']);
});
