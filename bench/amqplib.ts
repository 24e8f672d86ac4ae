// node dist/bench/amqplib.js — cost of the amqplib producer shim per publish, in one process against
// RabbitMQ on 127.0.0.1:5672 (messages go to amq.direct with an unbound routing key: dropped by the
// broker). Rounds alternate: the original publish, the shim with tracing off, an unsampled span,
// a sampled span (finished into a discarding reporter, so UDP is not counted). Then the shim alone,
// around a publish that does nothing: what the shim itself costs, without the socket's noise.
import path from 'node:path';
import { createRequire } from 'node:module';
import definitions from '../instrumentations/amqplib';
import { wrapPublish } from '../instrumentations/amqplib/publish';
import { installHooks } from '../src/loader/hook';
import { setTracer } from '../src/tracer/global';
import { originalOf } from '../src/shim/wrap';
import { JaegerTracer } from '../src/tracer/tracer';
import { ConstSampler } from '../src/samplers/const';
import type { Reporter } from '../src/reporters/reporter';

const N = Number(process.env.BENCH_MESSAGES ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const version = process.env.BENCH_AMQPLIB ?? '2.3.1';

const discard: Reporter = { setProcess() {}, report() {}, flush: () => Promise.resolve(), close: () => Promise.resolve() };
const tracers = {
  sampled: new JaegerTracer({ serviceName: 'bench', sampler: new ConstSampler(true), reporter: discard }),
  unsampled: new JaegerTracer({ serviceName: 'bench', sampler: new ConstSampler(false), reporter: discard }),
};

async function main(): Promise<void> {
  installHooks({ amqplib: definitions });
  const load = createRequire(path.join(__dirname, '../../test/versions', `amqplib@${version}`, 'index.js'));
  const amqp = load('amqplib');
  const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
  const ch = await conn.createChannel();
  const wrapped = ch.publish as (...a: unknown[]) => boolean;
  const original = originalOf(wrapped);
  const body = Buffer.from('x'.repeat(64));
  const options = { headers: { 'x-app': '1' }, contentType: 'text/plain' };

  // What amqplib itself spends encoding the two headers the shim adds (uber-trace-id, traceparent).
  const withTraceHeaders = { ...options, headers: { ...options.headers,
    'uber-trace-id': '4bf92f3577b34da6:a3ce929d0e0e4736:0:1', traceparent: '00-00000000000000004bf92f3577b34da6-a3ce929d0e0e4736-01' } };
  const originalWithHeaders = function (this: unknown, ex: unknown, rk: unknown, b: unknown) {
    return original.call(this, ex, rk, b, withTraceHeaders);
  };

  async function round(fn: (...a: unknown[]) => boolean): Promise<number> {
    let spent = 0n;
    for (let i = 0; i < N; i++) {
      const t0 = process.hrtime.bigint();
      const ok = fn.call(ch, 'amq.direct', 'jaeger-auto-bench-nowhere', body, options);
      spent += process.hrtime.bigint() - t0;
      if (!ok) await new Promise((resolve) => ch.once('drain', resolve));
    }
    return Number(spent) / N / 1000; // µs per publish call
  }

  const modes: Array<[string, () => void, (...a: unknown[]) => boolean]> = [
    ['original publish', () => setTracer(undefined), original],
    ['original + 2 headers', () => setTracer(undefined), originalWithHeaders],
    ['shim, tracing off', () => setTracer(undefined), wrapped],
    ['shim, unsampled span', () => setTracer(tracers.unsampled), wrapped],
    ['shim, sampled span', () => setTracer(tracers.sampled), wrapped],
  ];
  const results = new Map<string, number[]>(modes.map(([m]) => [m, []]));
  for (const [, set, fn] of modes) { set(); await round(fn); } // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, set, fn] of modes) {
      set();
      results.get(name)!.push(await round(fn));
    }
  }
  setTracer(undefined);
  await conn.close();
  process.stdout.write(`amqplib@${version}, ${N} publishes x ${ROUNDS} rounds, median µs per publish call:\n`);
  for (const [name, xs] of results) {
    const s = [...xs].sort((a, b) => a - b);
    process.stdout.write(`  ${name.padEnd(22)} ${s[Math.floor(s.length / 2)].toFixed(2)}\n`);
  }
  isolated();
}

function isolated(): void {
  const M = 300_000;
  let sink = 0;
  const noop = function publish(_e: unknown, _r: unknown, _c: unknown, o: unknown): boolean { sink += o ? 1 : 0; return true; };
  const shim = wrapPublish(noop, false);
  const ch = { connection: {} };
  const body = Buffer.from('x');
  const options = { headers: { 'x-app': '1' } };
  const time = (fn: (...a: unknown[]) => boolean): number => {
    for (let i = 0; i < 20_000; i++) fn.call(ch, 'amq.direct', 'rk', body, options);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < M; i++) fn.call(ch, 'amq.direct', 'rk', body, options);
    return Number(process.hrtime.bigint() - t0) / M / 1000;
  };
  const rows: Array<[string, () => void, (...a: unknown[]) => boolean]> = [
    ['no-op publish', () => setTracer(undefined), noop],
    ['shim, tracing off', () => setTracer(undefined), shim],
    ['shim, unsampled span', () => setTracer(tracers.unsampled), shim],
    ['shim, sampled span', () => setTracer(tracers.sampled), shim],
  ];
  process.stdout.write(`the shim alone around a no-op publish, µs per call:\n`);
  for (const [name, set, fn] of rows) {
    set();
    process.stdout.write(`  ${name.padEnd(22)} ${time(fn).toFixed(3)}\n`);
  }
  setTracer(undefined);
  if (sink < 0) process.stdout.write('');
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exitCode = 1;
});
