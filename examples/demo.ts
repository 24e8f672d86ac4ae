// npm run demo — three plain services (examples/services/*.js, no tracing code in them) run under the
// preload, `node -r ./register.js`, exactly as a user would run their own. The demo drives a few
// checkouts through them, stops them with SIGTERM (the preload flushes on it), receives their spans
// on an in-process Jaeger agent and prints every trace as a tree. No Jaeger is needed; when the
// user names one (JAEGER_AGENT_HOST or JAEGER_ENDPOINT) the same bytes are relayed to it too.
import http from 'node:http';
import path from 'node:path';
import { FakeAgent, FakeCollector, type Received } from '../test/helpers/fake-agent';
import { ROOT, startFixture } from '../test/helpers/run-fixture';
import { readEnv } from '../src/config/from-env';
import { SCHEMA, type ConfigValues } from '../src/config/schema';
import { fromDecodedBatch, groupTraces, ms, renderTraces, type TreeSpan } from './trace-tree';
import { HttpRelay, UdpRelay } from './relay';

const SERVICES = path.join(ROOT, 'examples/services');
const ITEMS = [1, 2, 3];
const STOP_TIMEOUT_MS = 5000;
const SPANS_TIMEOUT_MS = 5000;

/** The demo's receiver: FakeAgent (UDP) or FakeCollector (HTTP), both decoding real Thrift. */
interface Sink {
  readonly batches: Received[];
  readonly errors: Error[];
  waitFor(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

type Service = ReturnType<typeof startFixture> & { name: string; url: string; ready: Promise<void> };

// Settings of the user's that the services keep (with their aliases): auth, so the relay forwards
// real credentials, and what shapes the spans. Transport, sampling and switches are the demo's.
const KEPT: readonly (keyof ConfigValues)[] = [
  'user', 'password', 'authToken', 'tags', 'traceId128bit', 'propagation', 'logLevel', 'timeoutMs',
];

function keptEnv(): Record<string, string | undefined> {
  const names = SCHEMA.filter((e) => KEPT.includes(e.key)).flatMap((e) => [e.env, ...(e.aliases ?? [])]);
  return Object.fromEntries(names.map((n) => [n, process.env[n]]));
}

/** Spawns the service now (so it can always be stopped); `ready` resolves once it listens. */
function launch(name: string, env: Record<string, string | undefined>): Service {
  const fixture = startFixture(path.join(SERVICES, `${name}.js`), {
    env: { ...keptEnv(), ...env, JAEGER_SERVICE_NAME: name, JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1', PORT: '0' },
    timeoutMs: 60_000,
  });
  const service: Service = {
    ...fixture, name, url: '',
    ready: fixture.waitForLine(/listening on http:\/\/\S+/).then((line) => { service.url = /(http:\/\/\S+)/.exec(line)![1]; }),
  };
  return service;
}

/** SIGTERM, then SIGKILL if the service has not exited in time. */
async function stopService(s: Service): Promise<string | undefined> {
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  const { code, signal } = await s.exited;
  clearTimeout(timer);
  // Exiting by the re-raised SIGTERM is the clean outcome for an app without its own handler.
  return code === 0 || signal === 'SIGTERM' ? undefined : `${s.name} exited with ${code ?? signal}`;
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

function received(sink: Sink): TreeSpan[] {
  return sink.batches.flatMap((b) => fromDecodedBatch(b.batch));
}

/**
 * Why the spans so far do not yet make one whole trace per checkout (undefined once they do): each
 * trace has a single root, every parent arrived, and every answered client call has its server span.
 */
function incomplete(spans: TreeSpan[], checkouts: number): string | undefined {
  const traces = groupTraces(spans);
  if (traces.size !== checkouts) return `${traces.size} trace(s) for ${checkouts} checkout(s)`;
  for (const [id, list] of traces) {
    const ids = new Set(list.map((s) => s.spanId));
    const orphans = list.filter((s) => s.parentId !== undefined && !ids.has(s.parentId));
    if (orphans.length > 0) return `trace ${id}: parent of ${orphans[0].service} ${orphans[0].operation} missing`;
    if (list.filter((s) => s.parentId === undefined).length !== 1) return `trace ${id}: not exactly one root`;
    const answered = list.filter((s) => s.tags['span.kind'] === 'client' && s.tags['http.status_code'] !== undefined);
    const unserved = answered.find((c) => !list.some((s) => s.parentId === c.spanId && s.tags['span.kind'] === 'server'));
    if (unserved) return `trace ${id}: no server span under ${unserved.service}'s call to ${String(unserved.tags['http.url'])}`;
  }
  return undefined;
}

/** Text after the operation name: the path, and for calls which service was called. */
function describeWith(peers: Map<string, string>): (s: TreeSpan) => string {
  return (s) => {
    const raw = s.tags['http.url'];
    if (typeof raw !== 'string') return '';
    const url = new URL(raw, 'http://unknown');
    const where = url.pathname + url.search;
    return s.tags['span.kind'] === 'client' ? `→ ${peers.get(url.host) ?? url.host} ${where}` : where;
  };
}

interface Transport {
  sink: Sink;
  relay?: UdpRelay | HttpRelay;
  env: Record<string, string>;
  where: string;
}

/** Where the services send spans: straight to our agent, or through a relay to the user's Jaeger. */
async function transport(): Promise<Transport> {
  // Only what the user set counts (aliases too); bad values are warned about once, here.
  const user = readEnv(process.env, (m) => console.error(`demo: ${m}`)).values;
  if (user.endpoint !== undefined) {
    const collector = await FakeCollector.start();
    const relay = await HttpRelay.start(collector.url, user.endpoint);
    const where = `this demo's collector (HTTP, 127.0.0.1:${collector.port})`;
    return { sink: collector, relay, env: { JAEGER_ENDPOINT: relay.url }, where };
  }
  const agent = await FakeAgent.start();
  let port = agent.port;
  let relay: UdpRelay | undefined;
  if (user.agentHost !== undefined) {
    relay = await UdpRelay.start(agent.port, user.agentHost, user.agentPort ?? 6831);
    port = relay.port;
  }
  const where = `this demo's agent (UDP, 127.0.0.1:${agent.port})`;
  return { sink: agent, relay, env: { JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(port) }, where };
}

const HOW_TO_JAEGER = `To see these traces in Jaeger, start an all-in-one Jaeger and run the demo again pointed at it:
  docker run --rm -d --name jaeger -p 6831:6831/udp -p 14268:14268 -p 16686:16686 jaegertracing/all-in-one:latest
  JAEGER_AGENT_HOST=localhost npm run demo                          # relays over UDP to the agent (port 6831)
  JAEGER_ENDPOINT=http://localhost:14268/api/traces npm run demo    # or over HTTP to the collector
then open http://localhost:16686 and pick the service "frontend".
Your own service, traced the same way: JAEGER_SERVICE_NAME=<name> JAEGER_AGENT_HOST=localhost node -r jaeger-auto/register app.js`;

async function main(): Promise<number> {
  const { sink, relay, env, where } = await transport();
  const services: Service[] = [];
  const failures: string[] = [];
  try {
    const inventory = launch('inventory', env);
    const pricing = launch('pricing', env);
    services.push(inventory, pricing);
    await Promise.all([inventory.ready, pricing.ready]);
    const frontend = launch('frontend', { ...env, INVENTORY_URL: inventory.url, PRICING_URL: pricing.url });
    services.push(frontend);
    await frontend.ready;

    console.log(`jaeger-auto demo: frontend → inventory + pricing, three processes under node -r jaeger-auto/register\n`);
    // One after another, so pricing's every-third-request failure always lands on the last checkout.
    for (const item of ITEMS) {
      const res = await get(`${frontend.url}/checkout?item=${item}`);
      console.log(`GET /checkout?item=${item} → ${res.status} ${res.body}`);
    }
  } catch (err) {
    failures.push((err as Error).message);
  }
  for (const problem of await Promise.all(services.map(stopService))) if (problem) failures.push(problem);

  const checkouts = failures.length === 0 ? ITEMS.length : 0;
  if (checkouts > 0) {
    await sink.waitFor(() => incomplete(received(sink), checkouts) === undefined, SPANS_TIMEOUT_MS, 'one whole trace per checkout')
      .catch(() => failures.push(`spans incomplete after ${SPANS_TIMEOUT_MS} ms: ${incomplete(received(sink), checkouts)}`));
  }
  await relay?.settled();
  await Promise.all([sink.close(), relay?.close()]);

  const spans = received(sink);
  const peers = new Map(services.filter((s) => s.url).map((s) => [new URL(s.url).host, s.name]));
  if (spans.length > 0) {
    console.log(`\n${renderTraces(spans, { detail: describeWith(peers), tags: ['http.status_code', 'error'], barWidth: 16 })}\n`);
  }
  const traces = groupTraces(spans).size;
  const names = [...new Set(spans.map((s) => s.service))].sort().join(', ');
  const total = spans.length === 0 ? 0 : Math.max(...spans.map((s) => s.startUs + s.durationUs)) - Math.min(...spans.map((s) => s.startUs));
  const counts = `${plural(traces, 'trace')}, ${plural(spans.length, 'span')}`;
  console.log(`${ITEMS.length} checkouts → ${counts} from ${names || 'no service'} in ${ms(total)}.`);
  if (relay) {
    console.log(`Spans went to ${where} and were relayed verbatim to ${relay.summary()}`);
    if (relay.failures.size > 0) {
      failures.push(`relaying to ${relay.target} failed`);
      console.log(`\n${HOW_TO_JAEGER}`);
    } else {
      console.log(`\nFind the traces in the Jaeger UI (all-in-one: http://${relay.uiHost}:16686), service "frontend".`);
    }
  } else {
    console.log(`Spans went to ${where} only; nothing left this machine.\n\n${HOW_TO_JAEGER}`);
  }

  for (const s of services) {
    const err = s.stderr().trim();
    if (err) console.error(`\n[${s.name} stderr]\n${err}`);
  }
  for (const e of sink.errors) failures.push(`undecodable span data: ${e.message}`);
  for (const f of failures) console.error(`demo: ${f}`);
  return failures.length === 0 ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (err) => {
  console.error(err);
  process.exitCode = 1;
});
