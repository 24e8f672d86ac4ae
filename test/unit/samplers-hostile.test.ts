import { after, afterEach, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import * as opentracing from 'opentracing';
import { activate, activeSpan } from '../../src/context/scope-manager';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  MAX_BODY_BYTES,
  MIN_REFRESH_INTERVAL_MS,
  RemoteSampler,
  type RemoteSamplerOptions,
} from '../../src/samplers/remote';
import { ConstSampler } from '../../src/samplers/const';
import { ProbabilisticSampler } from '../../src/samplers/probabilistic';
import { MAX_OPERATION_NAME_LENGTH, PerOperationSampler } from '../../src/samplers/per-operation';
import { countingMetrics, fakeClock, tagsOf } from '../helpers/sampling-fakes';
import { startSamplingServer, type Answer, type SamplingServer } from '../helpers/sampling-server';
import { recordingLogger } from '../helpers/tracer';

// A sampling manager that answers garbage, too much, too slowly or not at all: the sampler keeps
// its last good strategy, bounds every request, never polls twice at once and warns sparingly.

const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));
after(() => assert.deepEqual(unhandled, [], 'no unhandled rejections'));
afterEach(() => mock.timers.reset());

const probabilistic = (samplingRate: unknown) => ({ strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate } });
const perOperation = (count: number, samplingRate = 1) => ({
  operationSampling: {
    defaultSamplingProbability: 0,
    defaultLowerBoundTracesPerSecond: 0,
    perOperationStrategies: Array.from({ length: count }, (_, i) => ({
      operation: `op-${i}`,
      probabilisticSampling: { samplingRate },
    })),
  },
});
/** A valid strategy padded with whitespace to `bytes`: without a cap it would be applied. */
const paddedStrategy = (bytes: number, declareLength = false): Answer => ({
  kind: 'stream',
  status: 200,
  bytes,
  prefix: JSON.stringify(probabilistic(0.9)).slice(0, -1),
  suffix: '}',
  declareLength,
});

function remote(server: SamplingServer, options: Partial<RemoteSamplerOptions> = {}) {
  const { metrics, count } = countingMetrics();
  const logger = recordingLogger();
  const clock = fakeClock();
  const sampler = new RemoteSampler({
    serviceName: 'checkout',
    samplingUrl: server.url,
    initialSampler: new ConstSampler(false),
    metrics,
    logger,
    now: clock.now,
    ...options,
  });
  return {
    sampler,
    clock,
    logger,
    failures: () => ({
      query: count(metrics.samplerQueryFailure),
      parse: count(metrics.samplerParsingFailure),
      update: count(metrics.samplerUpdateFailure),
    }),
    warnings: (pattern: RegExp) => logger.lines.filter((l) => l.startsWith('warn:') && pattern.test(l)),
  };
}

/** Starts a server and a sampler that has applied probabilistic 0.25 (its last good strategy). */
async function withGoodStrategy(options: Partial<RemoteSamplerOptions> = {}) {
  const server = await startSamplingServer();
  server.answerJson(probabilistic(0.25));
  const r = remote(server, options);
  await r.sampler.refresh();
  const good = r.sampler.currentSampler;
  assert.ok(good instanceof ProbabilisticSampler && good.samplingRate === 0.25);
  return { server, ...r, good };
}

