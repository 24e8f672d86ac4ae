// The long exporter scenarios: agent absent, collector refusing then back, collector hanging.
// Each runs the soak app in its own process under the preload and ends with the accounting identity.
import { App, checkIdentity, deadUdpPort, load, pause, Rows, rssRow, soakSeconds, watchRss, type AppReport } from './harness';
import { SoakCollector } from './receivers';

const BASE_ENV = { JAEGER_SERVICE_NAME: 'soak', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1' };
/** Requests a second of the steady load: a few hundred, so seven helpers can share two cores. */
const RATE = 200;
/** Every request finishes two sampled spans: the http server span and the app's soak.work. */
const SPANS_PER_REQUEST = 2;
const MAX_QUEUE = 2048;

function appFailures(rows: Rows, app: App, result: { ok: number; failed: number; firstError?: string }): void {
  rows.add('app errors (failed requests)', `${result.failed} of ${result.ok + result.failed}${result.firstError ? ` (${result.firstError})` : ''}`, '0', result.failed === 0);
  const lines = app.stderr.split('\n').filter(Boolean);
  // The tracer's own lines start "jaeger-auto "; anything else (a stack, a Node warning) is the app's.
  const foreign = lines.filter((l) => !l.startsWith('jaeger-auto '));
  const tracer = lines.length - foreign.length;
  rows.add('stderr: nothing but tracer warnings', foreign.length > 0 ? foreign[0].slice(0, 70) : `${tracer} tracer line(s)`, 'no other line', foreign.length === 0);
  rows.add('stdout written', `${app.stdout.length} bytes`, '0', app.stdout.length === 0);
}

function exitRow(rows: Rows, r: { code: number | null; signal: NodeJS.Signals | null; ms: number }, boundMs: number): void {
  rows.add('app exits by itself after its server closes', `code ${r.code ?? r.signal} in ${r.ms} ms`, `code 0 within ${boundMs} ms`, r.code === 0 && r.ms <= boundMs);
}

/** 1. Agent absent (UDP port with nothing listening) under a steady load: no app error, RSS flat. */
export async function agentAbsent(): Promise<Rows> {
  const rows = new Rows('1 agent absent');
  const seconds = soakSeconds();
  const warmup = Math.max(2, Math.round(seconds / 6));
  const port = await deadUdpPort();
  // By name: each ICMP refusal errors the connected socket and the sender reconnects, which must
  // not look the name up again.
  const app = new App({ ...BASE_ENV, JAEGER_AGENT_HOST: 'localhost', JAEGER_AGENT_PORT: String(port) }, (seconds + 60) * 1000);
  try {
    await app.ready();
    const rss = watchRss(app);
    const result = await load(app.port, RATE, seconds);
    const samples = await rss.stop();
    const last = await app.flushed();
    rssRow(rows, `RSS growth after ${warmup} s warm-up (${seconds} s, ${result.rate} req/s)`, samples, warmup);
    const lookups = last.lookups.localhost ?? 0;
    rows.add("agent host 'localhost' looked up (the socket reconnects after each refusal)", `${lookups} time(s)`, '1', lookups === 1);
    appFailures(rows, app, result);
    checkIdentity(rows, last.stats, last.served * SPANS_PER_REQUEST);
    exitRow(rows, await app.stop(), 10_000);
  } finally {
    app.child.kill('SIGKILL');
  }
  return rows;
}

/**
 * 2. Collector refusing connections for the soak length, then back: the queue stays within its
 * maximum, sockets stay bounded, spans flow again soon after recovery. Then a short outage (fewer
 * spans than the queue holds) that must lose nothing.
 */
export async function collectorRefusing(): Promise<Rows> {
  const rows = new Rows('2 collector refusing');
  const seconds = soakSeconds();
  const warmup = Math.max(2, Math.round(seconds / 6));
  const collector = await new SoakCollector().start();
  const app = new App({ ...BASE_ENV, JAEGER_ENDPOINT: collector.url }, (seconds + 120) * 1000);
  try {
    await app.ready();
    // Healthy, outage under load, back.
    await load(app.port, RATE, 2);
    await collector.setMode('refuse');
    const rss = watchRss(app);
    const outage = await load(app.port, RATE, seconds);
    const samples = await rss.stop();
    const during = await app.stats();
    await collector.setMode('ok');
    const recovered = Date.now();
    await load(app.port, RATE, 5);
    const flowMs = collector.firstAfterRecovery === undefined ? Infinity : collector.firstAfterRecovery - recovered;
    // One flush interval (1 s) plus the sender's backoff, which the exporter caps at 5 s.
    rows.add('spans flow again after recovery', `${flowMs === Infinity ? 'never' : `${flowMs} ms`}`, '<= 1 s flush + 5 s backoff', flowMs <= 6000);
    rssRow(rows, `RSS growth during the outage, after ${warmup} s`, samples, warmup);
    rows.add(`queue peak during ${seconds} s outage (${outage.rate} req/s)`, during.maxQueued, `<= ${MAX_QUEUE}`, during.maxQueued <= MAX_QUEUE);
    rows.add('tracer sockets open at once, spans in flight peak', `${during.sockets.maxOpen} (${during.sockets.opened} opened), ${during.maxInFlight}`,
      `<= 2 (sender cap), <= ${MAX_QUEUE}`, during.sockets.maxOpen <= 2 && during.maxInFlight <= MAX_QUEUE);
    appFailures(rows, app, outage);
    const last = await app.flushed();
    checkIdentity(rows, last.stats, last.served * SPANS_PER_REQUEST);
    rows.add('received = reported ok (healthy receiver)', `${collector.spans} / ${last.stats?.ok}`, 'equal', collector.spans === last.stats?.ok);

    // A short outage: 3 s at 50 req/s is 300 spans, well under the queue's 2048.
    const before = last;
    await collector.setMode('refuse');
    const short = await load(app.port, 50, 3);
    await collector.setMode('ok');
    const end = await settle(app);
    const lost = (end.stats ? Object.values(end.stats.dropped).reduce((a, b) => a + b, 0) : 0)
      - (before.stats ? Object.values(before.stats.dropped).reduce((a, b) => a + b, 0) : 0);
    rows.add(`short outage (3 s, ${short.ok * SPANS_PER_REQUEST} spans): spans lost`, lost, '0', lost === 0 && short.failed === 0);
    checkIdentity(rows, end.stats, end.served * SPANS_PER_REQUEST);
    rows.add('received = reported ok after the short outage', `${collector.spans} / ${end.stats?.ok}`, 'equal', collector.spans === end.stats?.ok);
    exitRow(rows, await app.stop(), 10_000);
  } finally {
    app.child.kill('SIGKILL');
    await collector.close();
  }
  return rows;
}

/** Flushes until nothing is queued (a retry may still be waiting out its backoff), at most ~15 s. */
async function settle(app: App): Promise<AppReport> {
  let r = await app.flushed();
  for (let i = 0; i < 15 && (r.stats?.queued ?? 0) > 0; i++) {
    await pause(1000);
    r = await app.flushed();
  }
  return r;
}

/** 3. Collector that accepts and never answers: sockets capped, every request ended at its timeout. */
export async function collectorHanging(): Promise<Rows> {
  const rows = new Rows('3 collector hanging');
  const seconds = soakSeconds();
  const warmup = Math.max(2, Math.round(seconds / 6));
  const timeoutMs = 5000; // JAEGER_REPORTER_TIMEOUT's default
  const collector = await new SoakCollector().start();
  await collector.setMode('hang');
  const app = new App({ ...BASE_ENV, JAEGER_ENDPOINT: collector.url }, (seconds + 120) * 1000);
  try {
    await app.ready();
    const rss = watchRss(app);
    const result = await load(app.port, RATE, seconds);
    const samples = await rss.stop();
    const during = await app.stats();
    const last = await app.flushed();
    // flush() waits at most one timeout, and a retry may have started just before it returned: give
    // the last request its full timeout to be ended.
    await collector.waitUntil((c) => c.hangsEnded >= c.requests, timeoutMs + 2000);
    // The collector may see the next connection before the close of the one the client just
    // destroyed (both arrive in one poll), so the app's own count decides; the collector's is shown.
    rows.add(`tracer sockets open at once (${seconds} s)`, `${last.sockets.maxOpen} (collector saw ${collector.maxOpenConnections}; ${collector.requests} requests)`,
      '<= 2 (sender cap)', last.sockets.maxOpen <= 2);
    rows.add('hung requests ended by the client, longest', `${collector.hangsEnded} of ${collector.requests}, ${collector.maxHangMs} ms`,
      `all, <= ${timeoutMs} ms timeout + 1 s`, collector.hangsEnded === collector.requests && collector.maxHangMs <= timeoutMs + 1000);
    rssRow(rows, `RSS growth after ${warmup} s warm-up`, samples, warmup);
    rows.add('queue peak', during.maxQueued, `<= ${MAX_QUEUE}`, during.maxQueued <= MAX_QUEUE);
    appFailures(rows, app, result);
    checkIdentity(rows, last.stats, last.served * SPANS_PER_REQUEST);
    // A hung POST may hold the loop until its timeout; the exit must not wait longer than that.
    exitRow(rows, await app.stop(), timeoutMs + 2000);
  } finally {
    app.child.kill('SIGKILL');
    await collector.close();
  }
  return rows;
}

/**
 * 7. Bad reporter settings under load (the reference client dies a second after
 * JAEGER_AGENT_PORT=99999): the app starts and serves, with at most one warning per variable.
 */
export async function badSettings(): Promise<Rows> {
  const rows = new Rows('7 bad settings');
  const { SCHEMA } = require('../../src/config/schema') as { SCHEMA: ReadonlyArray<{ env: string }> };
  // Host names stay on loopback: a garbage name would be looked up by the system resolver.
  const HOSTS = new Set(['JAEGER_AGENT_HOST', 'JAEGER_SAMPLER_HOST', 'JAEGER_SAMPLER_MANAGER_HOST_PORT', 'JAEGER_SAMPLING_ENDPOINT']);
  const garbage: Record<string, string> = { JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_SAMPLER_MANAGER_HOST_PORT: '127.0.0.1:1' };
  for (const { env } of SCHEMA) if (!HOSTS.has(env) && env !== 'JAEGER_DISABLED') garbage[env] = '%zz{-1e999}\u00e9 ,=;';
  const cases: Array<[string, Record<string, string>]> = [
    ['JAEGER_AGENT_PORT=99999', { JAEGER_SERVICE_NAME: 'soak', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: '99999' }],
    ['JAEGER_ENDPOINT=not a url', { JAEGER_SERVICE_NAME: 'soak', JAEGER_ENDPOINT: 'not a url' }],
    [`garbage in ${Object.keys(garbage).length} JAEGER_* variables`, garbage],
  ];
  for (const [label, env] of cases) {
    const app = new App(env, 60_000);
    try {
      await app.ready();
      const result = await load(app.port, 100, 3);
      const lines = app.stderr.split('\n').filter(Boolean);
      const named = Object.keys(env).filter((k) => k !== 'JAEGER_SERVICE_NAME').map((k) => [k, lines.filter((l) => l.includes(`${k}=`)).length] as const);
      const most = named.reduce((a, b) => (b[1] > a[1] ? b : a), ['-', 0] as readonly [string, number]);
      const foreign = lines.filter((l) => !l.startsWith('jaeger-auto '));
      rows.add(`${label}: requests served over ${result.seconds.toFixed(0)} s`, `${result.ok} ok, ${result.failed} failed`, 'all ok', result.failed === 0 && result.ok > 0);
      rows.add(`${label}: warnings`, `${lines.length - foreign.length} lines, most for one variable ${most[1]} (${most[0]})${foreign.length ? `; other: ${foreign[0].slice(0, 40)}` : ''}`,
        '<= 1 per variable, no other line', most[1] <= 1 && foreign.length === 0);
      exitRow(rows, await app.stop(), 10_000);
    } finally {
      app.child.kill('SIGKILL');
    }
  }
  return rows;
}
