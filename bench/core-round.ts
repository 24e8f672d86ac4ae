// One measured round of bench:core in a fresh process: argv = tracer name, UDP port, span count.
import { JaegerTracer } from '../src/tracer/tracer';
import { RemoteReporter } from '../src/reporters/remote';
import { UdpSender } from '../src/senders/udp';
import { ConstSampler } from '../src/samplers/const';

const [tracerName, portArg, spansArg] = process.argv.slice(2);
const port = Number(portArg);
const spans = Number(spansArg);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

interface Tracer { startSpan(name: string, opts?: object): { setTag(k: string, v: unknown): unknown; finish(): void }; close(cb?: () => void): unknown }

interface Subject { tracer: Tracer; settle: () => Promise<void>; close: () => Promise<number> }

function makeTracer(): Subject {
  if (tracerName === 'jaeger-auto') {
    const reporter = new RemoteReporter(new UdpSender({ host: '127.0.0.1', port }), { maxQueueSize: 1e9 });
    const tracer = new JaegerTracer({ serviceName: 'bench', sampler: new ConstSampler(true), reporter });
    let sentBefore = 0;
    return {
      tracer,
      settle: async () => { await reporter.flush(); sentBefore = reporter.stats().sent; },
      close: async () => { await tracer.close(); return reporter.stats().sent - sentBefore; },
    };
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { initTracer } = require('jaeger-client');
  const silent = { info() {}, error() {} };
  const tracer = initTracer(
    { serviceName: 'bench', sampler: { type: 'const', param: 1 }, reporter: { agentHost: '127.0.0.1', agentPort: port } },
    { logger: silent },
  );
  return {
    tracer,
    settle: () => new Promise((resolve) => setTimeout(resolve, 50)),
    // jaeger-client does not count what it sent; assume all of it.
    close: () => new Promise((resolve) => tracer.close(() => resolve(spans))),
  };
}

async function main(): Promise<void> {
  const { tracer, settle, close } = makeTracer();
  // Warm up the JIT on a tenth of the work before measuring.
  for (let i = 0; i < spans / 10; i++) {
    const s = tracer.startSpan('warmup');
    s.setTag('a', 'x'); s.setTag('b', 1); s.setTag('c', true);
    s.finish();
  }
  await settle();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < spans; i++) {
    const s = tracer.startSpan('GET /users/:id');
    s.setTag('http.method', 'GET');
    s.setTag('http.status_code', 200);
    s.setTag('error', false);
    s.finish();
  }
  const reported = await close();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  gc();
  const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  process.stdout.write(JSON.stringify({
    tracer: tracerName, spans, ms, cpuMs: (cpu.user + cpu.system) / 1000, heapGrowthMb,
    reported,
  }) + '\n');
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
