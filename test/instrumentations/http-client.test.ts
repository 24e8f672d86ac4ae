// Outgoing http/https requests, in-process: the definitions patched onto the real modules, a test
// tracer, and local servers that echo the headers they received.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { activeSpan, runUntraced } from '../../src/context/scope-manager';
import { originalOf } from '../../src/shim/wrap';
import { setTracer } from '../../src/tracer/global';
import type { FinishedSpan } from '../../src/tracer/finished-span';
import { kindOf, listen, readBody, setUpTracing, tagsOf } from './http-harness';

const CERTS = path.resolve(__dirname, '../../../test/fixtures/certs');
const tls = { key: fs.readFileSync(path.join(CERTS, 'localhost-key.pem')), cert: fs.readFileSync(path.join(CERTS, 'localhost-cert.pem')) };
https.globalAgent.options.ca = tls.cert; // the string and URL forms cannot carry a `ca` option

const { tracer, reporter, unpatch } = setUpTracing();
// Echoes the request headers; /status/NNN answers NNN.
const echo: http.RequestListener = (req, res) => {
  const m = /^\/status\/(\d+)/.exec(req.url ?? '');
  res.statusCode = m ? Number(m[1]) : 200;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(req.headers));
};
let plain: Awaited<ReturnType<typeof listen>>;
let secure: Awaited<ReturnType<typeof listen>>;

before(async () => {
  plain = await listen(echo);
  secure = await listen(echo, https.createServer(tls) as unknown as http.Server);
});
after(async () => {
  await plain.close();
  await secure.close();
  unpatch();
});

type Mod = typeof http | typeof https;
type Cb = (res: http.IncomingMessage) => void;
interface Form { name: string; call(mod: Mod, base: string, port: number, cb: Cb): http.ClientRequest }
const opts = (scheme: string, port: number, extra: http.RequestOptions = {}): http.RequestOptions =>
  ({ protocol: scheme, host: '127.0.0.1', port, path: '/form?secret=1', ...extra });
const scheme = (mod: Mod) => (mod === https ? 'https:' : 'http:');

const FORMS: Form[] = [
  { name: 'request(url string)', call: (m, b) => { const r = m.request(`${b}/form?secret=1`); r.end(); return r; } },
  { name: 'request(url string, cb)', call: (m, b, _p, cb) => m.request(`${b}/form?secret=1`, cb).end() },
  { name: 'request(URL, cb)', call: (m, b, _p, cb) => m.request(new URL(`${b}/form?secret=1`), cb).end() },
  { name: 'request(options)', call: (m, _b, p) => { const r = m.request(opts(scheme(m), p)); r.end(); return r; } },
  { name: 'request(options, cb)', call: (m, _b, p, cb) => m.request(opts(scheme(m), p), cb).end() },
  { name: 'request(url, options, cb)', call: (m, b, _p, cb) => m.request(`${b}/form?secret=1`, { method: 'post' }, cb).end('x') },
  { name: 'request(URL, options)', call: (m, b) => { const r = m.request(new URL(`${b}/form`), { headers: { 'x-app': '1' } }); r.end(); return r; } },
  { name: 'get(url string)', call: (m, b) => m.get(`${b}/form?secret=1`) },
  { name: 'get(url string, cb)', call: (m, b, _p, cb) => m.get(`${b}/form?secret=1`, cb) },
  { name: 'get(URL)', call: (m, b) => m.get(new URL(`${b}/form?secret=1`)) },
  { name: 'get(options, cb)', call: (m, _b, p, cb) => m.get(opts(scheme(m), p), cb) },
  { name: 'get(url, options, cb)', call: (m, b, _p, cb) => m.get(`${b}/form?secret=1`, { headers: { 'x-app': '1' } }, cb) },
  { name: 'get(URL, options)', call: (m, b) => m.get(new URL(`${b}/form`), { headers: { 'x-app': '1' } }) },
];

function spansOfTrace(traceId: string): FinishedSpan[] {
  return reporter.spans.filter((s) => s.spanContext.traceId === traceId);
}

