// @grpc/grpc-js through the real entry point, for every version in test/versions/grpc.json:
// test/fixtures/grpc-app.js runs a server and a client in one process as `node -r ./register.js`,
// makes unary, streaming, failing, throwing and nested calls and exits; spans arrive at a fake
// agent that decodes real Thrift. Each run is compared with a run without the preload.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture, startFixture, type FixtureResult } from '../helpers/run-fixture';
import { tagMap, type DecodedSpan } from '../helpers/thrift-decode';
import { versionDir, versionSet } from '../helpers/versions';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

const ROOT_PARENT = '0000000000000000';
const PKG = '@grpc/grpc-js';
const env = (service = 'grpc-fixture', extra: Record<string, string> = {}) => ({
  ...extra, JAEGER_SERVICE_NAME: service, JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
  JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
});
// 9 calls of two spans; `down` adds an http client + server pair; `front` adds the top-level
// http.get, its server span, and the /leaf pair made in the gRPC callback.
// /fresh/1..3 are three more of `front`; the cancelled stream two, the unimplemented call one.
const EXPECTED_SPANS = 9 * 2 + 2 + 4 + 3 * 6 + 2 + 1;

const outLines = (r: FixtureResult) => r.stdout.split('\n').filter((l) => l.startsWith('out '));

const kind = (s: DecodedSpan) => tagMap(s.tags)['span.kind'];
const childrenOf = (spans: DecodedSpan[], parent: DecodedSpan) =>
  spans.filter((s) => s.parentSpanId === parent.spanId && s.traceIdLow === parent.traceIdLow);

/** The one server span under `client`, with the shared grpc tags checked on both. */
function serverOf(spans: DecodedSpan[], client: DecodedSpan, code: number): DecodedSpan {
  const servers = childrenOf(spans, client).filter((s) => kind(s) === 'server');
  assert.equal(servers.length, 1, `one server span under ${client.operationName}`);
  const server = servers[0];
  assert.equal(server.operationName, client.operationName);
  for (const [s, k] of [[client, 'client'], [server, 'server']] as const) {
    const t = tagMap(s.tags);
    assert.equal(t['span.kind'], k);
    assert.equal(t.component, 'grpc');
    assert.equal(t['rpc.grpc.status_code'], BigInt(code), `${k} status of ${s.operationName}`);
  }
  const ct = tagMap(client.tags);
  assert.equal(ct['peer.hostname'], '127.0.0.1');
  assert.equal(typeof ct['peer.port'], 'bigint');
  assert.equal(tagMap(server.tags)['peer.ipv4'], '127.0.0.1');
  return server;
}

function assertOk(s: DecodedSpan): void {
  assert.equal(tagMap(s.tags).error, undefined, `${s.operationName} not failed`);
  assert.equal(s.logs?.length ?? 0, 0, `${s.operationName}: no logs`);
}

const logsOf = (s: DecodedSpan) => (s.logs ?? []).map((l) => tagMap(l.fields));

