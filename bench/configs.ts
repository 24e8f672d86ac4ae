// The configurations `npm run bench` compares, as data so other benchmarks (bench/peers.ts) can
// pass their own list to runBench(). In env values the harness replaces {UDP_PORT} and {HTTP_PORT}
// with the ports of its discarding receivers and {REPO} with the repository root.
import path from 'node:path';

export interface BenchConfig {
  name: string;
  /** node options placed before the app script, e.g. ['-r', '/path/register.js'] */
  nodeArgs: string[];
  env: Record<string, string>;
  /** run once before the first round (e.g. install a peer agent) */
  setup?: () => Promise<void>;
}

/** The repository root, from dist/bench/configs.js. */
export const REPO = path.join(__dirname, '..', '..');
const preload = ['-r', path.join(REPO, 'register.js')];
const common = { JAEGER_SERVICE_NAME: 'bench-app', JAEGER_LOG_LEVEL: 'error' };

export const CONFIGS: BenchConfig[] = [
  { name: 'baseline', nodeArgs: [], env: {} },
  {
    name: 'udp',
    nodeArgs: preload,
    env: {
      ...common, JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: '{UDP_PORT}',
      JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
    },
  },
  {
    name: 'http',
    nodeArgs: preload,
    env: {
      ...common, JAEGER_ENDPOINT: 'http://127.0.0.1:{HTTP_PORT}/api/traces',
      JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
    },
  },
  {
    name: 'unsampled',
    nodeArgs: preload,
    env: {
      ...common, JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: '{UDP_PORT}',
      JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '0',
    },
  },
  {
    // Not jaeger-auto: AsyncLocalStorage around each request and nothing else, the floor under any
    // ALS-based tracer (bench/als-floor.js). Run it with BENCH_CONFIGS=baseline,als-floor,unsampled.
    name: 'als-floor',
    nodeArgs: ['-r', path.join(REPO, 'bench', 'als-floor.js')],
    env: {},
  },
  {
    name: 'disabled',
    nodeArgs: preload,
    env: { ...common, JAEGER_DISABLED: 'true', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: '{UDP_PORT}' },
  },
];

export const ROUTES = ['/plain', '/db', '/outbound', '/all'];
