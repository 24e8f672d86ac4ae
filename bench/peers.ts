// `npm run bench:peers`: the other Node tracers run through the same harness as jaeger-auto, so the
// comparison in issue 7 can be reproduced. The agents are installed into bench/peers/node_modules
// (bench/peers/install.js), never into the repository's own dependencies. Each exports at 100 %
// sampling to a discarding receiver on 127.0.0.1 (bench/peers/receiver.ts); every option that would
// make an agent reach another host (telemetry, remote config, cloud metadata, runtime metrics) is off.
// Run with `--guard` to add a preload that reports any non-loopback lookup or connection.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The harness's config shape (bench/configs.ts), repeated so this file builds on its own. */
export interface BenchConfig {
  name: string;
  nodeArgs: string[];
  env: Record<string, string>;
  setup?: () => Promise<void>;
}

const REPO = path.join(__dirname, '..', '..');
const PEERS_DIR = path.join(REPO, 'bench', 'peers');
const SERVICE = 'bench-app';
/** The receiver's port, filled in by setup(): the harness reads env only when it starts the app. */
const PORT = '{PEER_PORT}';

let installed: Promise<void> | undefined;
function ensureInstalled(): Promise<void> {
  installed ??= new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(PEERS_DIR, 'install.js')], { stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench/peers/install.js exited ${code}`))));
  });
  return installed;
}

interface Receiver { port: number; child: ChildProcess; ask(line: string): Promise<any> }
let receiver: Promise<Receiver> | undefined;
/** Starts the shared receiver once; it exits when this process does (its stdin closes). */
export function startReceiver(): Promise<Receiver> {
  receiver ??= new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'peers', 'receiver.js')], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! });
    const waiting: Array<(v: any) => void> = [];
    lines.once('line', (first) => {
      lines.on('line', (line) => waiting.shift()?.(JSON.parse(line)));
      child.unref();
      (child.stdout as any).unref?.();
      resolve({
        port: JSON.parse(first).port,
        child,
        ask: (line) => new Promise((r) => { waiting.push(r); child.stdin!.write(line + '\n'); }),
      });
    });
    child.on('error', reject);
  });
  return receiver;
}

/** A config whose setup installs the agents, starts the receiver and puts its port and the
 *  resolved preload path in place. */
function peer(name: string, preload: () => string, env: Record<string, string>): BenchConfig {
  const config: BenchConfig = {
    name,
    nodeArgs: [],
    env,
    async setup() {
      await ensureInstalled();
      const { port } = await startReceiver();
      config.nodeArgs = ['--require', preload()];
      for (const key of Object.keys(config.env)) config.env[key] = config.env[key].replace(PORT, String(port));
    },
  };
  return config;
}

const fromPeers = (id: string) => () => createRequire(path.join(PEERS_DIR, 'package.json')).resolve(id);

export function peerConfigs(): BenchConfig[] {
  return [
    peer('otel', fromPeers('@opentelemetry/auto-instrumentations-node/register'), {
      OTEL_SERVICE_NAME: SERVICE,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${PORT}/v1/traces`,
      OTEL_TRACES_SAMPLER: 'always_on',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      // The default detectors include cloud ones that probe metadata endpoints.
      OTEL_NODE_RESOURCE_DETECTORS: 'none',
      OTEL_SDK_DISABLED: 'false',
    }),
    peer('dd-trace', fromPeers('dd-trace/init'), {
      DD_SERVICE: SERVICE,
      DD_TRACE_AGENT_URL: `http://127.0.0.1:${PORT}`,
      DD_AGENT_HOST: '127.0.0.1',
      DD_TRACE_SAMPLE_RATE: '1',
      DD_RUNTIME_METRICS_ENABLED: 'false',
      DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
      DD_REMOTE_CONFIGURATION_ENABLED: 'false',
      DD_PROFILING_ENABLED: 'false',
      DD_APPSEC_ENABLED: 'false',
      DD_IAST_ENABLED: 'false',
      DD_DATA_STREAMS_ENABLED: 'false',
      DD_DYNAMIC_INSTRUMENTATION_ENABLED: 'false',
      DD_LLMOBS_ENABLED: 'false',
      DD_CRASHTRACKING_ENABLED: 'false',
      DD_TRACE_STATS_COMPUTATION_ENABLED: 'false',
      DD_TRACE_STARTUP_LOGS: 'false',
    }),
    peer('elastic', fromPeers('elastic-apm-node/start'), {
      ELASTIC_APM_SERVICE_NAME: SERVICE,
      ELASTIC_APM_SERVER_URL: `http://127.0.0.1:${PORT}`,
      ELASTIC_APM_TRANSACTION_SAMPLE_RATE: '1',
      ELASTIC_APM_CENTRAL_CONFIG: 'false',
      ELASTIC_APM_CLOUD_PROVIDER: 'none',
      ELASTIC_APM_METRICS_INTERVAL: '0s',
      ELASTIC_APM_BREAKDOWN_METRICS: 'false',
      ELASTIC_APM_LOG_LEVEL: 'error',
    }),
    // One server span per request and nothing else: the floor a tracer without hooks pays.
    peer('jaeger-client', () => path.join(__dirname, 'peers', 'jaeger-client-span.js'), {
      JAEGER_SERVICE_NAME: SERVICE,
      JAEGER_AGENT_HOST: '127.0.0.1',
      JAEGER_AGENT_PORT: '{UDP_PORT}',
      JAEGER_SAMPLER_TYPE: 'const',
      JAEGER_SAMPLER_PARAM: '1',
    }),
  ];
}

