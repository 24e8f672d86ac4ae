// Host-application safety: our own span code failing must never reach the app. With the test-only
// seam JAEGER_TEST_FAULTS=<id>:start|finish each instrumentation's span start or finish throws; the
// app (test/fixtures/safety-faults-app.js: express + http + fetch + pg + mysql2 + node-redis +
// ioredis + amqplib against the real servers) must print byte-identical responses to its run
// without the loader, one error must be logged per failing instrumentation, and that
// instrumentation must stop tracing (its wrappers fall through) while the others go on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeCollector } from '../helpers/fake-agent';
import { runFixture, type FixtureResult } from '../helpers/run-fixture';
import { needService } from '../helpers/services';
import { newestVersionDir } from '../helpers/versions';
import type { DecodedSpan } from '../helpers/thrift-decode';

const IDS = ['http', 'express', 'pg', 'redis', 'ioredis', 'mysql2', 'undici', 'amqplib'] as const;
// The component tag each instrumentation writes ('redis' is node-redis).
const COMPONENT: Record<(typeof IDS)[number], string> = {
  http: 'http', express: 'express', pg: 'pg', redis: 'redis', ioredis: 'ioredis', mysql2: 'mysql2', undici: 'undici', amqplib: 'amqplib',
};

const newest = newestVersionDir;

const component = (s: DecodedSpan) => s.tags?.find((t) => t.key === 'component')?.vStr;
const FAULT_LINE = /the (\w+) instrumentation failed at span (start|finish)/g;

function faultsLogged(stderr: string): string[] {
  return [...stderr.matchAll(FAULT_LINE)].map((m) => `${m[1]}:${m[2]}`).sort();
}

async function run(faults: string | undefined, preload = true): Promise<{ result: FixtureResult; spans: DecodedSpan[] }> {
  const collector = await FakeCollector.start();
  try {
    const result = await runFixture('safety-faults-app.js', {
      preload,
      timeoutMs: 60_000,
      env: {
        NODE_ENV: 'production', // express error pages without stack traces (ours would add frames)
        JAEGER_SERVICE_NAME: 'safety-faults', JAEGER_ENDPOINT: collector.url,
        JAEGER_EXPRESS_MIDDLEWARE_SPANS: 'true', JAEGER_TEST_FAULTS: faults,
        EXPRESS_DIR: newest('express'), PG_DIR: newest('pg'), MYSQL2_DIR: newest('mysql2'),
        REDIS_DIR: newest('redis'), IOREDIS_DIR: newest('ioredis'), AMQPLIB_DIR: newest('amqplib'),
      },
    });
    // The exit flush waits for the collector's answer: what arrived is all there will be.
    return { result, spans: collector.spans };
  } finally {
    await collector.close();
  }
}

test('injected span start/finish faults: responses byte-identical, one error each, the instrumentation disables itself', async (t) => {
  for (const s of ['postgres', 'mysql', 'redis', 'rabbitmq'] as const) if (!(await needService(t, s))) return;
  const all = (where: string, except: string[] = []) => IDS.filter((id) => !except.includes(id)).map((id) => `${id}:${where}`).join(',');
  // Two at a time: each run is a full app against four servers.
  const [baseline, clean] = await Promise.all([run(undefined, false), run(undefined)]);
  // With http's server span failing nothing reaches express's layer spans, so express's start
  // fault is tried with http working, and http's on its own.
  const [starts, finishes] = await Promise.all([run(all('start', ['http'])), run(all('finish'))]);
  // '*': every span start fails, including those an instrumentation makes outside a wrapped call
  // (consumer callbacks, diagnostics_channel subscribers): each must still be blamed on its own.
  const [httpStart, everyStart] = await Promise.all([run('http:start'), run('*:start')]);

  assert.equal(baseline.result.code, 0, baseline.result.stderr);
  assert.match(baseline.result.stdout, /^resp \/r\/1 200 .*"amqp":"m1","consumed":"c1"\}\n(.*\n){3}resp \/r\/3 200 .*\ndone\n$/);
  for (const [name, r] of Object.entries({ clean, starts, finishes, httpStart, everyStart })) {
    assert.equal(r.result.code, 0, `${name}: ${r.result.stderr}`);
    assert.equal(r.result.stdout, baseline.result.stdout, `${name}: the app's responses changed`);
  }

  // Without faults every instrumentation traced something (else the fault runs prove nothing).
  assert.deepEqual(faultsLogged(clean.result.stderr), []);
  const traced = new Set(clean.spans.map(component));
  for (const id of IDS) assert.ok(traced.has(COMPONENT[id]), `${id} made no span in the clean run`);

  // Start faults: one error per instrumentation, and not one span from it afterwards.
  assert.deepEqual(faultsLogged(starts.result.stderr), IDS.filter((id) => id !== 'http').map((id) => `${id}:start`).sort());
  assert.deepEqual([...new Set(starts.spans.map(component))], ['http'], 'only http (not faulted) still traces');

  // Finish faults: one error each; the faulted spans are lost, never the app's work.
  assert.deepEqual(faultsLogged(finishes.result.stderr), IDS.map((id) => `${id}:finish`).sort());
  assert.deepEqual(finishes.spans.map((s) => s.operationName), []);

  // Every fault attributed (no 'tracing failed' line without an instrumentation); express makes
  // no span at all once http's server span failed.
  assert.deepEqual(faultsLogged(everyStart.result.stderr), IDS.filter((id) => id !== 'express').map((id) => `${id}:start`).sort());
  assert.doesNotMatch(everyStart.result.stderr, /tracing failed at span/);
  assert.deepEqual(everyStart.spans.map((s) => s.operationName), []);

  // One instrumentation failing leaves the others tracing.
  assert.deepEqual(faultsLogged(httpStart.result.stderr), ['http:start']);
  const still = new Set(httpStart.spans.map(component));
  assert.ok(!still.has('http'), 'http disabled itself');
  for (const id of ['pg', 'mysql2', 'redis', 'ioredis', 'undici', 'amqplib'] as const) {
    assert.ok(still.has(COMPONENT[id]), `${id} still traces after http failed`);
  }
});
