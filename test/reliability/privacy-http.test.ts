// Privacy by default over HTTP, through the real preload (test/fixtures/privacy-http-app.js):
// credentials in headers, query strings and URL user info never reach a span, server or client,
// http or fetch; operation names stay a small set whatever the paths and methods; the loader's own
// log lines (debug level included) never print the collector's credentials.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent, FakeCollector } from '../helpers/fake-agent';
import { runFixture } from '../helpers/run-fixture';
import { tagMap } from '../helpers/thrift-decode';
import { leaks } from '../helpers/privacy';

let agent: FakeAgent;
let collector: FakeCollector;
before(async () => {
  agent = await FakeAgent.start();
  collector = await FakeCollector.start();
});
after(async () => {
  await agent.close();
  await collector.close();
});

const env = (extra: Record<string, string> = {}) => ({
  JAEGER_SERVICE_NAME: 'privacy-http', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
  JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port), ...extra,
});

async function run(mode: string, args: string[] = [], extra: Record<string, string> = {}) {
  const from = agent.batches.length;
  const r = await runFixture('privacy-http-app.js', { args: [mode, ...args], env: env(extra), timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'done\n', 'the tracer writes nothing to stdout');
  const spansOf = () => agent.batches.slice(from).flatMap((b) => b.batch.spans);
  await agent.waitFor(() => spansOf().some((s) => s.operationName === 'privacy-done'), 20_000, 'the last span');
  assert.deepEqual(agent.errors, []);
  return { r, spans: spansOf() };
}

test('no header, query, fragment or user-info secret appears in any span', async () => {
  const { r, spans } = await run('secrets');
  assert.equal(r.stderr, '');
  const servers = spans.filter((s) => tagMap(s.tags)['span.kind'] === 'server');
  const clients = spans.filter((s) => tagMap(s.tags)['span.kind'] === 'client');
  assert.ok(servers.length >= 7, `${servers.length} server spans`);
  assert.ok(clients.length >= 7, `${clients.length} client spans`);
  assert.ok(clients.some((s) => tagMap(s.tags).component === 'undici'), 'fetch spans are there');
  assert.deepEqual(leaks(spans, /sekret/i), []);
  // The paths are kept, without their query strings.
  const urls = spans.map((s) => String(tagMap(s.tags)['http.url'] ?? ''));
  for (const path of ['/a', '/b', '/c', '/d', '/f', '/h']) {
    assert.ok(urls.includes(path), `server ${path} in ${urls.join(' ')}`);
    assert.ok(urls.some((u) => /^http:\/\/127\.0\.0\.1:\d+\//.test(u) && u.endsWith(path)), `client ${path}`);
  }
  assert.equal(urls.filter((u) => u === 'http://example.invalid/e').length, 2, 'absolute-form target, client and server');
  assert.ok(spans.every((s) => tagMap(s.tags)['http.status_code'] === undefined || tagMap(s.tags)['http.status_code'] === 200n));
});

test('10,000 distinct URLs and odd methods give a bounded set of operation names', async () => {
  const { spans } = await run('names', ['10000'], { JAEGER_REPORTER_MAX_QUEUE_SIZE: '100000', JAEGER_REPORTER_FLUSH_INTERVAL: '100' });
  const names = new Set(spans.map((s) => s.operationName));
  assert.ok(spans.length > 10_000, `${spans.length} spans`);
  assert.ok(names.size <= 12, [...names].join(', '));
  for (const name of names) assert.match(name, /^(GET|POST|PROPFIND|M-SEARCH|PURGE|QUERY|HTTP|privacy-done)$/);
  // The odd method is still told in http.method, and its span is named HTTP.
  const odd = spans.filter((s) => /^(FETCH)?ODD\d+$/.test(String(tagMap(s.tags)['http.method'])));
  assert.ok(odd.length >= 100, `${odd.length} odd-method spans`);
  assert.ok(odd.every((s) => s.operationName === 'HTTP'));
});

test("the loader's own log lines never show the collector's credentials, at any level", async () => {
  const secrets = {
    JAEGER_USER: 'user-sekret-l1', JAEGER_PASSWORD: 'pass-sekret-l2', JAEGER_AUTH_TOKEN: 'tok-sekret-l3', JAEGER_LOG_LEVEL: 'debug',
  };
  const url = new URL(collector.url);
  url.username = 'urluser-sekret-l4';
  url.password = 'urlpass-sekret-l5';
  url.search = '?key=query-sekret-l6';
  const variants: Array<Record<string, string>> = [
    { ...secrets, JAEGER_ENDPOINT: url.href },
    { ...secrets, JAEGER_ENDPOINT: 'http://user:pa ss-sekret-l7@127.0.0.1:1/x y' },
    { ...secrets, JAEGER_ENDPOINT: 'ftp://u:pass-sekret-l8@127.0.0.1/x' },
    { ...secrets }, // agent mode, credentials set but unused
    { JAEGER_ENDPOINT: url.href, JAEGER_AUTH_TOKEN: 'tok sekret with spaces\n', JAEGER_PASSWORD: '', JAEGER_LOG_LEVEL: 'debug' },
  ];
  for (const extra of variants) {
    const r = await runFixture('privacy-http-app.js', { args: ['quiet'], env: env(extra) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'done\n');
    assert.match(r.stderr, /tracing privacy-http|warn|error/i, 'the loader said something to check');
    assert.doesNotMatch(r.stderr, /sekret/i, `JAEGER_ENDPOINT=${extra.JAEGER_ENDPOINT}`);
  }
});

// showValue (src/config/parse-value.ts) once masked user info only after '//' and never a query
// string, so an endpoint it could not parse was echoed with them.
test('an unparseable JAEGER_ENDPOINT is warned about without its credentials or query', async () => {
  for (const endpoint of ['user:pass-sekret-l9@127.0.0.1:14268', 'http://127.0.0.1:99999/api?token=tok-sekret-l10']) {
    const r = await runFixture('privacy-http-app.js', { args: ['quiet'], env: env({ JAEGER_ENDPOINT: endpoint }) });
    assert.match(r.stderr, /JAEGER_ENDPOINT/);
    assert.doesNotMatch(r.stderr, /sekret/i, endpoint);
  }
});