/** jaeger-auto's own rows for the same table, used when the harness's configs are not there. */
function ownConfigs(): BenchConfig[] {
  const preload = ['-r', path.join(REPO, 'register.js')];
  const common = { JAEGER_SERVICE_NAME: SERVICE, JAEGER_LOG_LEVEL: 'error' };
  return [
    { name: 'baseline', nodeArgs: [], env: {} },
    {
      name: 'udp', nodeArgs: preload,
      env: { ...common, JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: '{UDP_PORT}', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1' },
    },
  ];
}

function optional(id: string): any {
  try {
    return require(id);
  } catch (err: any) {
    if (err?.code === 'MODULE_NOT_FOUND' && String(err.message).includes(id.slice(2))) return undefined;
    throw err;
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const guard = argv.includes('--guard');
  const configs = optional('./configs');
  const own: BenchConfig[] = configs
    ? configs.CONFIGS.filter((c: BenchConfig) => c.name === 'baseline' || c.name === 'udp')
    : ownConfigs();
  const all = [...own, ...peerConfigs()];
  if (guard) {
    for (const c of all) {
      const guardArgs = ['--require', path.join(__dirname, 'peers', 'net-guard.js')];
      const setup = c.setup;
      if (!setup) {
        c.nodeArgs = [...guardArgs, ...c.nodeArgs];
        continue;
      }
      c.setup = async () => {
        await setup();
        c.nodeArgs = [...guardArgs, ...c.nodeArgs];
      };
    }
  }
  const { runBench, renderTable } = require('./harness') as typeof import('./harness');
  const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  const routes = (process.env.BENCH_ROUTES ?? '/plain,/db,/outbound').split(',').map((r) => (r.startsWith('/') ? r : `/${r}`));
  const report = await runBench({
    configs: all, routes, rounds: env('BENCH_ROUNDS', 5), seconds: env('BENCH_SECONDS', 5),
    connections: env('BENCH_CONNECTIONS', 20),
  });
  const table = renderTable(report.rows);
  console.log(table);
  const md = ['# jaeger-auto and other Node tracers, same harness', '',
    `Generated by \`npm run bench:peers\` on ${new Date().toISOString()}, Node ${process.version}; ` +
    `${report.settings.rounds} interleaved rounds of ${report.settings.seconds} s, ${report.settings.connections} connections. ` +
    'Bytes out/req counts only what reached the UDP/HTTP sinks (jaeger-auto, jaeger-client); the other peers export to bench/peers/receiver.ts.',
    '', table, ''].join('\n');
  require('node:fs').writeFileSync(path.join(REPO, 'bench', 'PEERS.md'), md);
  const r = await startReceiver();
  console.log('\nreceiver (what each peer exported, all rounds):', JSON.stringify(await r.ask('stats')));
}

if (require.main === module) {
  main().then(() => process.exit(0), (err) => {
    console.error(err);
    process.exit(1);
  });
}