describe('RemoteSampler against a hostile sampling manager', () => {
  test('keeps the last good strategy through every bad answer, one warning per kind', async () => {
    const { server, sampler, good, failures, warnings, logger } = await withGoodStrategy();
    const raw = (status: number, body: string): Answer => ({ status, body });
    const json = (value: unknown): Answer => raw(200, JSON.stringify(value));
    const cases: Array<[string, Answer, 'query' | 'parse' | 'update']> = [
      ['truncated JSON', raw(200, '{"strategyType":"PROBAB'), 'parse'],
      ['empty body', raw(200, ''), 'parse'],
      ['HTML', raw(200, '<html><body>502 Bad Gateway</body></html>'), 'parse'],
      ['a bare NaN', raw(200, '{"probabilisticSampling":{"samplingRate":NaN}}'), 'parse'],
      ['JSON null', raw(200, 'null'), 'parse'],
      ['an array', json([probabilistic(1)]), 'parse'],
      ['nesting 200,000 deep', raw(200, '['.repeat(200_000) + ']'.repeat(200_000)), 'parse'],
      ['a string rate', json(probabilistic('1')), 'parse'],
      ['a null rate', json(probabilistic(null)), 'parse'],
      ['an infinite rate (1e999)', raw(200, '{"probabilisticSampling":{"samplingRate":1e999}}'), 'parse'],
      ['an unknown strategy type', json({ strategyType: 'ADAPTIVE', probabilisticSampling: { samplingRate: 1 } }), 'parse'],
      ['an unknown strategy number', json({ strategyType: 7, probabilisticSampling: { samplingRate: 1 } }), 'parse'],
      ['rate limiting without its block', json({ strategyType: 'RATE_LIMITING' }), 'parse'],
      ['per-operation entries that are not objects', json({ operationSampling: { perOperationStrategies: [1] } }), 'parse'],
      ['a negative rate', json(probabilistic(-0.5)), 'update'],
      ['a rate above 1', json(probabilistic(1.5)), 'update'],
      ['a negative rate limit', json({ strategyType: 'RATE_LIMITING', rateLimitingSampling: { maxTracesPerSecond: -1 } }), 'update'],
      ['one bad per-operation rate', json({
        operationSampling: {
          defaultSamplingProbability: 0.5,
          perOperationStrategies: [
            { operation: 'ok', probabilisticSampling: { samplingRate: 1 } },
            { operation: 'bad', probabilisticSampling: { samplingRate: 2 } },
          ],
        },
      }), 'update'],
      ['HTTP 500', raw(500, '{"probabilisticSampling":{"samplingRate":1}}'), 'query'],
      ['HTTP 503', raw(503, 'busy'), 'query'],
      ['HTTP 404', raw(404, 'not found'), 'query'],
      ['HTTP 301', raw(301, ''), 'query'],
    ];
    try {
      const expected = { query: 0, parse: 0, update: 0 };
      for (const [name, answer, kind] of cases) {
        server.answer(answer);
        await sampler.refresh();
        expected[kind]++;
        assert.deepEqual(failures(), expected, name);
        assert.equal(sampler.currentSampler, good, `${name}: the last good sampler stays`);
        assert.equal(tagsOf(sampler.sample('op'))['sampler.param'], 0.25, name);
      }
      assert.equal(warnings(/cannot read the strategy/).length, 1);
      assert.equal(warnings(/cannot apply the strategy/).length, 1);
      assert.equal(warnings(/cannot query/).length, 1);
      assert.equal(logger.lines.filter((l) => l.startsWith('warn:')).length, 3, 'nothing else is warned about');
      assert.ok(logger.lines.every((l) => l.length < 1000), 'no warning echoes a body');
    } finally {
      sampler.close();
      await server.close();
    }
  });

  test(`a 10 MB answer, or 64 MB, is cut off at ${MAX_BODY_BYTES} bytes and never applied`, async () => {
    const { server, sampler, good, failures, warnings } = await withGoodStrategy();
    // 64 MB: more than loopback socket buffers can take in, so the server's count shows the abort.
    const huge = 64 * 1024 * 1024;
    try {
      server.answer(paddedStrategy(huge));
      await sampler.refresh();
      const streamed = server.exchanges[1];
      await streamed.closed;
      assert.deepEqual(failures(), { query: 1, parse: 0, update: 0 });
      assert.equal(sampler.currentSampler, good);
      assert.equal(warnings(new RegExp(`longer than ${MAX_BODY_BYTES} bytes`)).length, 1);
      assert.equal(streamed.completed, false, 'the client hung up before the end');
      // What the server got out is what the client read plus the sockets' buffers (about 4 MB here).
      assert.ok(streamed.bytesWritten < huge / 2, `server wrote ${streamed.bytesWritten} bytes`);

      // A declared length over the cap is refused before any of the body is read.
      server.answer(paddedStrategy(10 * 1024 * 1024, true));
      await sampler.refresh();
      await server.exchanges[2].closed;
      assert.deepEqual(failures(), { query: 2, parse: 0, update: 0 });
      assert.equal(server.exchanges[2].completed, false);

      // Just under the cap is still an answer.
      server.answer(paddedStrategy(MAX_BODY_BYTES - 1024));
      await sampler.refresh();
      assert.equal((sampler.currentSampler as ProbabilisticSampler).samplingRate, 0.9);
    } finally {
      sampler.close();
      await server.close();
    }
  });

  test('a manager that never answers: the request is destroyed at its deadline, which is shorter than the interval', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const { server, sampler, good, failures, warnings } = await withGoodStrategy({ refreshIntervalMs: 60_000 });
    try {
      assert.equal(sampler.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS);
      assert.ok(sampler.requestTimeoutMs < sampler.refreshIntervalMs);
      server.answer('hang');
      const arrived = server.nextRequest();
      const pending = sampler.refresh();
      await arrived;
      const aborted = server.nextAbort();
      mock.timers.tick(DEFAULT_REQUEST_TIMEOUT_MS);
      await aborted;
      await pending;
      assert.deepEqual(failures(), { query: 1, parse: 0, update: 0 });
      assert.equal(warnings(/no complete answer within 5000 ms/).length, 1);
      assert.equal(sampler.currentSampler, good);
      assert.equal(server.openNow, 0, 'no socket left open');
    } finally {
      sampler.close();
      await server.close();
    }
    const short = new RemoteSampler({ serviceName: 's', samplingUrl: server.url, refreshIntervalMs: 1000, requestTimeoutMs: 9000 });
    short.close();
    assert.equal(short.requestTimeoutMs, 1000, 'the deadline never exceeds the refresh interval');
  });

  test('a refresh interval of 1 ms (a typo for seconds) polls every 100 ms, with one warning', () => {
    const logger = recordingLogger();
    const sampler = new RemoteSampler({ serviceName: 's', samplingUrl: 'http://127.0.0.1:9/', refreshIntervalMs: 1, logger });
    sampler.close();
    assert.equal(sampler.refreshIntervalMs, MIN_REFRESH_INTERVAL_MS);
    assert.equal(sampler.requestTimeoutMs, MIN_REFRESH_INTERVAL_MS);
    assert.equal(logger.lines.filter((l) => l.startsWith('warn:') && /refresh interval/.test(l)).length, 1);
  });

  test('a manager that trickles its answer a byte at a time is cut off at the deadline too', { timeout: 20_000 }, async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const { server, sampler, good, failures } = await withGoodStrategy();
    try {
      // Sends a byte every 20 ms for up to 20 s: no socket is ever idle long enough to time out.
      server.answer({ kind: 'drip', status: 200, everyMs: 20, maxChunks: 1000 });
      const arrived = server.nextRequest();
      const pending = sampler.refresh();
      await arrived;
      const dripping = server.exchanges[1];
      mock.timers.tick(DEFAULT_REQUEST_TIMEOUT_MS);
      await dripping.closed;
      await pending;
      assert.equal(dripping.completed, false);
      assert.deepEqual(failures(), { query: 1, parse: 0, update: 0 });
      assert.equal(sampler.currentSampler, good);
    } finally {
      sampler.close();
      await server.close();
    }
  });

  test('an error status whose body never ends does not hold up the next poll', { timeout: 20_000 }, async () => {
    const { server, sampler, failures } = await withGoodStrategy();
    try {
      server.answer({ kind: 'drip', status: 500, everyMs: 20, maxChunks: 1000 });
      await sampler.refresh();
      assert.deepEqual(failures(), { query: 1, parse: 0, update: 0 });
      await server.exchanges[1].closed; // the client dropped the connection rather than drain it
      server.answerJson(probabilistic(0.75));
      await sampler.refresh();
      assert.equal((sampler.currentSampler as ProbabilisticSampler).samplingRate, 0.75);
    } finally {
      sampler.close();
      await server.close();
    }
  });

  test('a slow manager while the timer comes round again: never two polls in flight', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const server = await startSamplingServer();
    server.answer('hang');
    const r = remote(server, { refreshIntervalMs: 10_000, requestTimeoutMs: 8_000 });
    try {
      let arrived = server.nextRequest();
      mock.timers.tick(0); // the first poll, right after construction
      await arrived;
      // Manual refreshes and the passing of several intervals while the poll hangs.
      const pending = r.sampler.refresh();
      for (let i = 0; i < 10; i++) assert.equal(r.sampler.refresh(), pending);
      mock.timers.tick(7_999);
      assert.equal(server.requests.length, 1);
      const aborted = server.nextAbort();
      mock.timers.tick(1); // the deadline
      await aborted;
      await pending;
      // The next poll is due a whole interval after the failed one ended, not before.
      arrived = server.nextRequest();
      mock.timers.tick(9_999);
      assert.equal(server.requests.length, 1);
      mock.timers.tick(1);
      await arrived;
      assert.equal(server.requests.length, 2);
      assert.equal(server.maxOpen, 1, 'the manager never saw two requests at once');
      assert.equal(r.failures().query, 1);
    } finally {
      r.sampler.close();
      await server.close();
    }
  });

  test('a strategy listing 2,500 operations: 2,000 get a sampler, the default decides the rest', async () => {
    const server = await startSamplingServer();
    server.answerJson(perOperation(2_500));
    const r = remote(server);
    try {
      await r.sampler.refresh();
      const sampler = r.sampler.currentSampler;
      assert.ok(sampler instanceof PerOperationSampler);
      assert.equal(sampler.operationCount, 2_000);
      assert.deepEqual(tagsOf(r.sampler.sample('op-1999')), { 'sampler.type': 'probabilistic', 'sampler.param': 1 });
      const beyond = r.sampler.sample('op-2000');
      assert.deepEqual([beyond.sampled, tagsOf(beyond)], [false, { 'sampler.type': 'probabilistic', 'sampler.param': 0 }]);
      for (let i = 0; i < 5_000; i++) r.sampler.sample(`run-time-${i}`);
      assert.equal(sampler.operationCount, 2_000, 'names seen at run time add nothing once full');
      await r.sampler.refresh();
      await r.sampler.refresh();
      assert.equal(sampler.operationCount, 2_000);
      // The recording logger appends the arguments unformatted.
      assert.equal(r.warnings(/lists %d operations.* 2500 2000$/).length, 1, 'told once, not at every poll');
    } finally {
      r.sampler.close();
      await server.close();
    }
  });
});

