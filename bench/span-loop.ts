// The loop `npm run bench:instructions` counts for its `span` target (argv: a built checkout, UDP
// agent port, sampled|unsampled): spans shaped like an incoming request's server span (shared
// span.kind and component tags, method and URL, shared peer tags, the status code last), started,
// finished, encoded and sent over UDP by that checkout's own tracer. Each `run N` line on stdin runs
// N spans, flushes, and answers `ok`; it exits when stdin closes. No server, no sockets per span:
// what is counted is the tracer alone, so a change of a few hundred instructions per span shows.
import path from 'node:path';
import { createInterface } from 'node:readline';

const [root, portArg, mode] = process.argv.slice(2);
const load = (file: string): any => require(path.join(path.resolve(root), 'dist', 'src', file)); // eslint-disable-line @typescript-eslint/no-var-requires
const { JaegerTracer } = load('tracer/tracer');
const { RemoteReporter } = load('reporters/remote');
const { UdpSender } = load('senders/udp');
const { ConstSampler } = load('samplers/const');
const { sharedTags, addSharedTags } = load('shim/span-helpers');

const reporter = new RemoteReporter(new UdpSender({ host: '127.0.0.1', port: Number(portArg) }), { maxQueueSize: 1e9 });
const tracer = new JaegerTracer({ serviceName: 'bench-span', sampler: new ConstSampler(mode !== 'unsampled'), reporter });
const SERVER_TAGS = sharedTags({ 'span.kind': 'server', component: 'http' });
const PEER_TAGS = sharedTags({ 'peer.ipv4': '127.0.0.1', 'peer.port': 40312 });

function serverSpan(): void {
  const span = tracer.startSpan('GET', { ignoreActiveSpan: true });
  if (span.spanContext.isSampled) {
    addSharedTags(span, SERVER_TAGS);
    span.setTag('http.method', 'GET');
    span.setTag('http.url', '/plain');
    addSharedTags(span, PEER_TAGS);
  }
  span.setTag('http.status_code', 200);
  span.finish();
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const n = Number(line.split(' ')[1]);
  for (let i = 0; i < n; i++) serverSpan();
  reporter.flush().then(() => process.stdout.write('ok\n'), () => process.stdout.write('ok\n'));
}).on('close', () => process.exit(0));
process.stdout.write('ready\n');