/** Runs `call` under a fresh parent span; resolves with the parent, the echoed headers and the status. */
async function underParent(call: (cb: Cb) => http.ClientRequest): Promise<{
  parent: FinishedSpan; headers: Record<string, string>; status: number; cbSawParent: boolean | undefined;
}> {
  const parent = tracer.startSpan('parent');
  let cbSawParent: boolean | undefined;
  const res = await tracer.activate(parent, () => new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = call((r) => { cbSawParent = activeSpan() === parent; void r; });
    req.on('error', reject);
    req.on('response', resolve);
  }));
  const body = await readBody(res);
  parent.finish();
  return { parent, headers: JSON.parse(body), status: res.statusCode ?? 0, cbSawParent };
}

for (const mod of [http, https] as Mod[]) {
  for (const form of FORMS) {
    test(`${scheme(mod).slice(0, -1)}.${form.name}: one client span, tagged, its context injected`, async () => {
      const server = mod === https ? secure : plain;
      const base = `${scheme(mod)}//127.0.0.1:${server.port}`;
      const { parent, headers, cbSawParent } = await underParent((cb) => form.call(mod, base, server.port, cb));
      const traceId = parent.spanContext.traceId;
      // parent + client + the local server's span, and nothing else in this trace, ever.
      await reporter.waitFor(() => spansOfTrace(traceId).length >= 3, 'the trace');
      const trace = spansOfTrace(traceId);
      const clients = trace.filter((s) => kindOf(s) === 'client');
      assert.equal(clients.length, 1, 'exactly one client span');
      const client = clients[0];
      assert.equal(client.spanContext.parentId, parent.spanContext.spanId);
      const method = form.name.includes('(url, options, cb)') && form.name.startsWith('request') ? 'POST' : 'GET';
      assert.equal(client.operationName, method);
      assert.deepEqual(tagsOf(client), {
        'span.kind': 'client', component: 'http', 'http.method': method,
        'http.url': `${base}/form`, 'peer.hostname': '127.0.0.1', 'peer.port': server.port, 'http.status_code': 200,
      });
      assert.equal(headers['uber-trace-id'].split(':').slice(0, 2).join(':'), `${traceId}:${client.spanContext.spanId}`);
      assert.match(headers.traceparent, new RegExp(`^00-0*${traceId}-${client.spanContext.spanId}-01$`));
      if (form.name.includes('options') && form.call.toString().includes('x-app')) assert.equal(headers['x-app'], '1');
      if (cbSawParent !== undefined) assert.equal(cbSawParent, true, 'the callback runs in the caller\'s context');
      const serverSpan = trace.find((s) => kindOf(s) === 'server');
      assert.equal(serverSpan?.spanContext.parentId, client.spanContext.spanId);
      assert.equal(trace.length, 3);
    });
  }
}

test('wrapped request/get keep their name and length', () => {
  for (const mod of [http, https] as Mod[]) {
    for (const key of ['request', 'get'] as const) {
      const fn = mod[key];
      assert.notEqual(originalOf(fn), fn, `${key} is wrapped`);
      assert.equal(fn.name, originalOf(fn).name);
      assert.equal(fn.length, originalOf(fn).length);
    }
  }
  assert.equal(http.request.name, 'request');
  assert.equal(http.get.length, 3);
});

test('the caller\'s options and headers are never changed; frozen ones work', async () => {
  const headers = Object.freeze({ 'x-app': 'frozen' });
  const options = Object.freeze({ host: '127.0.0.1', port: plain.port, path: '/frozen', headers });
  const { headers: seen } = await underParent((cb) => http.get(options, cb));
  assert.equal(seen['x-app'], 'frozen');
  assert.ok(seen['uber-trace-id']);
  assert.deepEqual(Object.keys(headers), ['x-app']);
  assert.deepEqual(Object.keys(options), ['host', 'port', 'path', 'headers']);

  const mutable = { host: '127.0.0.1', port: plain.port, path: '/mutable', headers: { 'x-app': 'm' } };
  const snapshot = structuredClone(mutable);
  await underParent((cb) => http.get(mutable, cb));
  assert.deepEqual(mutable, snapshot);
});

