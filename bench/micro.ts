// npm run bench:micro — what one span costs in jaeger-auto, piece by piece:
//   sampled    start, 3 tags, finish, encode, send over UDP to a discarding local receiver
//   unsampled  the same calls with a sampler that says no (what propagation alone costs)
//   encode     encoding already finished spans (3 tags) into a batch, compact and binary
// Each scenario runs in a fresh process, scenarios interleave within a round, and the table shows
// medians over the rounds: CPU µs per span (process.cpuUsage), heap bytes allocated per span
// (heapUsed growth over a run with a young generation big enough that no GC happens in it; a run
// where one did is left out), and encoded bytes per span. CPU and allocation are measured in
// separate processes: a 64 MB young generation holds the allocation run without a scavenge, but
// it also makes every allocation touch cold memory, which made the CPU figures of a process with
// it 1.7× (sampled) to 8× (unsampled) what the same loop costs under Node's default heap.
// Run a single scenario by hand: node dist/bench/micro.js <scenario> <udp-port> <spans> [cpu|alloc].
import { fork } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import { JaegerTracer } from '../src/tracer/tracer';
import { RemoteReporter } from '../src/reporters/remote';
import { UdpSender } from '../src/senders/udp';
import { ConstSampler } from '../src/samplers/const';
import { InMemoryReporter } from '../src/reporters/in-memory';
import { BatchBuilder, type Protocol } from '../src/thrift/batch-builder';
import type { FinishedSpan } from '../src/tracer/finished-span';
import { median, startUdpSink } from './common';

const SCENARIOS = ['sampled', 'unsampled', 'encode-compact', 'encode-binary'] as const;
type Scenario = (typeof SCENARIOS)[number];
const SPANS = Number(process.env.BENCH_SPANS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
// Allocation is measured on fewer spans so that they fit in the young generation without a GC.
const ALLOC_SPANS = 20_000;

type Measure = 'cpu' | 'alloc';
interface RoundResult { scenario: Scenario; spans: number; cpuUs: number; allocBytes: number; gcDuringAlloc: boolean; encodedBytes: number }

// ---------------------------------------------------------------- child: one scenario, one process

interface Work { run(n: number): void; settle(): Promise<void>; encodedBytes(): number }

function tracerWork(sampled: boolean, port: number): Work {
  const reporter = new RemoteReporter(new UdpSender({ host: '127.0.0.1', port }), { maxQueueSize: 1e9 });
  const tracer = new JaegerTracer({ serviceName: 'bench', sampler: new ConstSampler(sampled), reporter });
  return {
    run(n) {
      for (let i = 0; i < n; i++) {
        const s = tracer.startSpan('GET /users/:id');
        s.setTag('http.method', 'GET');
        s.setTag('http.status_code', 200);
        s.setTag('error', false);
        s.finish();
      }
    },
    settle: () => reporter.flush(),
    encodedBytes: () => 0,
  };
}

function encodeWork(protocol: Protocol): Work {
  // A pool of real finished spans (distinct ids and times), encoded over and over.
  const mem = new InMemoryReporter();
  const tracer = new JaegerTracer({ serviceName: 'bench', sampler: new ConstSampler(true), reporter: mem });
  for (let i = 0; i < 1024; i++) {
    const s = tracer.startSpan('GET /users/:id');
    s.setTag('http.method', 'GET');
    s.setTag('http.status_code', 200);
    s.setTag('error', false);
    s.finish();
  }
  const spans = mem.spans as readonly FinishedSpan[];
  const builder = new BatchBuilder({ protocol, envelope: protocol === 'compact', capacity: 65000 + 8192 });
  const stats = { fullQueueDroppedSpans: 0, tooLargeDroppedSpans: 0, failedToEmitSpans: 0 };
  let bytes = 0;
  let count = 0;
  return {
    run(n) {
      for (let i = 0; i < n; i++) {
        bytes += builder.append(spans[i & 1023]);
        count++;
        if (builder.bodyBytes > 60000) builder.recycle(builder.finish(i, stats));
      }
    },
    settle: async () => {},
    encodedBytes: () => bytes / count,
  };
}

async function child(scenario: Scenario, port: number, spans: number, measure: Measure): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  const work = scenario === 'sampled' || scenario === 'unsampled' ? tracerWork(scenario === 'sampled', port)
    : encodeWork(scenario === 'encode-compact' ? 'compact' : 'binary');
  // Warm up the JIT before measuring.
  work.run(spans / 10);
  await work.settle();
  gc();

  if (measure === 'alloc') {
    // Allocation: heapUsed growth with no GC in between.
    let gcs = 0;
    const obs = new PerformanceObserver((list) => { gcs += list.getEntries().length; });
    obs.observe({ entryTypes: ['gc'] });
    await new Promise((resolve) => setTimeout(resolve, 20)); // the forced GC's entry arrives late
    gcs = 0;
    const heap0 = process.memoryUsage().heapUsed;
    work.run(ALLOC_SPANS);
    const heap1 = process.memoryUsage().heapUsed;
    await new Promise((resolve) => setTimeout(resolve, 20)); // let the observer hear of any GC
    obs.disconnect();
    await work.settle();
    const result: RoundResult = {
      scenario, spans: ALLOC_SPANS, cpuUs: NaN, allocBytes: (heap1 - heap0) / ALLOC_SPANS, gcDuringAlloc: gcs > 0,
      encodedBytes: work.encodedBytes(),
    };
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }

  // CPU: the whole run including the final flush of what it produced.
  const cpu0 = process.cpuUsage();
  work.run(spans);
  await work.settle();
  const cpu = process.cpuUsage(cpu0);
  const result: RoundResult = {
    scenario, spans, cpuUs: cpu.user + cpu.system, allocBytes: NaN, gcDuringAlloc: false, encodedBytes: work.encodedBytes(),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

// ---------------------------------------------------------------- parent: rounds and the table

function runChild(scenario: Scenario, port: number, measure: Measure): Promise<RoundResult> {
  return new Promise((resolve, reject) => {
    const c = fork(__filename, [scenario, String(port), String(SPANS), measure], {
      // Only the allocation run gets the 64 MB young generation (see the top of this file).
      execArgv: measure === 'alloc' ? ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64'] : ['--expose-gc'],
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let out = '';
    c.stdout!.on('data', (d) => { out += d; });
    c.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${scenario} ${measure} run exited with ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()!));
    });
  });
}

