import { after, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { setImmediate as immediate } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { RemoteSampler, type RemoteSamplerOptions } from '../../src/samplers/remote';
import { ConstSampler } from '../../src/samplers/const';
import { ProbabilisticSampler } from '../../src/samplers/probabilistic';
import { RateLimitingSampler } from '../../src/samplers/rate-limiting';
import { PerOperationSampler } from '../../src/samplers/per-operation';
import { countingMetrics, fakeClock, tagsOf } from '../helpers/sampling-fakes';
import { startSamplingServer } from '../helpers/sampling-server';
import { recordingLogger } from '../helpers/tracer';

const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));
after(() => assert.deepEqual(unhandled, [], 'no unhandled rejections'));

/** A RemoteSampler plus a way to wait for its next poll to be handled. */
function remote(options: Partial<RemoteSamplerOptions> & { samplingUrl: string }) {
  const { metrics, count } = countingMetrics();
  const logger = recordingLogger();
  let polls = 0;
  let waiters: Array<() => void> = [];
  const sampler = new RemoteSampler({
    serviceName: 'checkout',
    metrics,
    logger,
    ...options,
    onUpdate: () => {
      polls++;
      const w = waiters;
      waiters = [];
      for (const resolve of w) resolve();
    },
  });
  return {
    sampler,
    metrics,
    count,
    logger,
    polls: () => polls,
    nextPoll: () => new Promise<void>((resolve) => waiters.push(resolve)),
    warnings: (pattern: RegExp) => logger.lines.filter((l) => l.startsWith('warn:') && pattern.test(l)).length,
  };
}

