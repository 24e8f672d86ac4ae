// npm run bench:core — the tracer core alone: start a span, set 3 tags, finish it, encode it and
// send it over UDP to a local discarding receiver. jaeger-auto and jaeger-client 3.19 do the same
// work in alternating rounds inside one run; each round runs in a fresh child process.
import { fork } from 'node:child_process';
import path from 'node:path';
import { median, startUdpSink } from './common';

const SPANS = Number(process.env.BENCH_SPANS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

interface RoundResult { tracer: string; spans: number; ms: number; cpuMs: number; heapGrowthMb: number; reported: number }

function runRound(tracer: string, port: number): Promise<RoundResult> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'core-round.js'), [tracer, String(port), String(SPANS)], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${tracer} round exited with ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()!));
    });
  });
}

async function main(): Promise<void> {
  const sink = await startUdpSink();
  const results: Record<string, RoundResult[]> = { 'jaeger-auto': [], 'jaeger-client': [] };
  const wire: Record<string, { bytes: number; datagrams: number; spans: number }> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const tracer of ['jaeger-auto', 'jaeger-client']) {
      await sink.ask('reset');
      const res = await runRound(tracer, sink.port);
      // The receiver may still be draining its socket buffer: wait until the counts stop moving.
      let stats = await sink.ask('stats');
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const again = await sink.ask('stats');
        if (again.bytes === stats.bytes) break;
        stats = again;
      }
      results[tracer].push(res);
      const w = (wire[tracer] ??= { bytes: 0, datagrams: 0, spans: 0 });
      w.bytes += stats.bytes; w.datagrams += stats.datagrams; w.spans += res.reported;
    }
  }
  sink.child.stdin!.end();

  const rows = Object.entries(results).map(([name, rs]) => {
    const ms = median(rs.map((x) => x.ms));
    const cpu = median(rs.map((x) => x.cpuMs));
    return {
      tracer: name,
      spansPerSec: Math.round(SPANS / (ms / 1000)),
      cpuUsPerSpan: (cpu * 1000) / SPANS,
      bytesPerSpan: wire[name].spans ? wire[name].bytes / wire[name].spans : NaN,
      heapGrowthMb: median(rs.map((x) => x.heapGrowthMb)),
      datagrams: Math.round(wire[name].datagrams / ROUNDS),
    };
  });
  const ours = rows[0];
  const theirs = rows[1];
  console.log(`bench:core — ${SPANS} spans per round, ${ROUNDS} interleaved rounds, medians`);
  console.log('tracer         spans/s    CPU µs/span  bytes/span  datagrams/round  heap growth MB');
  for (const r of rows) {
    console.log(
      `${r.tracer.padEnd(14)} ${String(r.spansPerSec).padStart(9)}  ${r.cpuUsPerSpan.toFixed(2).padStart(11)}  ` +
      `${r.bytesPerSpan.toFixed(1).padStart(10)}  ${String(r.datagrams).padStart(15)}  ${r.heapGrowthMb.toFixed(1).padStart(14)}`,
    );
  }
  console.log(`ratio jaeger-auto / jaeger-client throughput: ${(ours.spansPerSec / theirs.spansPerSec).toFixed(2)}x`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