describe('PerOperationSampler bounds', () => {
  const strategy = (listed: number, samplingRate = 1) => perOperation(listed, samplingRate).operationSampling;

  test('10,000 distinct names seen at run time: the map stops at maxOperations', () => {
    const clock = fakeClock();
    const sampler = new PerOperationSampler({ ...strategy(0), defaultLowerBoundTracesPerSecond: 1 }, 2_000, clock.now);
    for (let i = 0; i < 10_000; i++) sampler.sample(`GET /users/${i}`);
    assert.equal(sampler.operationCount, 2_000);
    clock.advance(1_000);
    // Remembered names keep their lower bound; names past the cap get the bare default probability.
    assert.equal(tagsOf(sampler.sample('GET /users/1'))['sampler.type'], 'lowerbound');
    assert.deepEqual(tagsOf(sampler.sample('GET /users/9999')), { 'sampler.type': 'probabilistic', 'sampler.param': 0 });
  });

  test('an update listing more than the cap keeps the map at the cap; listed operations come first', () => {
    const sampler = new PerOperationSampler(strategy(0), 100);
    for (let i = 0; i < 100; i++) sampler.sample(`seen-${i}`);
    assert.equal(sampler.operationCount, 100);
    assert.equal(sampler.update(strategy(150)), true);
    assert.equal(sampler.operationCount, 100);
    assert.equal(tagsOf(sampler.sample('op-99'))['sampler.param'], 1, 'listed operations displace names merely seen');
    assert.equal(tagsOf(sampler.sample('op-120'))['sampler.param'], 0, 'past the cap: the default');
    assert.equal(tagsOf(sampler.sample('seen-0'))['sampler.param'], 0);
    // A shorter list again leaves room for names seen at run time.
    sampler.update(strategy(10));
    assert.equal(sampler.operationCount, 100, 'operations once listed stay, at the default rate');
    assert.equal(tagsOf(sampler.sample('op-50'))['sampler.param'], 0);
    assert.equal(tagsOf(sampler.sample('op-5'))['sampler.param'], 1);
  });

  test('names longer than 512 characters are decided by the default and not kept', () => {
    const sampler = new PerOperationSampler({ ...strategy(0), defaultSamplingProbability: 1 });
    const megabyte = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 2_000; i++) {
      assert.equal(sampler.sample(`${i}${megabyte}`).sampled, true, 'still sampled at the default rate');
    }
    assert.equal(sampler.operationCount, 0, 'no megabyte-long key is held');
    sampler.sample('x'.repeat(MAX_OPERATION_NAME_LENGTH));
    assert.equal(sampler.operationCount, 1, 'a name at the limit has its own sampler');
    sampler.sample(undefined as unknown as string); // from JavaScript callers that pass anything
    assert.equal(sampler.operationCount, 1);
  });

  test('a cap of 0 remembers nothing', () => {
    const sampler = new PerOperationSampler(strategy(10), 0);
    sampler.sample('a');
    assert.equal(sampler.operationCount, 0);
  });
});

describe('RemoteSampler context', () => {
  test('a sampler created, or refreshed, inside a request never carries its span into the polls', async () => {
    const server = await startSamplingServer();
    server.answerJson(probabilistic(0.5));
    const request = new opentracing.Span();
    const seen: unknown[] = [];
    let polled!: () => void;
    let next = new Promise<void>((resolve) => (polled = resolve));
    const sampler = activate(request, () => new RemoteSampler({
      serviceName: 's',
      samplingUrl: server.url,
      logger: recordingLogger(),
      onUpdate: () => {
        seen.push(activeSpan());
        polled();
      },
    }));
    try {
      await next; // the automatic first poll, scheduled from inside the request
      next = new Promise<void>((resolve) => (polled = resolve));
      await activate(request, () => sampler.refresh());
      await next;
      assert.deepEqual(seen, [null, null]);
    } finally {
      sampler.close();
      await server.close();
    }
  });
});