for (const version of versionSet('grpc').versions) {
  test(`${PKG}@${version} under the preload: a client and a server span per call, context across, statuses, errors; same output`, async () => {
    const dir = versionDir(PKG, version);
    const from = agent.batches.length;
    const traced = await runFixture('grpc-app.js', { env: env(), args: [dir] });
    const plain = await runFixture('grpc-app.js', { env: env(), args: [dir], preload: false });
    assert.equal(plain.code, 0, plain.stderr + plain.stdout);
    assert.equal(traced.code, 0, traced.stderr + traced.stdout);
    assert.equal(outLines(plain).length, 13, plain.stdout);
    assert.deepEqual(outLines(traced), outLines(plain), 'every call ends the same with and without the preload');
    assert.equal(traced.stderr, plain.stderr);
    assert.ok(outLines(plain).includes('out caller metadata untouched {"x-app":"v1"}'), 'the caller\'s Metadata is not mutated');
    const thrownCode = JSON.parse(outLines(plain).find((l) => l.startsWith('out throw '))!.slice('out throw '.length)).code as number;

    const spansOf = () => agent.batches.slice(from).flatMap((b) => b.batch.spans);
    await agent.waitFor(() => spansOf().length >= EXPECTED_SPANS, 10_000, `${EXPECTED_SPANS} spans of grpc-app.js`);
    assert.equal(agent.errors.length, 0);
    const spans = spansOf();
    assert.equal(spans.length, EXPECTED_SPANS, `spans: ${spans.map((s) => s.operationName).join(', ')}`);

    const clients = (op: string) => spans.filter((s) => s.operationName === `/demo.Echo/${op}` && kind(s) === 'client');

    // Streaming kinds: one client span each, a root, its server span the child.
    for (const op of ['ServerStream', 'ClientStream', 'Bidi']) {
      const [client, ...more] = clients(op).filter((s) => Number(tagMap(s.tags)['rpc.grpc.status_code']) === 0);
      assert.equal(more.length, 0, `one client span of ${op}`);
      assert.equal(client.parentSpanId, ROOT_PARENT);
      const server = serverOf(spans, client, 0);
      assertOk(client);
      assertOk(server);
      assert.equal(childrenOf(spans, server).length, 0);
    }

    // Cancelled by the client while the server streams: CANCELLED on both sides.
    const cancelled = clients('ServerStream').filter((s) => Number(tagMap(s.tags)['rpc.grpc.status_code']) === 1);
    assert.equal(cancelled.length, 1);
    const cancelledServer = serverOf(spans, cancelled[0], 1);
    for (const s of [cancelled[0], cancelledServer]) {
      assert.equal(tagMap(s.tags).error, true);
      assert.equal(logsOf(s).length, 1);
      assert.equal(logsOf(s)[0]['error.kind'], 'CANCELLED');
    }

    // No such method on the server: the client span alone, UNIMPLEMENTED.
    const missing = clients('Missing');
    assert.equal(missing.length, 1);
    assert.equal(tagMap(missing[0].tags)['rpc.grpc.status_code'], 12n);
    assert.equal(tagMap(missing[0].tags).error, true);
    assert.equal(logsOf(missing[0])[0]['error.kind'], 'UNIMPLEMENTED');
    assert.equal(childrenOf(spans, missing[0]).length, 0);

    const unary = clients('Unary');
    assert.equal(unary.length, 9, 'nine unary calls');
    const code = (s: DecodedSpan) => Number(tagMap(s.tags)['rpc.grpc.status_code']);
    const hasServer = (s: DecodedSpan) => childrenOf(spans, s).some((c) => kind(c) === 'server');

    // NOT_FOUND: both sides failed, with the status name and details, nothing else.
    const failed = unary.filter((s) => code(s) === 5);
    assert.equal(failed.length, 1);
    const failedServer = serverOf(spans, failed[0], 5);
    for (const s of [failed[0], failedServer]) {
      assert.equal(tagMap(s.tags).error, true);
      assert.deepEqual(logsOf(s), [{ event: 'error', 'error.kind': 'NOT_FOUND', message: 'no such thing' }]);
    }

    // A throwing handler: the server span keeps the thrown Error, then grpc-js's own status.
    const threw = unary.filter((s) => code(s) === thrownCode);
    assert.equal(threw.length, 1);
    const threwServer = serverOf(spans, threw[0], thrownCode);
    assert.equal(tagMap(threwServer.tags).error, true);
    const tl = logsOf(threwServer);
    assert.equal(tl.length, 2);
    assert.equal(tl[0]['error.kind'], 'Error');
    assert.equal(tl[0].message, 'handler blew up');
    assert.match(String(tl[0].stack), /\n\s+at /);
    assert.equal(tl[1]['error.kind'], thrownCode === 2 ? 'UNKNOWN' : 'INTERNAL');
    assert.equal(tagMap(threw[0].tags).error, true);

    // Made inside GET /front (and /fresh/n): the client span is that request's child; the gRPC
    // callback's own http call is the same request's child too, not the client span's.
    const front = unary.filter((s) => s.parentSpanId !== ROOT_PARENT);
    assert.equal(front.length, 4);
    const frontUrls = [];
    for (const f of front) {
      const frontServer = spans.find((s) => s.spanId === f.parentSpanId)!;
      const url = String(tagMap(frontServer.tags)['http.url']);
      frontUrls.push(url);
      assert.equal(kind(frontServer), 'server');
      assert.equal(childrenOf(spans, serverOf(spans, f, 0)).length, 0);
      const underFront = childrenOf(spans, frontServer);
      assert.deepEqual(underFront.map((s) => `${s.operationName} ${kind(s)}`).sort(), ['/demo.Echo/Unary client', 'GET client'], url);
      const leafClient = underFront.find((s) => s.operationName === 'GET')!;
      assert.match(String(tagMap(leafClient.tags)['http.url']), new RegExp(`/leaf${url}$`), 'the callback of this very request');
      assert.equal(childrenOf(spans, f).length, 1, 'only the server span under the gRPC client span');
    }
    assert.deepEqual(frontUrls.sort(), ['/fresh/1', '/fresh/2', '/fresh/3', '/front']);

    // The handler's http call is a child of the server span.
    const down = unary.filter((s) => s.parentSpanId === ROOT_PARENT && hasServer(s)
      && childrenOf(spans, childrenOf(spans, s)[0]).length > 0);
    assert.equal(down.length, 1);
    const downServer = serverOf(spans, down[0], 0);
    const downHttp = childrenOf(spans, downServer);
    assert.equal(downHttp.length, 1);
    assert.equal(downHttp[0].operationName, 'GET');
    assert.equal(kind(downHttp[0]), 'client');
    assert.equal(childrenOf(spans, downHttp[0]).length, 1, 'the /leaf server span below it');

    // A malformed uber-trace-id written by the app's interceptor: the call works, the server span
    // starts a new trace.
    const orphans = unary.filter((s) => s.parentSpanId === ROOT_PARENT && !hasServer(s));
    assert.equal(orphans.length, 1);
    assertOk(orphans[0]);
    assert.equal(code(orphans[0]), 0);
    const rootServers = spans.filter((s) => s.operationName === '/demo.Echo/Unary' && kind(s) === 'server' && s.parentSpanId === ROOT_PARENT);
    assert.equal(rootServers.length, 1);
    assert.notEqual(rootServers[0].traceIdLow, orphans[0].traceIdLow);
    assertOk(rootServers[0]);

    // The plain OK call.
    const ok = unary.filter((s) => s.parentSpanId === ROOT_PARENT && code(s) === 0 && hasServer(s) && !down.includes(s));
    assert.equal(ok.length, 1);
    assertOk(ok[0]);
    assertOk(serverOf(spans, ok[0], 0));
  });
}

