import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConstSampler } from '../../src/samplers/const';
import { ProbabilisticSampler } from '../../src/samplers/probabilistic';
import { RateLimiter } from '../../src/samplers/rate-limiter';
import { RateLimitingSampler } from '../../src/samplers/rate-limiting';
import { GuaranteedThroughputSampler } from '../../src/samplers/guaranteed-throughput';
import { PerOperationSampler, type OperationSamplingStrategy } from '../../src/samplers/per-operation';
import type { Sampler } from '../../src/samplers/sampler';
import { fakeClock, tagsOf } from '../helpers/sampling-fakes';

function countSampled(sampler: Sampler, n: number, operation = 'op'): number {
  let sampled = 0;
  for (let i = 0; i < n; i++) if (sampler.sample(operation).sampled) sampled++;
  return sampled;
}

describe('ConstSampler', () => {
  test('true samples every trace, tagged const / true', () => {
    const sampler = new ConstSampler(true);
    assert.equal(sampler.type, 'const');
    const d = sampler.sample('a');
    assert.equal(d.sampled, true);
    assert.deepEqual(tagsOf(d), { 'sampler.type': 'const', 'sampler.param': true });
    assert.equal(countSampled(sampler, 1000), 1000);
    // Prebuilt and frozen: the hot path allocates nothing and nobody can alter a shared decision
    // (its tag list is only typed readonly: a frozen array's elements are slow to read).
    assert.equal(sampler.sample('b'), d);
    assert.ok(Object.isFrozen(d) && d.tags.every((t) => Object.isFrozen(t)));
  });

  test('false samples nothing, its param is false', () => {
    const sampler = new ConstSampler(false);
    assert.equal(countSampled(sampler, 1000), 0);
    assert.deepEqual(tagsOf(sampler.sample('a')), { 'sampler.type': 'const', 'sampler.param': false });
  });
});

describe('ProbabilisticSampler', () => {
  test('0.1 over 20,000 traces lands within 5 standard deviations of 2,000', () => {
    const n = 20_000;
    const p = 0.1;
    const sd = Math.sqrt(n * p * (1 - p)); // ≈ 42.4
    const sampled = countSampled(new ProbabilisticSampler(p), n);
    assert.ok(Math.abs(sampled - n * p) <= 5 * sd, `sampled ${sampled} of ${n}`);
  });

  test('sampled decisions carry probabilistic / rate', () => {
    const sampler = new ProbabilisticSampler(1);
    assert.equal(sampler.type, 'probabilistic');
    assert.deepEqual(tagsOf(sampler.sample('a')), { 'sampler.type': 'probabilistic', 'sampler.param': 1 });
    assert.equal(sampler.sample('a'), sampler.sample('b'));
  });

  test('rate 1 always samples and rate 0 never does', () => {
    assert.equal(countSampled(new ProbabilisticSampler(1), 10_000), 10_000);
    assert.equal(countSampled(new ProbabilisticSampler(0), 10_000), 0);
  });

  test('rates outside [0, 1] are clamped, non-numbers count as 0', () => {
    assert.equal(new ProbabilisticSampler(1.5).samplingRate, 1);
    assert.equal(new ProbabilisticSampler(-0.5).samplingRate, 0);
    assert.equal(new ProbabilisticSampler(Number.NaN).samplingRate, 0);
    assert.equal(countSampled(new ProbabilisticSampler(7), 1000), 1000);
  });
});

describe('RateLimiter', () => {
  test('starts with one credit, then accrues at its rate', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(2, 2, clock.now);
    assert.equal(limiter.checkCredit(1), true);
    assert.equal(limiter.checkCredit(1), false);
    clock.advance(250);
    assert.equal(limiter.checkCredit(1), false, 'half a credit is not enough');
    clock.advance(250);
    assert.equal(limiter.checkCredit(1), true);
    assert.equal(limiter.checkCredit(1), false);
  });

  test('the balance is capped at maxBalance however long it idles', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(10, 3, clock.now);
    clock.advance(3_600_000);
    assert.equal(limiter.balance, 3);
    let granted = 0;
    while (limiter.checkCredit(1)) granted++;
    assert.equal(granted, 3);
  });

  test('update keeps the balance in proportion to the cap', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(1, 4, clock.now);
    clock.advance(1000); // 1 + 1 = 2 of 4
    limiter.update(5, 10);
    assert.equal(limiter.balance, 5);
    assert.equal(limiter.creditsPerSecond, 5);
    assert.equal(limiter.maxBalance, 10);
  });

  test('rate 0 grants nothing; a clock stepping back accrues nothing', () => {
    const clock = fakeClock();
    assert.equal(new RateLimiter(0, 1, clock.now).checkCredit(1), false);
    const limiter = new RateLimiter(1, 1, clock.now);
    assert.equal(limiter.checkCredit(1), true);
    clock.advance(-5000);
    assert.equal(limiter.checkCredit(1), false);
    clock.advance(1000); // back to where it was: still nothing earned
    assert.equal(limiter.checkCredit(1), false);
  });
});

