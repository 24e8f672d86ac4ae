import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStrategy, parseStrategy, strategyProblem, type SamplingStrategy } from '../../src/samplers/strategy';
import { ConstSampler } from '../../src/samplers/const';
import { PerOperationSampler } from '../../src/samplers/per-operation';
import type { Sampler } from '../../src/samplers/sampler';

// Seeded random sampling-manager answers: near-valid strategies with hostile values, then the
// JSON text mangled. Whatever arrives, parsing either refuses it with an Error or yields a
// strategy that is refused with a reason or applies to a sampler whose every decision is sane.

const CASES = 10_000;
const MAX_OPERATIONS = 50;

/** xorshift32: small, seedable, good enough to spread test cases. */
function random(seed: number) {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  return { next, int, pick };
}

// Raw JSON tokens, some of them not JSON at all (NaN, Infinity, a bare minus).
const NUMBERS = ['0', '1', '0.5', '-0', '-1', '1.5', '2', '1e999', '-1e999', '1e-400', '1e308', 'NaN', 'Infinity',
  '-', '"0.5"', '"NaN"', 'null', 'true', '[]', '{}', '0.001', '100', '99999999999999999999'];
// Numbers JSON can carry, in range or not: most answers are readable, so the later checks run.
const READABLE = ['0', '1', '0.5', '0.001', '1e-400', '-0', '1.5', '-1', '2', '100', '1e308'];
const TYPES = ['"PROBABILISTIC"', '"RATE_LIMITING"', '0', '1', '2', '-1', '""', 'null', '"probabilistic"', '"ADAPTIVE"', '{}'];

function answer(r: ReturnType<typeof random>): string {
  const n = () => (r.next() < 0.8 ? r.pick(READABLE) : r.pick(NUMBERS));
  const maybe = (key: string, value: string) => (r.next() < 0.8 ? [`"${key}":${value}`] : []);
  const ops = Array.from({ length: r.int(r.next() < 0.1 ? 200 : 5) }, (_, i) => {
    const name = r.pick([`"op-${i}"`, `"op-${r.int(3)}"`, '""', '1', 'null', '"\\u0000"', `"${'x'.repeat(r.int(700))}"`]);
    return `{${[...maybe('operation', name), ...maybe('probabilisticSampling', `{"samplingRate":${n()}}`)].join(',')}}`;
  });
  const fields = [
    ...maybe('strategyType', r.pick(TYPES)),
    ...maybe('probabilisticSampling', r.pick([`{"samplingRate":${n()}}`, n()])),
    ...maybe('rateLimitingSampling', r.pick([`{"maxTracesPerSecond":${n()}}`, n()])),
    ...(r.next() < 0.4 ? maybe('operationSampling', r.pick([
      `{"defaultSamplingProbability":${n()},"defaultLowerBoundTracesPerSecond":${n()},"perOperationStrategies":[${ops.join(',')}]}`,
      `{"perOperationStrategies":${r.pick(['{}', 'null', '"x"', `[${ops.join(',')}]`])}}`,
      n(),
    ])) : []),
  ];
  let text = `{${fields.join(',')}}`;
  const mangle = r.next();
  if (mangle < 0.1) text = text.slice(0, r.int(text.length + 1));
  else if (mangle < 0.2) {
    const at = r.int(text.length);
    text = text.slice(0, at) + r.pick(['"', '{', '}', ',', '\\', '%', '\u0000', '\ud800', ' ']) + text.slice(at + 1);
  } else if (mangle < 0.25) text = `[${text}]`;
  return text;
}

function checkDecisions(sampler: Sampler, strategy: SamplingStrategy): void {
  for (const name of ['op-0', 'op-1', 'unlisted', '']) {
    const d = sampler.sample(name);
    assert.equal(typeof d.sampled, 'boolean');
    const param = d.tags.find((t) => t.key === 'sampler.param')?.value;
    assert.ok(typeof param === 'number' && Number.isFinite(param) && param >= 0, `param ${String(param)} for ${strategy.kind}`);
    const type = d.tags.find((t) => t.key === 'sampler.type')?.value;
    if (type === 'probabilistic' || type === 'lowerbound') assert.ok(param <= 1, `probability ${param}`);
  }
}

describe('sampling manager answers, fuzzed', () => {
  test(`${CASES} seeded answers: refused with a reason or applied sanely, never a stray throw`, () => {
    const r = random(0x5eed6);
    const outcomes = { unreadable: 0, refused: 0, applied: 0 };
    let current: Sampler = new ConstSampler(false);
    for (let i = 0; i < CASES; i++) {
      const text = answer(r);
      let strategy: SamplingStrategy;
      try {
        strategy = parseStrategy(text);
      } catch (err) {
        assert.ok(err instanceof Error, `case ${i}: throws an Error, not ${String(err)}: ${text.slice(0, 200)}`);
        outcomes.unreadable++;
        continue;
      }
      const problem = strategyProblem(strategy);
      if (problem !== undefined) {
        assert.equal(typeof problem, 'string');
        outcomes.refused++;
        continue;
      }
      const next = applyStrategy(current, strategy, MAX_OPERATIONS);
      current = next.sampler;
      outcomes.applied++;
      checkDecisions(current, strategy);
      if (current instanceof PerOperationSampler) {
        assert.ok(current.operationCount <= MAX_OPERATIONS, `case ${i}: ${current.operationCount} operations`);
      }
    }
    // The generator must exercise every outcome, or the property above proves little.
    for (const [outcome, count] of Object.entries(outcomes)) assert.ok(count > CASES / 50, `${outcome}: ${count}`);
  });
});
