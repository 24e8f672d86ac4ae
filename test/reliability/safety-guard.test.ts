// The fault guard in-process (src/shim/guard.ts): real failures of our own code, not injected ones —
// a tracer whose startSpan throws, a reporter whose report throws — never reach the caller; the
// instrumentation they happened for is disabled with one error logged, and its wrappers then call
// the originals directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindInstrumentation, currentInstrumentation, guardWrapper, newInstrumentationState } from '../../src/shim/guard';
import { startSpan, startSpanWith } from '../../src/shim/span-helpers';
import { setTracer } from '../../src/tracer/global';
import { JaegerTracer } from '../../src/tracer/tracer';
import type { Reporter } from '../../src/reporters/reporter';
import { fixedSampler, memoryTracer, recordingLogger } from '../helpers/tracer';

test('a wrapper runs as its instrumentation; once disabled the original is called directly, `new` included', () => {
  const logger = recordingLogger();
  const state = newInstrumentationState('fake', logger);
  const seen: unknown[] = [];
  class Original {
    args: unknown[];
    constructor(...args: unknown[]) { this.args = args; }
  }
  const inner = function Wrapper(this: unknown, ...args: unknown[]) {
    seen.push(currentInstrumentation()?.id);
    return new.target === undefined ? 'called' : Reflect.construct(Original, args, new.target);
  };
  (inner as unknown as { extra: number }).extra = 1;
  const guarded = guardWrapper(state, Original, inner) as any;
  assert.equal(guarded.extra, 1, 'what the instrumentation hung on its wrapper stays');
  assert.equal(guarded.call({}), 'called');
  assert.deepEqual(seen, ['fake']);
  assert.equal(currentInstrumentation(), undefined, 'restored after the call');
  const made = new guarded(1, 2);
  assert.deepEqual(made.args, [1, 2]);
  state.disabled = true;
  assert.throws(() => guarded.call({}), TypeError, 'a disabled wrapper calls the class itself (which needs new)');
  assert.deepEqual(new guarded(3).args, [3]);
  assert.deepEqual(seen, ['fake', 'fake'], 'the wrapper no longer runs');
  assert.equal(guardWrapper(state, Original, Original), Original, 'no wrapper: nothing to guard');
});

test('a tracer that throws in startSpan: no throw, undefined, one error, the instrumentation disabled', () => {
  const logger = recordingLogger();
  const state = newInstrumentationState('fake', logger);
  let calls = 0;
  const broken = { startSpan() { calls++; throw new RangeError('tracer bug'); } } as unknown as JaegerTracer;
  assert.equal(startSpanWith(broken, 'op', {}, state), undefined);
  assert.equal(startSpanWith(broken, 'op', {}, state), undefined);
  assert.equal(calls, 1, 'disabled after the first failure');
  assert.equal(state.disabled, true);
  assert.equal(logger.lines.filter((l) => l.startsWith('error:')).length, 1);
  assert.match(logger.lines[0], /instrumentation failed at span .* fake start RangeError: tracer bug/);
});

test('a reporter that throws when a span finishes: finish() returns normally, one error, the instrumentation disabled', () => {
  const logger = recordingLogger();
  const state = newInstrumentationState('fake', logger);
  const reporter: Reporter = {
    setProcess() {},
    report() { throw new Error('reporter bug'); },
    flush: async () => {},
    close: async () => {},
  } as unknown as Reporter;
  const tracer = new JaegerTracer({ serviceName: 's', sampler: fixedSampler(true), reporter, logger: recordingLogger() });
  setTracer(tracer);
  try {
    const run = bindInstrumentation(() => {
      const span = startSpan('op');
      assert.ok(span !== undefined);
      span.finish();
      return 'done';
    }, state);
    assert.equal(run(), 'done');
    assert.equal(state.disabled, true);
    assert.match(logger.lines.join('\n'), /instrumentation failed at span .* fake finish Error: reporter bug/);
    assert.equal(run(), undefined, 'a disabled instrumentation\'s bound work is skipped');
  } finally {
    setTracer(undefined);
  }
});

test('spans started outside any instrumentation are guarded too, and not blamed on one', () => {
  const { tracer, reporter } = memoryTracer();
  const span = startSpanWith(tracer, 'op', {}, undefined)!;
  span.finish();
  span.finish();
  assert.equal(reporter.spans.length, 1);
});