describe('RateLimitingSampler', () => {
  test('2/s holds its rate over a simulated 10 s (~20 traces)', () => {
    const clock = fakeClock();
    const sampler = new RateLimitingSampler(2, clock.now);
    let sampled = 0;
    for (let i = 0; i < 1000; i++) {
      const d = sampler.sample('op');
      if (d.sampled) {
        sampled++;
        assert.deepEqual(tagsOf(d), { 'sampler.type': 'ratelimiting', 'sampler.param': 2 });
      }
      clock.advance(10);
    }
    assert.ok(sampled >= 18 && sampled <= 22, `sampled ${sampled}`);
  });

  test('the first trace is sampled at once, and a burst after idling is capped', () => {
    const clock = fakeClock();
    const sampler = new RateLimitingSampler(2, clock.now);
    assert.equal(sampler.sample('op').sampled, true);
    clock.advance(100_000);
    assert.equal(countSampled(sampler, 50), 2);
  });

  test('below 1/s: 0.5/s samples one trace per 2 s', () => {
    const clock = fakeClock();
    const sampler = new RateLimitingSampler(0.5, clock.now);
    let sampled = 0;
    // 250 ms steps add exactly 1/8 credit, so no rounding blurs the count: t = 0, 2, …, 18 s.
    for (let i = 0; i < 80; i++) {
      if (sampler.sample('op').sampled) sampled++;
      clock.advance(250);
    }
    assert.equal(sampled, 10);
  });

  test('update changes the rate in place and the param tag with it', () => {
    const clock = fakeClock();
    const sampler = new RateLimitingSampler(2, clock.now);
    assert.equal(sampler.update(2), false);
    assert.equal(sampler.update(5), true);
    assert.equal(sampler.maxTracesPerSecond, 5);
    assert.deepEqual(tagsOf(sampler.sample('op')), { 'sampler.type': 'ratelimiting', 'sampler.param': 5 });
    assert.equal(new RateLimitingSampler(-3).maxTracesPerSecond, 0);
    assert.equal(countSampled(new RateLimitingSampler(0, clock.now), 100), 0);
  });
});

describe('GuaranteedThroughputSampler', () => {
  test('probability 0, lower bound 1/s: the first call in a second is sampled as lowerbound', () => {
    const clock = fakeClock();
    const sampler = new GuaranteedThroughputSampler(0, 1, clock.now);
    const first = sampler.sample('op');
    assert.equal(first.sampled, true);
    assert.deepEqual(tagsOf(first), { 'sampler.type': 'lowerbound', 'sampler.param': 0 });
    assert.equal(sampler.sample('op').sampled, false);
    clock.advance(500);
    assert.equal(sampler.sample('op').sampled, false);
    clock.advance(500);
    assert.equal(sampler.sample('op').sampled, true);
  });

  test('a probabilistic hit is tagged probabilistic and spends lower-bound credit', () => {
    const clock = fakeClock();
    const sampler = new GuaranteedThroughputSampler(1, 1, clock.now);
    assert.deepEqual(tagsOf(sampler.sample('op')), { 'sampler.type': 'probabilistic', 'sampler.param': 1 });
    assert.equal(sampler.update(0, 1), true);
    assert.equal(sampler.sample('op').sampled, false, 'the credit went to the probabilistic trace');
    clock.advance(1000);
    assert.deepEqual(tagsOf(sampler.sample('op')), { 'sampler.type': 'lowerbound', 'sampler.param': 0 });
  });

  test('update reports whether anything changed', () => {
    const sampler = new GuaranteedThroughputSampler(0.5, 1);
    assert.equal(sampler.update(0.5, 1), false);
    assert.equal(sampler.update(0.5, 3), true);
    assert.equal(sampler.lowerBoundTracesPerSecond, 3);
    assert.equal(sampler.update(0.25, 3), true);
    assert.equal(sampler.samplingRate, 0.25);
  });
});

