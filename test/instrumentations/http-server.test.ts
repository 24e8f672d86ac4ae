// Incoming http/https requests, in-process: server spans, their parent from the headers, the
// handler's context, ignore paths, errors and aborts. Requests are sent untraced (or as raw
// sockets) so that only the server side makes spans here, with exactly the headers we chose.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { activeSpan, runUntraced } from '../../src/context/scope-manager';
import { originalOf } from '../../src/shim/wrap';
import type { FinishedSpan } from '../../src/tracer/finished-span';
import { nameServerSpan, serverSpanOf } from '../../instrumentations/http/server';
import { setHttpIgnorePaths } from '../../instrumentations/http/ignore-paths';
import { kindOf, listen, readBody, setUpTracing, tagsOf } from './http-harness';

const CERTS = path.resolve(__dirname, '../../../test/fixtures/certs');
const tls = { key: fs.readFileSync(path.join(CERTS, 'localhost-key.pem')), cert: fs.readFileSync(path.join(CERTS, 'localhost-cert.pem')) };

const { tracer, reporter, unpatch } = setUpTracing();
after(() => unpatch());

/** Handlers by path, so one server serves every test. */
const routes = new Map<string, http.RequestListener>();
let server: Awaited<ReturnType<typeof listen>>;
before(async () => {
  setHttpIgnorePaths([]);
  server = await listen((req, res) => {
    const handler = routes.get((req.url ?? '').split('?')[0]);
    if (handler) handler(req, res);
    else res.end('default');
  });
});
after(() => server.close());

/** Sends a request that our client shim leaves alone, so its headers are exactly `headers`. */
function send(pathAndQuery: string, headers: http.OutgoingHttpHeaders = {}, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return runUntraced(() => new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: pathAndQuery, method, headers, agent: false }, (res) => {
      readBody(res).then((b) => resolve({ status: res.statusCode ?? 0, body: b }), reject);
    });
    req.on('error', reject);
    req.end(body);
  }));
}

/** The server span of the request whose handler recorded its span id in `ids`. */
function serverSpan(spanId: string): FinishedSpan | undefined {
  return reporter.spans.find((s) => s.spanContext.spanId === spanId);
}

async function waitServerSpan(spanId: () => string | undefined): Promise<FinishedSpan> {
  await reporter.waitFor(() => { const id = spanId(); return id !== undefined && serverSpan(id) !== undefined; }, 'the server span');
  return serverSpan(spanId()!)!;
}

const idOf = (span: unknown) => (span as FinishedSpan).spanContext.spanId;

test('peer tags name each connection: the same on a kept-alive one, its own port on another', async () => {
  const ids: string[] = [];
  routes.set('/peer', (req, res) => { ids.push(idOf(serverSpanOf(req))); res.end('ok'); });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ports: number[] = [];
  const get = (a: http.Agent | false) => runUntraced(() => new Promise<void>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: server.port, path: '/peer', agent: a }, (res) => {
      ports.push(res.socket.localPort!);
      readBody(res).then(() => resolve(), reject);
    }).on('error', reject);
  }));
  try {
    await get(agent);
    await get(agent);
    await get(false);
  } finally {
    agent.destroy();
  }
  assert.equal(ports[0], ports[1], 'the first two went over one connection');
  assert.notEqual(ports[0], ports[2]);
  await reporter.waitFor(() => ids.length === 3 && ids.every((id) => serverSpan(id) !== undefined), 'three server spans');
  const peers = ids.map((id) => tagsOf(serverSpan(id)!));
  for (let i = 0; i < 3; i++) {
    assert.equal(peers[i]['peer.ipv4'], '127.0.0.1');
    assert.equal(peers[i]['peer.port'], ports[i], `request ${i}: the client's own port`);
  }
});

