// The flood and shutdown scenarios: 10,000 spans in a second over UDP, one oversized span, a
// jaeger-debug-id and baggage flood at 1,000 req/s, and a 100-span script's exit.
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture, type FixtureResult } from '../helpers/run-fixture';
import { App, checkIdentity, droppedTotal, load, Rows, soakSeconds, type Stats } from './harness';
import { SoakCollector } from './receivers';

const DEBUG_FLAG = 2;

function statsLine(r: FixtureResult): Stats | null {
  const line = r.stdout.split('\n').find((l) => l.startsWith('stats '));
  return line === undefined ? null : (JSON.parse(line.slice(6)) as Stats | null);
}

function udpEnv(agent: FakeAgent): Record<string, string> {
  return {
    JAEGER_SERVICE_NAME: 'soak', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
    JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
  };
}

/** 4. 10,000 small spans in one second over UDP, then one 200 KB tag among 99 normal spans. */
export async function udpFlood(): Promise<Rows> {
  const rows = new Rows('4 UDP flood');
  const agent = await FakeAgent.start();
  try {
    const r = await runFixture('soak-spans.js', { args: ['flood'], env: udpEnv(agent), timeoutMs: 30_000 });
    const s = statsLine(r);
    // The flush resolved once the kernel took every datagram; give the receiver time to read them.
    await agent.waitFor((a) => a.spans.length >= (s?.ok ?? 0), 5000, 'the sent spans').catch(() => {});
    const largest = Math.max(0, ...agent.batches.map((b) => b.size));
    const elapsed = /^elapsed (\d+)$/m.exec(r.stdout)?.[1] ?? '?';
    rows.add(`largest datagram (10,000 spans in ${elapsed} ms, ${agent.batches.length} datagrams)`, `${largest} bytes`, '<= 65000', largest > 0 && largest <= 65000);
    rows.add('datagrams that do not decode', agent.errors.length, '0', agent.errors.length === 0);
    const received = agent.spans.length;
    const dropped = s === null ? NaN : droppedTotal(s);
    rows.add('received + dropped', `${received} + ${dropped} = ${received + dropped}`, '10000', received + dropped === 10_000);
    rows.add('exit code, stderr', `${r.code ?? r.signal}, ${r.stderr.length} bytes`, '0, none', r.code === 0 && r.stderr === '');
    checkIdentity(rows, s, 10_000);
  } finally {
    await agent.close();
  }
  const agent2 = await FakeAgent.start();
  try {
    const r = await runFixture('soak-spans.js', { args: ['bigtag'], env: udpEnv(agent2), timeoutMs: 30_000 });
    const s = statsLine(r);
    await agent2.waitFor((a) => a.spans.length >= (s?.ok ?? 0), 5000, 'the sent spans').catch(() => {});
    const normal = agent2.spans.filter((x) => x.operationName === 'soak.normal').length;
    const bigArrived = agent2.spans.some((x) => x.operationName === 'soak.big');
    const tooLarge = s?.dropped.too_large ?? 0;
    rows.add('200 KB tag: normal spans received', `${normal} of 99`, '99', normal === 99);
    rows.add('200 KB tag: big span', bigArrived ? 'arrived (truncated)' : `too_large ${tooLarge}`, 'truncated or too_large 1', bigArrived || tooLarge === 1);
    rows.add('200 KB tag: EMSGSIZE / stderr', r.stderr.includes('EMSGSIZE') ? 'EMSGSIZE' : `${r.stderr.length} bytes`, 'none', r.code === 0 && !/EMSGSIZE|Error/.test(r.stderr));
    checkIdentity(rows, s, 100);
  } finally {
    await agent2.close();
  }
  return rows;
}

/**
 * 5. 1,000 req/s for 10 s, each forcing a debug trace with jaeger-debug-id and carrying a baggage
 * flood: debug traces throttled, baggage capped, every request answered.
 */
