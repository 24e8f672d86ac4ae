import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStrategy, parseStrategy, strategyProblem } from '../../src/samplers/strategy';
import { ConstSampler } from '../../src/samplers/const';
import { ProbabilisticSampler } from '../../src/samplers/probabilistic';
import { RateLimitingSampler } from '../../src/samplers/rate-limiting';
import { PerOperationSampler } from '../../src/samplers/per-operation';

const parse = (value: unknown) => parseStrategy(JSON.stringify(value));

describe('parseStrategy', () => {
  test('probabilistic, with the type as a string, as its enum number, or omitted (proto3 zero)', () => {
    const expected = { kind: 'probabilistic', samplingRate: 0.5 };
    const body = { probabilisticSampling: { samplingRate: 0.5 } };
    assert.deepEqual(parse({ strategyType: 'PROBABILISTIC', ...body }), expected);
    assert.deepEqual(parse({ strategyType: 0, ...body }), expected);
    assert.deepEqual(parse(body), expected);
    assert.deepEqual(parse({ strategyType: 0, probabilisticSampling: {} }), { kind: 'probabilistic', samplingRate: 0 });
  });

  test('rate limiting, with the type as a string or as its enum number', () => {
    const body = { rateLimitingSampling: { maxTracesPerSecond: 7 } };
    assert.deepEqual(parse({ strategyType: 'RATE_LIMITING', ...body }), { kind: 'ratelimiting', maxTracesPerSecond: 7 });
    assert.deepEqual(parse({ strategyType: 1, ...body }), { kind: 'ratelimiting', maxTracesPerSecond: 7 });
    assert.deepEqual(parse(body), { kind: 'ratelimiting', maxTracesPerSecond: 7 });
  });

  test('operationSampling wins over the top-level strategy; omitted zero fields read as 0', () => {
    const s = parse({
      strategyType: 'PROBABILISTIC',
      probabilisticSampling: { samplingRate: 1 },
      operationSampling: {
        defaultSamplingProbability: 0.1,
        perOperationStrategies: [{ operation: 'GET /x', probabilisticSampling: { samplingRate: 0.2 } }],
      },
    });
    assert.deepEqual(s, {
      kind: 'peroperation',
      operationSampling: {
        defaultSamplingProbability: 0.1,
        defaultLowerBoundTracesPerSecond: 0,
        perOperationStrategies: [{ operation: 'GET /x', probabilisticSampling: { samplingRate: 0.2 } }],
      },
    });
  });

  test('refuses garbage with a reason', () => {
    const bad = [
      'not json',
      'null',
      '[]',
      '"PROBABILISTIC"',
      '{}',
      JSON.stringify({ strategyType: 'BOGUS', probabilisticSampling: { samplingRate: 1 } }),
      JSON.stringify({ strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate: '0.5' } }),
      JSON.stringify({ strategyType: 'RATE_LIMITING' }),
      JSON.stringify({ operationSampling: { perOperationStrategies: {} } }),
      JSON.stringify({ operationSampling: { perOperationStrategies: [{ operation: 1 }] } }),
      JSON.stringify({ operationSampling: 'yes' }),
    ];
    for (const text of bad) assert.throws(() => parseStrategy(text), Error, text);
  });
});

describe('strategyProblem', () => {
  test('flags values out of range and passes good ones', () => {
    assert.match(strategyProblem({ kind: 'probabilistic', samplingRate: 1.5 }) ?? '', /outside/);
    assert.match(strategyProblem({ kind: 'ratelimiting', maxTracesPerSecond: -1 }) ?? '', /negative/);
    const ops = (rate: number, lowerBound = 0) => ({
      kind: 'peroperation' as const,
      operationSampling: {
        defaultSamplingProbability: 0.1,
        defaultLowerBoundTracesPerSecond: lowerBound,
        perOperationStrategies: [{ operation: 'a', probabilisticSampling: { samplingRate: rate } }],
      },
    });
    assert.match(strategyProblem(ops(2)) ?? '', /"a"/);
    assert.match(strategyProblem(ops(0.5, -2)) ?? '', /negative/);
    assert.equal(strategyProblem(ops(0.5, 2)), undefined);
    assert.equal(strategyProblem({ kind: 'probabilistic', samplingRate: 0 }), undefined);
  });
});

describe('applyStrategy', () => {
  test('keeps the current sampler when nothing changed and swaps it when the kind differs', () => {
    const prob = new ProbabilisticSampler(0.5);
    assert.deepEqual(applyStrategy(prob, { kind: 'probabilistic', samplingRate: 0.5 }, 10), { sampler: prob, changed: false });
    const swapped = applyStrategy(prob, { kind: 'probabilistic', samplingRate: 0.25 }, 10);
    assert.ok(swapped.changed && swapped.sampler instanceof ProbabilisticSampler && swapped.sampler !== prob);
    const rl = applyStrategy(new ConstSampler(true), { kind: 'ratelimiting', maxTracesPerSecond: 3 }, 10);
    assert.ok(rl.changed && rl.sampler instanceof RateLimitingSampler);
  });

  test('updates rate-limiting and per-operation samplers in place', () => {
    const rl = new RateLimitingSampler(3);
    assert.deepEqual(applyStrategy(rl, { kind: 'ratelimiting', maxTracesPerSecond: 3 }, 10), { sampler: rl, changed: false });
    assert.deepEqual(applyStrategy(rl, { kind: 'ratelimiting', maxTracesPerSecond: 4 }, 10), { sampler: rl, changed: true });
    assert.equal(rl.maxTracesPerSecond, 4);
    const operationSampling = { defaultSamplingProbability: 0.1, defaultLowerBoundTracesPerSecond: 1, perOperationStrategies: [] };
    const created = applyStrategy(rl, { kind: 'peroperation', operationSampling }, 7);
    assert.ok(created.sampler instanceof PerOperationSampler && created.sampler.maxOperations === 7);
    const again = applyStrategy(created.sampler, { kind: 'peroperation', operationSampling }, 7);
    assert.deepEqual(again, { sampler: created.sampler, changed: false });
  });
});