describe('PerOperationSampler', () => {
  const strategy = (alwaysRate: number, defaultProbability = 0, lowerBound = 1): OperationSamplingStrategy => ({
    defaultSamplingProbability: defaultProbability,
    defaultLowerBoundTracesPerSecond: lowerBound,
    perOperationStrategies: [{ operation: 'always', probabilisticSampling: { samplingRate: alwaysRate } }],
  });

  test('listed operations use their rate; each unknown one gets its own lower-bound sampler', () => {
    const clock = fakeClock();
    const sampler = new PerOperationSampler(strategy(1), 2000, clock.now);
    assert.equal(countSampled(sampler, 100, 'always'), 100);
    assert.deepEqual(tagsOf(sampler.sample('always')), { 'sampler.type': 'probabilistic', 'sampler.param': 1 });
    const a = sampler.sample('a');
    assert.deepEqual([a.sampled, tagsOf(a)], [true, { 'sampler.type': 'lowerbound', 'sampler.param': 0 }]);
    assert.equal(sampler.sample('a').sampled, false);
    // 'b' has a bucket of its own, untouched by 'a'.
    assert.deepEqual(tagsOf(sampler.sample('b')), { 'sampler.type': 'lowerbound', 'sampler.param': 0 });
    assert.equal(sampler.operationCount, 3);
  });

  test('beyond maxOperations, new operations use the default probability and are not kept', () => {
    const clock = fakeClock();
    const sampler = new PerOperationSampler(strategy(1, 0, 1), 2, clock.now);
    assert.equal(sampler.sample('a').sampled, true); // second slot: lower bound applies
    assert.equal(sampler.operationCount, 2);
    for (const op of ['b', 'c', 'd']) {
      const d = sampler.sample(op);
      assert.equal(d.sampled, false, `${op} has no lower bound beyond the cap`);
      assert.equal(tagsOf(d)['sampler.type'], 'probabilistic');
    }
    assert.equal(sampler.operationCount, 2);
    const capped = new PerOperationSampler(strategy(1, 1, 0), 1, clock.now);
    assert.deepEqual(tagsOf(capped.sample('x')), { 'sampler.type': 'probabilistic', 'sampler.param': 1 });
    assert.equal(capped.operationCount, 1);
  });

  test('the default maxOperations is 2000', () => {
    const sampler = new PerOperationSampler(strategy(0, 0, 0));
    assert.equal(sampler.maxOperations, 2000);
    for (let i = 0; i < 2500; i++) sampler.sample(`op-${i}`);
    assert.equal(sampler.operationCount, 2000);
  });

  test('update applies in place, keeps buckets, and unlisted operations follow the defaults', () => {
    const clock = fakeClock();
    const sampler = new PerOperationSampler(strategy(1), 2000, clock.now);
    sampler.sample('always'); // spends the lower-bound credit of 'always'
    sampler.sample('other'); // lowerbound hit: spends its credit
    assert.equal(sampler.update(strategy(1)), false, 'same strategy, nothing changed');
    assert.equal(sampler.update(strategy(0, 1)), true);
    assert.equal(sampler.sample('always').sampled, false, 'kept its bucket, now empty');
    assert.deepEqual(tagsOf(sampler.sample('other')), { 'sampler.type': 'probabilistic', 'sampler.param': 1 });
    assert.equal(sampler.defaultSamplingProbability, 1);
    assert.equal(sampler.update({ ...strategy(0, 1), defaultLowerBoundTracesPerSecond: 5 }), true);
    assert.equal(sampler.defaultLowerBoundTracesPerSecond, 5);
  });

  test('lower bound 0 leaves unknown operations to the default probability alone', () => {
    const sampler = new PerOperationSampler(strategy(1, 0, 0));
    assert.equal(countSampled(sampler, 100, 'quiet'), 0);
  });
});