export async function debugFlood(): Promise<Rows> {
  const rows = new Rows('5 debug/baggage flood');
  const seconds = Math.min(10, soakSeconds());
  const agent = await FakeAgent.start();
  // const 0: only forced (debug) traces are sampled, so every span received belongs to one.
  const app = new App({
    JAEGER_SERVICE_NAME: 'soak', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '0',
    JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
  }, (seconds + 60) * 1000);
  try {
    await app.ready();
    let n = 0;
    // ~13 KB of headers: 60 uberctx-* items of 150 bytes plus 200 jaeger-baggage pairs (260 items).
    const fixed: Record<string, string> = {};
    for (let i = 0; i < 60; i++) fixed[`uberctx-k${i}`] = 'v'.repeat(150);
    fixed['jaeger-baggage'] = Array.from({ length: 200 }, (_, i) => `b${i}=x`).join(', ');
    const result = await load(app.port, 1000, seconds, () => ({ ...fixed, 'jaeger-debug-id': `soak-${++n}` }));
    const last = await app.flushed();
    await agent.waitFor((a) => a.spans.length >= (last.stats?.ok ?? 0), 5000, 'the sent spans').catch(() => {});
    const debugTraces = new Set(agent.spans.filter((x) => (x.flags & DEBUG_FLAG) !== 0).map((x) => x.traceIdHigh + x.traceIdLow)).size;
    // JAEGER_DEBUG_THROTTLE's default: 1 forced trace a second with a burst of 1.
    const allowed = Math.ceil(result.seconds) + 1;
    rows.add(`debug traces from ${result.sent} forcing requests (${result.rate} req/s, ${result.seconds.toFixed(1)} s)`,
      `${debugTraces} (${(debugTraces / result.seconds).toFixed(1)}/s)`, `<= ${allowed} (throttle 1/s + burst 1)`, debugTraces <= allowed);
    rows.add('baggage kept per request (items, bytes)', `${result.maxBaggage.items}, ${result.maxBaggage.bytes}`, '<= 64, <= 8192', result.maxBaggage.items <= 64 && result.maxBaggage.bytes <= 8192);
    rows.add('requests failed', `${result.failed}${result.firstError ? ` (${result.firstError})` : ''}`, '0', result.failed === 0);
    checkIdentity(rows, last.stats);
    rows.add('received = reported ok (healthy agent)', `${agent.spans.length} / ${last.stats?.ok}`, 'equal', agent.spans.length === last.stats?.ok);
    const stop = await app.stop();
    rows.add('app exits by itself', `code ${stop.code ?? stop.signal} in ${stop.ms} ms`, 'code 0 within 10000 ms', stop.code === 0 && stop.ms <= 10_000);
  } finally {
    app.child.kill('SIGKILL');
    await agent.close();
  }
  return rows;
}

async function timed(run: () => Promise<FixtureResult>): Promise<FixtureResult & { ms: number }> {
  const from = Date.now();
  const r = await run();
  return { ...r, ms: Date.now() - from };
}

/** The exit flush's bound, read from the build so a change there moves the target with it. */
function shutdownBoundMs(): number {
  try {
    const boot = require('../../src/boot') as { EXIT_FLUSH_MS?: number; SHUTDOWN_TIMEOUT_MS?: number };
    return boot.SHUTDOWN_TIMEOUT_MS ?? boot.EXIT_FLUSH_MS ?? 2000;
  } catch {
    return 2000;
  }
}

/** 6. A script that finishes 100 spans and returns: delivered and prompt, and bounded when black-holed. */
export async function scriptExit(): Promise<Rows> {
  const rows = new Rows('6 100-span script exit');
  const args = ['exit100'];
  // The fastest of three plain runs: the baseline a loaded machine can only make slower.
  let baseline = Infinity;
  for (let i = 0; i < 3; i++) baseline = Math.min(baseline, (await timed(() => runFixture('soak-spans.js', { args, preload: false }))).ms);

  const agent = await FakeAgent.start();
  try {
    const r = await timed(() => runFixture('soak-spans.js', { args, env: udpEnv(agent), timeoutMs: 30_000 }));
    await agent.waitFor((a) => a.spans.length >= 100, 3000, '100 spans').catch(() => {});
    rows.add('UDP agent: spans delivered, exit code', `${agent.spans.length}, ${r.code ?? r.signal}`, '100, 0', agent.spans.length === 100 && r.code === 0);
    rows.add('UDP agent: time over plain run', `${r.ms - baseline} ms (plain ${baseline} ms)`, '<= 1000 ms', r.ms - baseline <= 1000);
  } finally {
    await agent.close();
  }

  const collector = await new SoakCollector().start();
  try {
    const env = { JAEGER_SERVICE_NAME: 'soak', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1', JAEGER_ENDPOINT: collector.url };
    const r = await timed(() => runFixture('soak-spans.js', { args, env, timeoutMs: 30_000 }));
    await collector.waitForSpans(100, 3000);
    rows.add('HTTP collector: spans delivered, exit code', `${collector.spans}, ${r.code ?? r.signal}`, '100, 0', collector.spans === 100 && r.code === 0);
    rows.add('HTTP collector: time over plain run', `${r.ms - baseline} ms`, '<= 1000 ms', r.ms - baseline <= 1000);

    await collector.setMode('hang');
    const bound = shutdownBoundMs();
    const h = await timed(() => runFixture('soak-spans.js', { args, env, timeoutMs: 30_000 }));
    rows.add('black-holed collector: exit code', `${h.code ?? h.signal}`, '0', h.code === 0);
    rows.add('black-holed collector: time over plain run', `${h.ms - baseline} ms`, `<= shutdown bound ${bound} ms + 1000 ms`, h.ms - baseline <= bound + 1000);
  } finally {
    await collector.close();
  }
  return rows;
}