test('a request becomes one server span with method, path, status and peer tags', async () => {
  let id: string | undefined;
  routes.set('/tags', (req, res) => { id = idOf(serverSpanOf(req)); res.statusCode = 201; res.end('ok'); });
  const before = reporter.spans.length;
  const r = await send('/tags?token=secret', {}, 'POST', 'body');
  assert.equal(r.status, 201);
  const span = await waitServerSpan(() => id);
  assert.equal(span.operationName, 'POST');
  const tags = tagsOf(span);
  assert.equal(tags['span.kind'], 'server');
  assert.equal(tags.component, 'http');
  assert.equal(tags['http.method'], 'POST');
  assert.equal(tags['http.url'], '/tags');
  assert.equal(tags['http.status_code'], 201);
  assert.equal(tags['peer.ipv4'], '127.0.0.1');
  assert.equal(typeof tags['peer.port'], 'number');
  assert.equal(tags.error, undefined);
  assert.equal(span.spanContext.parentId, '', 'no incoming context: a root');
  assert.equal(reporter.spans.length, before + 1, 'exactly one span');
});

test('the parent comes from uber-trace-id or traceparent; malformed headers start a new root', async () => {
  let id: string | undefined;
  routes.set('/parent', (req, res) => { id = idOf(serverSpanOf(req)); res.end(); });
  await send('/parent', { 'uber-trace-id': 'abcdef0123456789:1122334455667788:0:1' });
  const fromJaeger = await waitServerSpan(() => id);
  assert.equal(fromJaeger.spanContext.traceId, 'abcdef0123456789');
  assert.equal(fromJaeger.spanContext.parentId, '1122334455667788');

  id = undefined;
  await send('/parent', { traceparent: '00-0123456789abcdef0123456789abcdef-8877665544332211-01' });
  const fromW3c = await waitServerSpan(() => id);
  assert.equal(fromW3c.spanContext.traceId, '0123456789abcdef0123456789abcdef');
  assert.equal(fromW3c.spanContext.parentId, '8877665544332211');

  for (const bad of ['zz:yy', 'abc', ':::', '0:0:0:0', 'x'.repeat(10_000)]) {
    id = undefined;
    const r = await send('/parent', { 'uber-trace-id': bad, traceparent: 'garbage' });
    assert.equal(r.status, 200);
    const span = await waitServerSpan(() => id);
    assert.equal(span.spanContext.parentId, '', `malformed ${bad.slice(0, 10)}: a root`);
  }
});

test('handlers run with the server span active: across awaits, timers and body events', async () => {
  let id: string | undefined;
  const children: Record<string, string | undefined> = {};
  routes.set('/ctx', (req, res) => {
    id = idOf(serverSpanOf(req));
    const child = (name: string) => { const s = tracer.startSpan(name); children[name] = s.spanContext.parentId; s.finish(); };
    child('sync');
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', async () => {
      child('on-end');
      await delay(5);
      child('after-timer');
      await Promise.resolve();
      child('after-promise');
      res.on('finish', () => { children['finish-listener'] = idOf(activeSpan()); });
      res.end(body);
    });
  });
  const r = await send('/ctx', {}, 'POST', 'payload');
  assert.equal(r.body, 'payload');
  await waitServerSpan(() => id);
  assert.deepEqual(children, { sync: id, 'on-end': id, 'after-timer': id, 'after-promise': id, 'finish-listener': id });
});

test('5xx: error=true and an error log; 4xx: no error', async () => {
  const ids: Record<number, string> = {};
  routes.set('/fail', (req, res) => {
    const code = Number(new URL(req.url!, 'http://x').searchParams.get('code'));
    ids[code] = idOf(serverSpanOf(req));
    res.statusCode = code;
    res.end();
  });
  await send('/fail?code=500');
  await send('/fail?code=404');
  const s500 = await waitServerSpan(() => ids[500]);
  const s404 = await waitServerSpan(() => ids[404]);
  assert.equal(tagsOf(s500).error, true);
  assert.equal(tagsOf(s500)['http.status_code'], 500);
  assert.equal(s500.logs.length, 1);
  assert.deepEqual(Object.fromEntries(s500.logs[0].fields.map((f) => [f.key, f.value])).event, 'error');
  assert.equal(tagsOf(s404).error, undefined);
  assert.equal(s404.logs.length, 0);
});