test(`${PKG}: server and client in two processes make one trace`, async () => {
  const versions = versionSet('grpc').versions;
  for (const [serverVersion, clientVersion] of [[versions[0], versions.at(-1)!], [versions.at(-1)!, versions[0]]]) {
    const from = agent.batches.length;
    const server = startFixture('grpc-split.js', { env: env('grpc-split-server'), args: [versionDir(PKG, serverVersion), 'server'] });
    const port = (await server.waitForLine(/^port \d+$/)).split(' ')[1];
    const client = await runFixture('grpc-split.js', { env: env('grpc-split-client'), args: [versionDir(PKG, clientVersion), 'client', port] });
    assert.equal(client.code, 0, client.stderr);
    assert.equal(client.stdout, 'out {"got":1}\n');
    const done = await server.exited;
    assert.equal(done.code, 0, done.stderr);
    const batches = () => agent.batches.slice(from);
    await agent.waitFor(() => batches().flatMap((b) => b.batch.spans).length >= 2, 10_000, 'a span from each process');
    const byService = (name: string) => batches().filter((b) => b.batch.process.serviceName === name).flatMap((b) => b.batch.spans);
    const [c, ...moreC] = byService('grpc-split-client');
    const [s, ...moreS] = byService('grpc-split-server');
    assert.equal(moreC.length + moreS.length, 0, 'one span in each process');
    assert.equal(c.operationName, '/demo.Split/Call');
    assert.equal(s.operationName, '/demo.Split/Call');
    assert.equal(kind(c), 'client');
    assert.equal(kind(s), 'server');
    assert.equal(c.parentSpanId, ROOT_PARENT);
    assert.equal(s.traceIdLow, c.traceIdLow, `server ${serverVersion} joins the trace of client ${clientVersion}`);
    assert.equal(s.parentSpanId, c.spanId);
    assert.equal(tagMap(s.tags)['rpc.grpc.status_code'], 0n);
    assert.equal(tagMap(c.tags)['peer.port'], BigInt(port));
  }
});

test(`${PKG} versions outside the supported range are left untouched`, async (t) => {
  const newest = versionSet('grpc').versions.at(-1)!;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jaeger-auto-grpc-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  fs.cpSync(fs.realpathSync(versionDir(PKG, newest)), tmp, { recursive: true });
  const file = path.join(tmp, 'node_modules', PKG, 'package.json');
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), version: '2.0.0' }));
  const from = agent.batches.length;
  const traced = await runFixture('grpc-app.js', { env: env('grpc-fixture', { JAEGER_LOG_LEVEL: 'debug' }), args: [tmp] });
  const plain = await runFixture('grpc-app.js', { env: env(), args: [tmp], preload: false });
  assert.equal(traced.code, 0, traced.stderr);
  assert.deepEqual(outLines(traced), outLines(plain));
  assert.match(traced.stderr, /not patching @grpc\/grpc-js@2\.0\.0: outside the supported range >=1\.8 <2/);
  assert.match(traced.stderr, /not patching @grpc\/grpc-js\/build\/src\/client-interceptors\.js@2\.0\.0/);
  // The http spans of the fixture still arrive; none is a gRPC one.
  const spansOf = () => agent.batches.slice(from).flatMap((b) => b.batch.spans);
  await agent.waitFor(() => spansOf().length >= 4 * 4 + 2, 10_000, 'the http spans of grpc-app.js');
  assert.deepEqual(spansOf().filter((s) => tagMap(s.tags).component === 'grpc'), []);
});