/** One scenario's round: the CPU run, then the allocation run, merged. */
async function runRound(scenario: Scenario, port: number): Promise<RoundResult> {
  const cpu = await runChild(scenario, port, 'cpu');
  const alloc = await runChild(scenario, port, 'alloc');
  return { ...cpu, allocBytes: alloc.allocBytes, gcDuringAlloc: alloc.gcDuringAlloc };
}

async function parent(): Promise<void> {
  const sink = await startUdpSink();
  const results = new Map<Scenario, RoundResult[]>(SCENARIOS.map((s) => [s, []]));
  let sampledWire = { bytes: 0, datagrams: 0, spans: 0 };
  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order each round so no scenario always runs first or last.
    for (let i = 0; i < SCENARIOS.length; i++) {
      const scenario = SCENARIOS[(i + r) % SCENARIOS.length];
      await sink.ask('reset');
      const res = await runRound(scenario, sink.port);
      results.get(scenario)!.push(res);
      if (scenario === 'sampled') {
        // Wait until the receiver has drained its socket buffer.
        let stats = await sink.ask('stats');
        for (;;) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          const again = await sink.ask('stats');
          if (again.bytes === stats.bytes) break;
          stats = again;
        }
        sampledWire = {
          bytes: sampledWire.bytes + stats.bytes, datagrams: sampledWire.datagrams + stats.datagrams,
          // Both runs' spans: each warms up on SPANS / 10, then SPANS (cpu) or ALLOC_SPANS (alloc).
          spans: sampledWire.spans + SPANS * 1.2 + ALLOC_SPANS,
        };
      }
    }
  }
  sink.child.stdin!.end();

  console.log(`bench:micro — node ${process.version}, ${SPANS} spans per run (${ALLOC_SPANS} for allocation), ${ROUNDS} interleaved rounds, medians`);
  console.log('scenario         CPU µs/span  heap B/span  bytes/span');
  for (const scenario of SCENARIOS) {
    const rs = results.get(scenario)!;
    const cpu = median(rs.map((x) => x.cpuUs / x.spans));
    const clean = rs.filter((x) => !x.gcDuringAlloc);
    const alloc = median(clean.map((x) => x.allocBytes));
    const bytes = scenario === 'sampled' ? (sampledWire.spans ? sampledWire.bytes / sampledWire.spans : NaN)
      : scenario === 'unsampled' ? 0 : median(rs.map((x) => x.encodedBytes));
    console.log(
      `${scenario.padEnd(15)} ${cpu.toFixed(3).padStart(12)}  ${(clean.length ? alloc.toFixed(0) : 'n/a (gc)').padStart(11)}  ${bytes.toFixed(1).padStart(10)}`,
    );
  }
  console.log('sampled bytes/span: datagram bytes received / spans sent (includes each batch\'s process and envelope);');
  console.log('encode bytes/span: the span struct alone. Budget (issue 7): sampled ≤ 2 µs CPU per span.');
}

const [arg0, arg1, arg2, arg3] = process.argv.slice(2);
if ((SCENARIOS as readonly string[]).includes(arg0)) {
  child(arg0 as Scenario, Number(arg1), Number(arg2), arg3 === 'alloc' ? 'alloc' : 'cpu').then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
} else {
  parent().catch((err) => { console.error(err); process.exit(1); });
}