test('a client that disconnects mid-response: one failed server span, ended on close', async () => {
  let id: string | undefined;
  let closed!: () => void;
  const resClosed = new Promise<void>((resolve) => { closed = resolve; });
  routes.set('/abort', (req, res) => {
    id = idOf(serverSpanOf(req));
    res.on('close', () => closed());
    res.write('partial'); // and never end
  });
  const socket = net.connect(server.port, '127.0.0.1');
  socket.write('GET /abort HTTP/1.1\r\nHost: x\r\n\r\n');
  socket.once('data', () => socket.destroy());
  await resClosed;
  const span = await waitServerSpan(() => id);
  assert.equal(tagsOf(span).error, true);
  assert.equal(tagsOf(span)['http.status_code'], 200, 'headers had been sent');
  const fields = Object.fromEntries(span.logs[0].fields.map((f) => [f.key, f.value]));
  assert.equal(fields['error.kind'], 'aborted');
  assert.equal(reporter.spans.filter((s) => s.spanContext.spanId === id).length, 1, 'ended exactly once');
});

test('finish then close ends the span exactly once', async () => {
  let id: string | undefined;
  let closed!: () => void;
  const resClosed = new Promise<void>((resolve) => { closed = resolve; });
  routes.set('/once', (req, res) => { id = idOf(serverSpanOf(req)); res.on('close', () => closed()); res.end('x'); });
  await send('/once');
  await resClosed;
  await waitServerSpan(() => id);
  assert.equal(reporter.spans.filter((s) => s.spanContext.spanId === id).length, 1);
  assert.equal(tagsOf(serverSpan(id!)!).error, undefined);
});

test('ignored paths (exact, prefix*) create no span, and nothing their handlers call is traced', async () => {
  setHttpIgnorePaths(['/health', '/static/*']);
  try {
    const seen: (string | null)[] = [];
    const handler: http.RequestListener = (req, res) => {
      seen.push(serverSpanOf(req) === undefined ? null : 'span');
      const s = tracer.startSpan('inner'); // a manual span still works; shims stay quiet
      s.finish();
      res.end();
    };
    routes.set('/health', handler);
    routes.set('/static/app.css', handler);
    routes.set('/healthz', handler);
    const before = reporter.spans.filter((s) => kindOf(s) === 'server').length;
    await send('/health');
    await send('/health?probe=1');
    await send('/static/app.css');
    assert.deepEqual(seen, [null, null, null]);
    await send('/healthz');
    assert.deepEqual(seen, [null, null, null, 'span']);
    await reporter.waitFor((all) => all.filter((s) => kindOf(s) === 'server').length > before, 'the /healthz span');
    assert.equal(reporter.spans.filter((s) => kindOf(s) === 'server').length, before + 1);
  } finally {
    setHttpIgnorePaths([]);
  }
});

test('without a configured list, JAEGER_HTTP_IGNORE_PATHS is read (once, on first use)', async () => {
  process.env.JAEGER_HTTP_IGNORE_PATHS = '/from-env,/env/*';
  setHttpIgnorePaths(undefined);
  try {
    const seen: boolean[] = [];
    routes.set('/from-env', (req, res) => { seen.push(serverSpanOf(req) !== undefined); res.end(); });
    routes.set('/env/x', (req, res) => { seen.push(serverSpanOf(req) !== undefined); res.end(); });
    routes.set('/traced', (req, res) => { seen.push(serverSpanOf(req) !== undefined); res.end(); });
    await send('/from-env');
    await send('/env/x');
    await send('/traced');
    assert.deepEqual(seen, [false, false, true]);
  } finally {
    delete process.env.JAEGER_HTTP_IGNORE_PATHS;
    setHttpIgnorePaths([]);
  }
});

