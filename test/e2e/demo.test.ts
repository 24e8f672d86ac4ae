// `npm run demo`, the README's main command, end to end: the compiled demo runs as a child process
// (three services under the preload, driven through three checkouts) and its printed trees are
// parsed back. Relaying is checked against a fake agent and collector on 127.0.0.1 standing in for
// the user's Jaeger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FakeAgent, FakeCollector, type Received } from '../helpers/fake-agent';
import { ROOT } from '../helpers/run-fixture';

const DEMO = path.join(ROOT, 'dist/examples/demo.js');
const SERVICES = path.join(ROOT, 'examples/services');

interface Run { code: number | null; stdout: string; stderr: string }

function runDemo(env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    // Only PATH of ours: a JAEGER_* variable set where the tests run must not turn relaying on.
    execFile(process.execPath, [DEMO], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 12_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

interface Line { depth: number; service: string; operation: string; rest: string }
interface Trace { id: string; spanCount: number; lines: Line[] }

// `   +1.2 ms  |  ███   |   frontend GET → inventory /items/1   5.0 ms  http.status_code=200`
const SPAN_LINE = /^ *\+[\d.]+ (?:µs|ms)  \|[^|]*\| ( *)(\S+) (\S+)(.*)$/;

function parse(stdout: string): { checkouts: string[]; traces: Trace[] } {
  const checkouts = stdout.split('\n').filter((l) => l.startsWith('GET /checkout'));
  const traces: Trace[] = [];
  for (const line of stdout.split('\n')) {
    const header = /^trace ([0-9a-f]+)  (\d+) spans? /.exec(line);
    if (header) {
      traces.push({ id: header[1], spanCount: Number(header[2]), lines: [] });
      continue;
    }
    const span = SPAN_LINE.exec(line);
    if (span) {
      assert.ok(traces.length > 0, `span line before any trace header: ${line}`);
      traces[traces.length - 1].lines.push({ depth: span[1].length / 2, service: span[2], operation: span[3], rest: span[4] });
    }
  }
  return { checkouts, traces };
}

function receivedTraceIds(batches: Received[]): Set<string> {
  const id = (high: string, low: string): string => (high === '0000000000000000' ? '' : high) + low;
  return new Set(batches.flatMap((b) => b.batch.spans.map((s) => id(s.traceIdHigh, s.traceIdLow))));
}

function spanCount(traces: Trace[]): number {
  return traces.reduce((n, t) => n + t.lines.length, 0);
}

test('the demo services carry no tracing code: the preload does all of it', () => {
  const files = readdirSync(SERVICES).filter((f) => f.endsWith('.js'));
  assert.deepEqual(files.sort(), ['frontend.js', 'inventory.js', 'pricing.js']);
  for (const f of files) {
    const source = readFileSync(path.join(SERVICES, f), 'utf8');
    assert.doesNotMatch(source, /require\(['"](jaeger-auto|opentracing)|startSpan|uber-trace-id|traceparent/, f);
  }
});

test('npm run demo: exits 0, quietly, with one whole trace per checkout across the three services', async () => {
  const run = await runDemo();
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(run.stderr, '', 'nothing on stderr in a clean run');
  const { checkouts, traces } = parse(run.stdout);
  assert.equal(checkouts.length, 3, run.stdout);
  for (const c of checkouts) assert.match(c, /→ 200 /);
  assert.equal(traces.length, checkouts.length, `one trace per checkout:\n${run.stdout}`);
  assert.equal(new Set(traces.map((t) => t.id)).size, traces.length);
  traces.forEach((t) => {
    assert.match(t.id, /^([0-9a-f]{16}|[0-9a-f]{32})$/);
    assert.equal(t.lines.length, t.spanCount, `trace ${t.id}: every span printed`);
    const roots = t.lines.filter((l) => l.depth === 0);
    assert.equal(roots.length, 1, `trace ${t.id}: a single root`);
    assert.equal(t.lines[0], roots[0]);
    assert.equal(roots[0].service, 'frontend');
    // The checkout's server span (the query string is not recorded: it may carry personal data).
    assert.match(roots[0].rest, /^ \/checkout\b.*http\.status_code=200/);
    assert.deepEqual(new Set(t.lines.map((l) => l.service)), new Set(['frontend', 'inventory', 'pricing']));
    // Each downstream server span sits under the frontend call that reached it.
    t.lines.forEach((l, j) => {
      if (l.service === 'frontend') return;
      assert.equal(l.depth, 2, `${l.service} span at depth 2`);
      assert.match(t.lines[j - 1].rest, new RegExp(`→ ${l.service} `), `${l.service} span follows its caller`);
    });
  });
  // Pricing fails every third request: the last checkout shows the failed call and its retry.
  const errors = traces[2].lines.filter((l) => / error=true/.test(l.rest));
  assert.ok(errors.some((l) => l.service === 'pricing' && /status_code=503/.test(l.rest)), run.stdout);
  assert.equal(traces[2].lines.filter((l) => l.service === 'pricing').length, 2, 'pricing called twice');
  assert.ok(traces.slice(0, 2).every((t) => !/error=true/.test(t.lines.map((l) => l.rest).join())));
  assert.match(run.stdout, /3 checkouts → 3 traces, \d+ spans from frontend, inventory, pricing/);
  assert.match(run.stdout, /nothing left this machine/);
  assert.match(run.stdout, /JAEGER_AGENT_HOST=\S+ npm run demo/);
  assert.match(run.stdout, /JAEGER_ENDPOINT=\S+ npm run demo/);
});

test('JAEGER_AGENT_HOST: every datagram is relayed verbatim to that agent', async () => {
  const jaeger = await FakeAgent.start();
  try {
    const run = await runDemo({ JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(jaeger.port) });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const { traces } = parse(run.stdout);
    assert.equal(traces.length, 3, run.stdout);
    const relayed = new RegExp(
      `relayed verbatim to the Jaeger agent at 127\\.0\\.0\\.1:${jaeger.port} \\(UDP\\): (\\d+) of \\1 datagrams sent \\((\\d+) bytes\\)`,
    ).exec(run.stdout);
    assert.ok(relayed, run.stdout);
    // UDP is fire and forget: wait until every relayed datagram is in.
    await jaeger.waitFor((a) => a.batches.length >= Number(relayed[1]), 5000, 'every relayed datagram');
    // What the demo printed is what the agent got, datagram for datagram and byte for byte.
    assert.equal(jaeger.batches.length, Number(relayed[1]));
    assert.equal(jaeger.batches.reduce((n, b) => n + b.size, 0), Number(relayed[2]));
    assert.equal(jaeger.spans.length, spanCount(traces));
    assert.deepEqual(receivedTraceIds(jaeger.batches), new Set(traces.map((t) => t.id)));
    assert.deepEqual(new Set(jaeger.batches.map((b) => b.batch.process.serviceName)), new Set(['frontend', 'inventory', 'pricing']));
    assert.equal(jaeger.errors.length, 0);
    assert.match(run.stdout, /Find the traces in the Jaeger UI \(all-in-one: http:\/\/127\.0\.0\.1:16686\)/);
  } finally {
    await jaeger.close();
  }
});

test('JAEGER_ENDPOINT: every batch is relayed verbatim with its Content-Type and auth to that collector', async () => {
  const jaeger = await FakeCollector.start();
  try {
    const run = await runDemo({ JAEGER_ENDPOINT: jaeger.url, JAEGER_AUTH_TOKEN: 'demo-token' });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const { traces } = parse(run.stdout);
    assert.equal(traces.length, 3, run.stdout);
    // The demo waits for its relay to be answered before it exits: everything is here already.
    assert.equal(jaeger.spans.length, spanCount(traces));
    assert.deepEqual(receivedTraceIds(jaeger.batches), new Set(traces.map((t) => t.id)));
    for (const b of jaeger.batches) {
      assert.equal(b.method, 'POST');
      assert.equal(b.url, '/api/traces');
      assert.equal(b.headers?.['content-type'], 'application/x-thrift');
      assert.equal(b.headers?.authorization, 'Bearer demo-token');
    }
    const target = jaeger.url.replace(/\./g, '\\.');
    const relayed = new RegExp(
      String.raw`relayed verbatim to the Jaeger collector at ${target} \(HTTP\): (\d+) of \1 batches accepted \((\d+) bytes\)`,
    ).exec(run.stdout);
    assert.ok(relayed, run.stdout);
    assert.equal(jaeger.batches.length, Number(relayed[1]));
    assert.equal(jaeger.batches.reduce((n, b) => n + b.size, 0), Number(relayed[2]));
  } finally {
    await jaeger.close();
  }
});

test('a collector that cannot be reached: the trees are still printed, the failure is named, exit 1', async () => {
  const gone = await FakeCollector.start();
  const url = gone.url;
  await gone.close();
  const run = await runDemo({ JAEGER_ENDPOINT: url });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.equal(parse(run.stdout).traces.length, 3, run.stdout);
  assert.match(run.stdout, /: 0 of (\d+) batches accepted .*\n  \1 failed: connect ECONNREFUSED/);
  assert.match(run.stderr, /relaying to the Jaeger collector at .* failed/);
  assert.match(run.stdout, /docker run .* jaegertracing\/all-in-one/, 'tells how to start a Jaeger instead');
});