/** Runs `new RemoteSampler(<optionsSource>)` in a child node with an IPC channel to this process. */
function spawnRemoteSampler(optionsSource: string, extraSource: string) {
  const modulePath = path.resolve(__dirname, '../../src/samplers/remote.js');
  const script = `
    const { RemoteSampler } = require(${JSON.stringify(modulePath)});
    new RemoteSampler(${optionsSource});
    ${extraSource}
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages: unknown[] = [];
  child.on('message', (m) => messages.push(m));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { process: child, messages, exited };
}

const probabilistic = (samplingRate: number) => ({ strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate } });
const rateLimiting = (maxTracesPerSecond: number, strategyType: string | number = 'RATE_LIMITING') =>
  ({ strategyType, rateLimitingSampling: { maxTracesPerSecond } });

describe('RemoteSampler', () => {
  test('follows the manager through each strategy and survives garbage and the manager going away', async () => {
    const server = await startSamplingServer();
    server.answerJson(probabilistic(1));
    const r = remote({
      serviceName: 'checkout/eu west',
      samplingUrl: `${server.url}/sampling`,
      initialSampler: new ConstSampler(false),
    });
    const { sampler, metrics, count } = r;
    try {
      const firstPoll = r.nextPoll();
      assert.equal(sampler.type, 'remote');
      assert.equal(sampler.sample('op').sampled, false, 'the initial sampler decides until the first answer');
      await firstPoll; // the automatic first poll, soon after construction

      const query = new URL(server.requests[0], server.url);
      assert.equal(query.pathname, '/sampling');
      assert.equal(query.searchParams.get('service'), 'checkout/eu west');
      assert.doesNotMatch(server.requests[0], /[ /]eu/, 'the service name is url-encoded');
      assert.deepEqual(tagsOf(sampler.sample('op')), { 'sampler.type': 'probabilistic', 'sampler.param': 1 });
      assert.equal(sampler.sample('op').sampled, true);
      assert.deepEqual([count(metrics.samplerRetrieved), count(metrics.samplerUpdated)], [1, 1]);

      server.answerJson(rateLimiting(7));
      await sampler.refresh();
      const limiting = sampler.currentSampler;
      assert.ok(limiting instanceof RateLimitingSampler);
      const d = sampler.sample('op');
      assert.equal(d.sampled, true, 'the first trace under a rate limit is sampled at once');
      assert.deepEqual(tagsOf(d), { 'sampler.type': 'ratelimiting', 'sampler.param': 7 });

      server.answerJson(rateLimiting(9, 1)); // numeric strategy type; a new rate is applied in place
      await sampler.refresh();
      assert.equal(sampler.currentSampler, limiting);
      assert.equal(tagsOf(sampler.sample('op'))['sampler.param'], 9);
      assert.equal(count(metrics.samplerUpdated), 3);
      await sampler.refresh(); // the same answer again is no update
      assert.deepEqual([count(metrics.samplerRetrieved), count(metrics.samplerUpdated)], [4, 3]);

      server.answerJson({
        strategyType: 'PROBABILISTIC',
        probabilisticSampling: { samplingRate: 0.001 },
        operationSampling: {
          defaultSamplingProbability: 0,
          defaultLowerBoundTracesPerSecond: 1,
          perOperationStrategies: [{ operation: 'GET /always', probabilisticSampling: { samplingRate: 1 } }],
        },
      });
      await sampler.refresh();
      const perOperation = sampler.currentSampler;
      assert.ok(perOperation instanceof PerOperationSampler);
      assert.deepEqual(tagsOf(sampler.sample('GET /always')), { 'sampler.type': 'probabilistic', 'sampler.param': 1 });
      const quiet = sampler.sample('GET /quiet');
      assert.deepEqual([quiet.sampled, tagsOf(quiet)], [true, { 'sampler.type': 'lowerbound', 'sampler.param': 0 }]);

      server.answer({ status: 200, body: '<html>this is not a strategy</html>' });
      await sampler.refresh();
      await sampler.refresh();
      assert.equal(count(metrics.samplerParsingFailure), 2);
      assert.equal(r.warnings(/cannot read the strategy/), 1, 'one warning, not one per poll');
      server.answerJson(probabilistic(1.5));
      await sampler.refresh();
      assert.equal(count(metrics.samplerUpdateFailure), 1);
      server.answer({ status: 503, body: 'busy' });
      await sampler.refresh();
      assert.equal(count(metrics.samplerQueryFailure), 1);
      assert.equal(sampler.currentSampler, perOperation, 'kept the last good sampler');

      await server.close();
      await sampler.refresh();
      await sampler.refresh();
      assert.equal(count(metrics.samplerQueryFailure), 3);
      assert.equal(r.warnings(/cannot query/), 1, 'HTTP 503 and the refused connections share one warning');
      assert.equal(sampler.currentSampler, perOperation);
      assert.equal(sampler.sample('GET /always').sampled, true);
      assert.equal(r.polls(), 11);
    } finally {
      sampler.close();
      await server.close();
    }
  });

  test('polls on its own every refreshIntervalMs and stops when closed', async () => {
    // Fake timers: the polls come when the test moves time, so load cannot make one miss its deadline.
    mock.timers.enable({ apis: ['setTimeout'] });
    const server = await startSamplingServer();
    server.answerJson(probabilistic(0.5));
    const r = remote({ samplingUrl: `${server.url}/sampling`, refreshIntervalMs: 30_000 });
    try {
      for (let i = 1; i <= 3; i++) {
        const polled = r.nextPoll();
        mock.timers.tick(i === 1 ? 0 : 30_000);
        await polled;
        await immediate(); // lets the poll's promise chain arm the next timer (microtasks run first)
        assert.equal(server.requests.length, i);
      }
      assert.equal((r.sampler.currentSampler as ProbabilisticSampler).samplingRate, 0.5);
      assert.equal(r.count(r.metrics.samplerUpdated), 1, 'unchanged answers swap nothing');
    } finally {
      r.sampler.close();
      mock.timers.reset();
    }
    const seen = server.requests.length;
    await r.sampler.refresh();
    assert.equal(server.requests.length, seen, 'refresh after close sends nothing');
    await server.close();
  });

  test('warns again when the manager fails anew after recovering, but not within a minute', async () => {
    const server = await startSamplingServer();
    const clock = fakeClock();
    const r = remote({ samplingUrl: server.url, now: clock.now });
    try {
      server.answer({ status: 200, body: '{' });
      await r.sampler.refresh();
      server.answerJson(probabilistic(0.2));
      await r.sampler.refresh();
      server.answer({ status: 200, body: '{' });
      await r.sampler.refresh();
      assert.equal(r.warnings(/cannot read the strategy/), 1, 'a manager flapping within a minute is warned about once');
      clock.advance(60_000);
      await r.sampler.refresh();
      await r.sampler.refresh();
      assert.equal(r.warnings(/cannot read the strategy/), 2, 'the outage that outlasts the minute is warned about');
      assert.equal((r.sampler.currentSampler as ProbabilisticSampler).samplingRate, 0.2);
    } finally {
      r.sampler.close();
      await server.close();
    }
  });

  test('close() aborts a poll in flight; the pending refresh resolves', async () => {
    const server = await startSamplingServer();
    server.answer('hang');
    const r = remote({ samplingUrl: server.url });
    try {
      const arrived = server.nextRequest();
      const pending = r.sampler.refresh();
      assert.equal(r.sampler.refresh(), pending, 'one poll at a time');
      await arrived;
      const aborted = server.nextAbort();
      r.sampler.close();
      await pending;
      await aborted; // the server saw the client drop the connection
      assert.equal(r.count(r.metrics.samplerQueryFailure), 0, 'an abort on close is not a failure');
      assert.equal(r.polls(), 0, 'no callback after close');
    } finally {
      r.sampler.close();
      await server.close();
    }
  });

  test('an invalid URL never throws: the initial sampler stays and each poll counts a failure', async () => {
    const r = remote({ samplingUrl: 'not a url', initialSampler: new ConstSampler(true) });
    assert.equal(r.sampler.samplingUrl, undefined);
    assert.equal(r.sampler.sample('op').sampled, true);
    await r.sampler.refresh();
    await r.sampler.refresh();
    assert.equal(r.count(r.metrics.samplerQueryFailure), 2, 'every refresh polls (and counts) again');
    assert.equal(r.polls(), 2);
    assert.equal(r.warnings(/invalid sampling URL/), 1);
    r.sampler.close();
  });

  test('defaults: the local agent URL, probabilistic 0.001, 60 s', () => {
    const sampler = new RemoteSampler({ serviceName: 'a b&c' });
    sampler.close(); // before the first poll fires: nothing is sent to a real agent
    assert.equal(sampler.samplingUrl, 'http://localhost:5778/sampling?service=a+b%26c');
    assert.equal(sampler.refreshIntervalMs, 60_000);
    const initial = sampler.currentSampler;
    assert.ok(initial instanceof ProbabilisticSampler && initial.samplingRate === 0.001);
  });

  test('a poll in flight does not keep the process alive', async () => {
    // A manager that accepts the connection and never answers; the child must still exit at once
    // when it has nothing else to do, well before the 5 s request timeout.
    const sockets: net.Socket[] = [];
    let accepted!: () => void;
    const connected = new Promise<void>((resolve) => (accepted = resolve));
    const server = net.createServer((socket) => {
      sockets.push(socket);
      accepted();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const child = spawnRemoteSampler(`{ serviceName: 'child', samplingUrl: 'http://127.0.0.1:${port}/sampling' }`,
      `process.on('message', () => process.disconnect()); // the parent says when the poll is in flight`);
    try {
      await connected;
      const released = Date.now();
      child.process.send('go');
      assert.equal(await child.exited, 0);
      assert.ok(Date.now() - released < 3000, `child took ${Date.now() - released} ms to exit`);
    } finally {
      child.process.kill();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('the timer for the next poll does not keep the process alive', async () => {
    const server = await startSamplingServer();
    server.answerJson(probabilistic(0.5));
    // After its first poll the child has only the 60 s timer for the next one left.
    const child = spawnRemoteSampler(
      `{ serviceName: 'child', samplingUrl: '${server.url}', onUpdate: () => process.send('polled', () => process.disconnect()) }`,
      `process.on('message', () => {}); // holds the IPC channel open until onUpdate disconnects it`,
    );
    try {
      const released = Date.now();
      assert.equal(await child.exited, 0);
      assert.ok(Date.now() - released < 3000, `child took ${Date.now() - released} ms to exit`);
      assert.deepEqual(child.messages, ['polled']);
      assert.equal(server.requests.length, 1);
    } finally {
      child.process.kill();
      await server.close();
    }
  });
});