test('nameServerSpan renames the span after the route and tags http.route', async () => {
  let id: string | undefined;
  routes.set('/users/42', (req, res) => { id = idOf(serverSpanOf(req)); nameServerSpan(req, '/users/:id'); res.end(); });
  await send('/users/42');
  const span = await waitServerSpan(() => id);
  assert.equal(span.operationName, 'GET /users/:id');
  assert.equal(tagsOf(span)['http.route'], '/users/:id');
  assert.doesNotThrow(() => nameServerSpan({}, '/x'));
  assert.doesNotThrow(() => nameServerSpan(null, '/x'));
  assert.equal(serverSpanOf(undefined), undefined);
});

test('an app that re-emits checkContinue as request gets one span', async () => {
  const s = http.createServer();
  let id: string | undefined;
  let spans = 0;
  s.on('checkContinue', (req, res) => { res.writeContinue(); s.emit('request', req, res); });
  s.on('request', (req, res) => { spans += serverSpanOf(req) ? 1 : 0; id = idOf(serverSpanOf(req)); req.resume(); req.on('end', () => res.end('ok')); });
  const srv = await listen(() => {}, s);
  try {
    await runUntraced(() => new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: srv.port, method: 'POST', headers: { expect: '100-continue' }, agent: false }, (res) => { res.resume(); res.on('end', resolve); });
      req.on('continue', () => req.end('body'));
      req.on('error', reject);
    }));
    const span = await waitServerSpan(() => id);
    assert.equal(spans, 1);
    assert.equal(reporter.spans.filter((x) => x.spanContext.spanId === span.spanContext.spanId).length, 1);
  } finally {
    await srv.close();
  }
});

test('https.Server (not an http.Server) is traced the same way, with the client span as parent', async () => {
  let id: string | undefined;
  const srv = await listen((req, res) => { id = idOf(serverSpanOf(req)); res.end('tls'); }, https.createServer(tls) as unknown as http.Server);
  try {
    const parent = tracer.startSpan('https-parent');
    await tracer.activate(parent, () => new Promise<void>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: srv.port, path: '/secure?q=1', ca: tls.cert }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
    }));
    parent.finish();
    const span = await waitServerSpan(() => id);
    const client = reporter.spans.find((s) => s.spanContext.spanId === span.spanContext.parentId)!;
    assert.ok(client, 'the server span is the client span\'s child');
    assert.equal(kindOf(client), 'client');
    assert.equal(tagsOf(client)['http.url'], `https://127.0.0.1:${srv.port}/secure`);
    assert.equal(client.spanContext.parentId, parent.spanContext.spanId);
    assert.equal(tagsOf(span)['http.url'], '/secure');
    assert.equal(tagsOf(span).component, 'http');
  } finally {
    await srv.close();
  }
});

test('Server.prototype.emit keeps name and length; other events pass straight through', () => {
  for (const S of [http.Server, https.Server]) {
    const emit = S.prototype.emit;
    assert.notEqual(originalOf(emit), emit);
    assert.equal(emit.name, 'emit');
    assert.equal(emit.length, originalOf(emit).length);
  }
  const s = http.createServer();
  let got: unknown[] = [];
  s.on('custom', function (this: unknown, ...args: unknown[]) { got = [this, ...args]; });
  assert.equal(s.emit('custom', 1, 2), true);
  assert.deepEqual(got, [s, 1, 2]);
  assert.equal(s.emit('nobody-listens'), false);
});

test('unsampled requests: no span reported, but the handler still sees an (unsampled) active span', async () => {
  let sawSpan = false;
  let sampled = true;
  let closed!: () => void;
  const resClosed = new Promise<void>((resolve) => { closed = resolve; });
  routes.set('/unsampled', (req, res) => {
    sawSpan = activeSpan() !== null;
    sampled = (serverSpanOf(req)!.spanContext.flags & 1) === 1;
    res.on('close', () => closed());
    res.end();
  });
  const before = reporter.spans.length;
  await send('/unsampled', { 'uber-trace-id': 'abcdef0123456789:1122334455667788:0:0' });
  await resClosed; // the span has ended by now: it would have been reported
  assert.equal(sawSpan, true);
  assert.equal(sampled, false);
  assert.equal(reporter.spans.length, before);
});
