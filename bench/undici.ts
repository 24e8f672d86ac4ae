// node dist/bench/undici.js — what the undici/global fetch subscriber costs per request, in one
// process, modes alternating within each round (medians over the rounds):
//   1. the subscriber alone: create + headers + trailers published for a stand-in request object
//      (undici 7's shape, addHeader included), as undici does per request;
//   2. real undici.request() round trips to a local keep-alive server (newest tested undici).
// Modes: not subscribed (no preload), subscribed with tracing off, unsampled, sampled. Sampled spans
// go to an in-memory reporter emptied after each mode. Settings: BENCH_N (20000), BENCH_ROUNDS (5).
import { channel } from 'node:diagnostics_channel';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTracer } from '../src/tracer/global';
import { installHooks } from '../src/loader/hook';
import { BUILTIN_INSTRUMENTATIONS, selectInstrumentations } from '../src/loader/registry';
import { memoryTracer } from '../test/helpers/tracer';
import { requireVersion, versionSet } from '../test/helpers/versions';

const N = Number(process.env.BENCH_N ?? 20000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const create = channel('undici:request:create');
const headers = channel('undici:request:headers');
const trailers = channel('undici:request:trailers');

function fakeRequest() {
  return {
    origin: 'http://127.0.0.1:8080', method: 'GET', path: '/items?id=7', upgrade: null,
    headers: ['accept', '*/*'] as string[],
    addHeader(k: string, v: string) { this.headers.push(k, v); return this; },
  };
}

function channelsOnly(): number {
  const response = { statusCode: 200, headers: [], statusText: 'OK' };
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const request = fakeRequest();
    if (create.hasSubscribers) create.publish({ request });
    if (headers.hasSubscribers) headers.publish({ request, response });
    if (trailers.hasSubscribers) trailers.publish({ request, trailers: [] });
  }
  return ((performance.now() - t0) * 1000) / N;
}

async function roundTrips(undici: any, url: string, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const { body } = await undici.request(url);
    await body.text();
  }
  return ((performance.now() - t0) * 1000) / n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const version = versionSet('undici').versions.at(-1)!;
  const undici = requireVersion('undici', version);
  const server = http.createServer((req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/items?id=7`;
  const sampled = memoryTracer({ sampled: true });
  const unsampled = memoryTracer({ sampled: false });

  type Mode = { name: string; enter(): () => void };
  const subscribed = (tracer: typeof sampled.tracer | undefined) => () => {
    const handle = installHooks(selectInstrumentations(BUILTIN_INSTRUMENTATIONS, ['undici'], []));
    setTracer(tracer);
    return () => { setTracer(undefined); handle.uninstall(); };
  };
  const modes: Mode[] = [
    { name: 'not subscribed', enter: () => () => {} },
    { name: 'tracing off', enter: subscribed(undefined) },
    { name: 'unsampled', enter: subscribed(unsampled.tracer) },
    { name: 'sampled', enter: subscribed(sampled.tracer) },
  ];
  const results = new Map(modes.map((m) => [m.name, { channels: [] as number[], requests: [] as number[] }]));
  await roundTrips(undici, url, 2000); // warm up
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of modes) {
      const leave = mode.enter();
      results.get(mode.name)!.channels.push(channelsOnly());
      results.get(mode.name)!.requests.push(await roundTrips(undici, url, Math.floor(N / 10)));
      leave();
      sampled.reporter.clear();
    }
  }
  console.log(`undici@${version}, Node ${process.version}: µs per request, median of ${ROUNDS} rounds`);
  for (const [name, r] of results) {
    console.log(`  ${name.padEnd(15)} subscriber ${median(r.channels).toFixed(2).padStart(6)}   undici.request round trip ${median(r.requests).toFixed(1).padStart(6)}`);
  }
  server.close();
  await undici.getGlobalDispatcher().close();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