test('raw header arrays (flat and pairs) carry our headers too, in the same shape', async () => {
  // Node sends array headers as given (no Host added), so they bring their own.
  const host = `127.0.0.1:${plain.port}`;
  const flat = ['Host', host, 'X-App', 'flat'];
  const { headers: a, parent: pa } = await underParent((cb) =>
    http.get({ host: '127.0.0.1', port: plain.port, path: '/flat', headers: flat as unknown as http.OutgoingHttpHeaders }, cb));
  assert.equal(a['x-app'], 'flat');
  assert.ok(a['uber-trace-id'].startsWith(pa.spanContext.traceId + ':'));
  assert.deepEqual(flat, ['Host', host, 'X-App', 'flat']);

  const pairs = [['Host', host], ['X-App', 'pairs']];
  const { headers: b, parent: pb } = await underParent((cb) =>
    http.get({ host: '127.0.0.1', port: plain.port, path: '/pairs', headers: pairs as unknown as http.OutgoingHttpHeaders }, cb));
  assert.equal(b['x-app'], 'pairs');
  assert.ok(b['uber-trace-id'].startsWith(pb.spanContext.traceId + ':'));
});

test('forwarded propagation headers (a proxy passing on incoming headers) are replaced, not duplicated', async () => {
  const stale = { 'Uber-Trace-Id': '1111111111111111:2222222222222222:0:1', traceparent: '00-11111111111111111111111111111111-2222222222222222-01' };
  const { headers, parent } = await underParent((cb) =>
    http.get({ host: '127.0.0.1', port: plain.port, path: '/proxy', headers: stale }, cb));
  assert.ok(headers['uber-trace-id'].startsWith(parent.spanContext.traceId + ':'), headers['uber-trace-id']);
  assert.ok(headers.traceparent.includes(parent.spanContext.traceId), headers.traceparent);
});

test('5xx marks the client span failed; 4xx does not', async () => {
  const { parent: p5, status } = await underParent((cb) => http.get(`http://127.0.0.1:${plain.port}/status/503`, cb));
  assert.equal(status, 503);
  const { parent: p4 } = await underParent((cb) => http.get(`http://127.0.0.1:${plain.port}/status/404`, cb));
  await reporter.waitFor(() => spansOfTrace(p5.spanContext.traceId).length >= 3 && spansOfTrace(p4.spanContext.traceId).length >= 3, 'both traces');
  const c5 = spansOfTrace(p5.spanContext.traceId).find((s) => kindOf(s) === 'client')!;
  const c4 = spansOfTrace(p4.spanContext.traceId).find((s) => kindOf(s) === 'client')!;
  assert.equal(tagsOf(c5).error, true);
  assert.equal(tagsOf(c5)['http.status_code'], 503);
  assert.equal(c5.logs.length, 1);
  assert.equal(tagsOf(c4).error, undefined);
  assert.equal(tagsOf(c4)['http.status_code'], 404);
});

/** Makes a request under a parent and resolves with the client span once reported. */
async function failingCall(start: (parent: ReturnType<typeof tracer.startSpan>) => Promise<unknown>): Promise<{ client: FinishedSpan; outcome: unknown }> {
  const parent = tracer.startSpan('parent');
  const outcome = await tracer.activate(parent, () => start(parent));
  parent.finish();
  const traceId = parent.spanContext.traceId;
  await reporter.waitFor(() => spansOfTrace(traceId).some((s) => kindOf(s) === 'client'), 'the client span');
  const clients = spansOfTrace(traceId).filter((s) => kindOf(s) === 'client');
  assert.equal(clients.length, 1);
  return { client: clients[0], outcome };
}

test('ECONNREFUSED: the app gets the error as usual, in its context; the span ends failed', async () => {
  const closed = await listen(echo);
  const port = closed.port;
  await closed.close();
  const { client, outcome } = await failingCall((parent) => new Promise((resolve) => {
    http.get(`http://127.0.0.1:${port}/`).on('error', (err) => resolve({ err, inParent: activeSpan() === parent }));
  }));
  const { err, inParent } = outcome as { err: NodeJS.ErrnoException; inParent: boolean };
  assert.equal(err.code, 'ECONNREFUSED');
  assert.equal(inParent, true);
  assert.equal(tagsOf(client).error, true);
  const fields = Object.fromEntries(client.logs[0].fields.map((f) => [f.key, f.value]));
  assert.equal(fields.event, 'error');
  assert.match(String(fields.message), /ECONNREFUSED/);
});

test('a timeout that leads to destroy() fails the span; a timeout the app ignores does not', async () => {
  const held: http.ServerResponse[] = [];
  const slow = await listen((_req, res) => { held.push(res); });
  try {
    const { client, outcome } = await failingCall(() => new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: slow.port, path: '/slow', timeout: 30 });
      req.on('timeout', () => req.destroy());
      req.on('error', (err) => resolve(err));
    }));
    assert.equal((outcome as NodeJS.ErrnoException).code, 'ECONNRESET');
    assert.equal(tagsOf(client).error, true);
    assert.ok(client.logs.some((l) => l.fields.some((f) => f.key === 'event' && f.value === 'timeout')));

    // The app only notes the timeout; the server answers afterwards: a normal, successful span.
    const { client: ok, outcome: status } = await failingCall(() => new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: slow.port, path: '/late' });
      req.setTimeout(20, () => held.at(-1)!.end('late'));
      req.on('response', (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    }));
    assert.equal(status, 200);
    assert.equal(tagsOf(ok).error, undefined);
    assert.equal(tagsOf(ok)['http.status_code'], 200);
  } finally {
    await slow.close();
  }
});

test('destroy() before the response, and after part of the body, end the span failed', async () => {
  const partial = await listen((_req, res) => { res.write('part'); });
  try {
    const { client: early } = await failingCall(() => new Promise((resolve) => {
      const req = http.get(`http://127.0.0.1:${partial.port}/early`);
      req.on('error', () => {});
      req.on('close', resolve);
      req.destroy();
    }));
    assert.equal(tagsOf(early).error, true);

    const { client: late } = await failingCall(() => new Promise((resolve) => {
      const req = http.get(`http://127.0.0.1:${partial.port}/late`, (res) => {
        res.once('data', () => req.destroy());
        res.on('close', resolve);
      });
      req.on('error', () => {});
    }));
    assert.equal(tagsOf(late).error, true);
    assert.equal(tagsOf(late)['http.status_code'], 200);
  } finally {
    await partial.close();
  }
});

test('a response nobody reads still ends the span (Node dumps it)', async () => {
  const { client } = await failingCall(() => new Promise((resolve) => {
    const req = http.request(`http://127.0.0.1:${plain.port}/unread`);
    req.on('close', resolve);
    req.end();
  }));
  assert.equal(tagsOf(client)['http.status_code'], 200);
  assert.equal(tagsOf(client).error, undefined);
});

test('response listeners run in the caller\'s context when requests queue for one kept-alive socket', async () => {
  // With maxSockets 1, requests 2 and 3 get the socket when the previous one frees it: Node hands
  // it over from that request's context, which the listeners must not see.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const name = () => (activeSpan() as unknown as FinishedSpan | null)?.operationName ?? 'none';
    const calls = [0, 1, 2, 3].map((i) => {
      const parent = tracer.startSpan(`caller-${i}`);
      return tracer.activate(parent, () => new Promise<string[]>((resolve) => {
        const got: string[] = [];
        const req = http.get({ host: '127.0.0.1', port: plain.port, path: `/ka/${i}`, agent }, (res) => {
          got.push(name());
          res.on('data', () => got.push(name()));
          res.on('end', () => { got.push(name()); parent.finish(); resolve(got); });
        });
        req.on('response', () => got.push(name()));
        req.on('socket', () => got.push(name()));
      }));
    });
    const seen = await Promise.all(calls);
    seen.forEach((got, i) => {
      assert.ok(got.length >= 4);
      assert.deepEqual([...new Set(got)], [`caller-${i}`], `request ${i}`);
    });
  } finally {
    agent.destroy();
  }
});

test('response listeners run in the caller\'s context when a custom agent assigns sockets from elsewhere', async () => {
  // An agent that hands out sockets later, from whatever context releases them (pooling agents do
  // this): Node's own context propagation then follows the releaser, ours restores the caller.
  const release: (() => void)[] = [];
  class LateAgent extends http.Agent {
    addRequest(req: http.ClientRequest, options: http.RequestOptions): void {
      release.push(() => (http.Agent.prototype as unknown as { addRequest(r: unknown, o: unknown): void }).addRequest.call(this, req, options));
    }
  }
  const agent = new LateAgent();
  try {
    const name = () => (activeSpan() as unknown as FinishedSpan | null)?.operationName ?? 'none';
    const calls = [0, 1].map((i) => {
      const parent = tracer.startSpan(`late-${i}`);
      return tracer.activate(parent, () => new Promise<string[]>((resolve) => {
        const got: string[] = [];
        http.get({ host: '127.0.0.1', port: plain.port, path: `/late/${i}`, agent }, (res) => {
          got.push(name());
          res.on('end', () => { got.push(name()); parent.finish(); resolve(got); });
          res.resume();
        }).on('response', () => got.push(name()));
      }));
    });
    const releaser = tracer.startSpan('releaser');
    tracer.activate(releaser, () => { for (const go of release) go(); });
    releaser.finish();
    const seen = await Promise.all(calls);
    seen.forEach((got, i) => assert.deepEqual([...new Set(got)], [`late-${i}`], `request ${i}`));
  } finally {
    agent.destroy();
  }
});

test('arguments Node rejects: the same error is thrown, from the same call', () => {
  const original = originalOf(http.request);
  const errorOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return err as NodeJS.ErrnoException;
    }
    assert.fail('expected a throw');
  };
  const parent = tracer.startSpan('bad-args');
  for (const args of [['not a url'], [{ host: '127.0.0.1', method: 'BAD METHOD' }], [{ host: '127.0.0.1', headers: ['odd'] }]] as unknown[][]) {
    const ours = tracer.activate(parent, () => errorOf(() => (http.request as (...a: unknown[]) => unknown)(...args)));
    const theirs = errorOf(() => (original as (...a: unknown[]) => unknown)(...args));
    assert.equal(ours.code, theirs.code);
    assert.equal(ours.message, theirs.message);
    assert.match(ours.stack ?? '', /http-client\.test/);
  }
  parent.finish();
});

test('nothing is traced or injected inside runUntraced() (our own traffic)', async () => {
  const parent = tracer.startSpan('untraced-parent');
  const headers = await tracer.activate(parent, () => runUntraced(() => new Promise<Record<string, string>>((resolve) => {
    http.get(`http://127.0.0.1:${plain.port}/untraced`, (res) => readBody(res).then((b) => resolve(JSON.parse(b))));
  })));
  parent.finish();
  assert.equal(headers['uber-trace-id'], undefined);
  assert.equal(headers.traceparent, undefined);
  // The server side saw a request without context: its span is a root of a new trace, and the
  // parent's trace holds no client span.
  await reporter.waitFor((s) => s.some((x) => x.operationName === 'untraced-parent'), 'the parent');
  assert.equal(spansOfTrace(parent.spanContext.traceId).filter((s) => kindOf(s) === 'client').length, 0);
});

test('URL-like plain objects: one span; headers set on the request while they are still unsent', async () => {
  const like = (p: string) => ({ href: `http://127.0.0.1:${plain.port}${p}`, protocol: 'http:', hostname: '127.0.0.1', port: plain.port, pathname: p, search: '' });
  const { headers, parent } = await underParent((cb) => { const r = http.request(like('/like'), cb); r.end(); return r; });
  assert.ok(headers['uber-trace-id'].startsWith(parent.spanContext.traceId + ':'));
  // http.get sends the headers inside the call: too late to add ours, but still one span, no error.
  const { parent: p2, status } = await underParent((cb) => http.get(like('/like-get'), cb));
  assert.equal(status, 200);
  await reporter.waitFor(() => spansOfTrace(p2.spanContext.traceId).some((s) => kindOf(s) === 'client'), 'the client span');
  const clients = spansOfTrace(p2.spanContext.traceId).filter((s) => kindOf(s) === 'client');
  assert.equal(clients.length, 1);
  assert.equal(tagsOf(clients[0])['http.url'], `http://127.0.0.1:${plain.port}/like-get`);
});

test('with tracing off, requests pass through untouched: no span, no headers', async () => {
  setTracer(undefined);
  try {
    const headers = await new Promise<Record<string, string>>((resolve, reject) => {
      http.get(`http://127.0.0.1:${plain.port}/off`, (res) => readBody(res).then((b) => resolve(JSON.parse(b)), reject)).on('error', reject);
    });
    assert.equal(headers['uber-trace-id'], undefined);
    assert.equal(headers.traceparent, undefined);
    // Had spans been started, the client's would have ended with the response, before this line.
    assert.equal(reporter.spans.filter((s) => String(tagsOf(s)['http.url']).endsWith('/off')).length, 0);
  } finally {
    setTracer(tracer);
  }
});
