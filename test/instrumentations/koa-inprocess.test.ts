// koa and @koa/router in-process, for every tested version: the real packages patched through the
// loader's hook, the real http server span (instrumentations/http) named and failed by them. What
// the fixture cannot see from outside: wrapper shapes, router.match() called by the app itself,
// ignored paths and tracing off, overlapping requests, the app's 'error' listener getting the
// very error thrown.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import definitions from '../../instrumentations/koa';
import { installHooks } from '../../src/loader/hook';
import { runUntraced } from '../../src/context/scope-manager';
import { setTracer } from '../../src/tracer/global';
import { originalOf } from '../../src/shim/wrap';
import { setHttpIgnorePaths } from '../../instrumentations/http/ignore-paths';
import type { FinishedSpan } from '../../src/tracer/finished-span';
import { readBody, setUpTracing, tagsOf } from './http-harness';
import { recordingLogger } from '../helpers/tracer';
import { requireVersion, versionSet } from '../helpers/versions';

const { tracer, reporter, unpatch } = setUpTracing();
const hook = installHooks({ koa: definitions }, { logger: recordingLogger() });
after(() => {
  hook.uninstall();
  unpatch();
  setHttpIgnorePaths(undefined as unknown as string[]);
});

/** A request our client shim leaves alone: the server span is a root. */
function send(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return runUntraced(() => new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      readBody(res).then((body) => resolve({ status: res.statusCode ?? 0, body }), reject);
    });
    req.on('error', reject);
    req.end();
  }));
}

/** The finished server span whose http.url is `path`, among those reported after `from` (waits for it). */
async function spanOf(from: number, path: string, method = 'GET'): Promise<FinishedSpan> {
  const match = (s: FinishedSpan) => tagsOf(s)['http.url'] === path && tagsOf(s)['http.method'] === method && tagsOf(s)['span.kind'] === 'server';
  const spans = await reporter.waitFor((all) => all.slice(from).some(match), `the server span of ${method} ${path}`);
  const found = spans.slice(from).filter(match);
  assert.equal(found.length, 1, `one server span for ${method} ${path}`);
  return found[0];
}

for (const version of versionSet('koa').versions) {
  describe(`koa@${version}`, () => {
    const Koa = requireVersion('koa', version);
    const Router = requireVersion('koa', version, '@koa/router');
    let server: http.Server;
    let port: number;
    const errors: unknown[] = [];
    let errorListeners = 0;
    let gate: () => void = () => {};
    const opened = new Promise<void>((resolve) => { gate = resolve; });
    let arrive: () => void = () => {};
    const arrived = new Promise<void>((resolve) => { arrive = resolve; });
    const thrown = new Error('thrown by /fail');

    const router = new Router();
    const other = new Router({ prefix: '/other' });
    other.get('/:x', (ctx: any) => { ctx.body = 'other'; });
    router.get('/self-match/:id', (ctx: any) => {
      // The app's own match() call while its request is being handled changes nothing.
      const m = router.match('/other/1', 'GET');
      ctx.body = `matched ${m.route}`;
    });
    router.get('/slow/:id', async (ctx: any) => { arrive(); await opened; ctx.body = 'slow'; });
    router.get('/fast/:id', (ctx: any) => { ctx.body = 'fast'; gate(); });
    router.get('/fail', () => { throw thrown; });
    router.get('/health', (ctx: any) => { ctx.body = 'ok'; });
    router.get(/^\/re\/\d+$/, (ctx: any) => { ctx.body = 're'; });
    router.use(other.routes());

    before(async () => {
      const app = new Koa();
      app.on('error', (err: unknown) => errors.push(err));
      app.use(router.routes());
      errorListeners = app.listenerCount('error');
      server = http.createServer(app.callback());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    test('patched through the loader: wrappers keep name and length; dispatch keeps name, length and .router', () => {
      assert.ok(hook.applied().includes(`koa@${version}`), hook.applied().join());
      assert.ok(hook.applied().some((a) => a.startsWith('@koa/router@')), hook.applied().join());
      for (const method of ['match', 'routes', 'middleware']) {
        const fn = Router.prototype[method];
        assert.notEqual(fn, originalOf(fn), `${method} wrapped`);
        assert.equal(fn.name, originalOf(fn).name);
        assert.equal(fn.length, originalOf(fn).length);
      }
      const context = requireVersion('koa', version, 'koa/lib/context.js');
      assert.notEqual(context.onerror, originalOf(context.onerror));
      assert.equal(context.onerror.name, 'onerror');
      assert.equal(context.onerror.length, 1);
      const plain = originalOf(Router.prototype.middleware).call(router);
      const dispatch = router.routes();
      assert.notEqual(dispatch, plain);
      assert.equal(dispatch.name, plain.name);
      assert.equal(dispatch.length, plain.length);
      assert.deepEqual(Object.keys(dispatch), Object.keys(plain));
      assert.equal(dispatch.router, router);
    });

    test('router.match() called by the app does not rename its request; outside a request it is harmless', async () => {
      const from = reporter.spans.length;
      assert.equal(router.match('/other/1', 'GET').route, true);
      const r = await send(port, '/self-match/3');
      assert.deepEqual(r, { status: 200, body: 'matched true' });
      assert.equal((await spanOf(from, '/self-match/3')).operationName, 'GET /self-match/:id');
    });

    test('nested router mounted with router.use(other.routes()) names its prefixed route', async () => {
      const from = reporter.spans.length;
      assert.equal((await send(port, '/other/x1')).body, 'other');
      const span = await spanOf(from, '/other/x1');
      assert.equal(span.operationName, 'GET /other/:x');
      assert.equal(tagsOf(span)['http.route'], '/other/:x');
    });

    test('a RegExp route is named by its source text: still one name for every matching path', async () => {
      const from = reporter.spans.length;
      assert.equal((await send(port, '/re/12')).body, 're');
      const span = await spanOf(from, '/re/12');
      assert.equal(span.operationName, 'GET /^\\/re\\/\\d+$/');
      assert.equal(tagsOf(span)['http.route'], '/^\\/re\\/\\d+$/');
    });

    test('overlapping requests on different routes each get their own name', async () => {
      const from = reporter.spans.length;
      const slow = send(port, '/slow/1');
      await arrived; // the slow request waits inside its handler until the fast one is answered
      const fast = await send(port, '/fast/2');
      assert.equal(fast.body, 'fast');
      assert.equal((await slow).body, 'slow');
      assert.equal((await spanOf(from, '/slow/1')).operationName, 'GET /slow/:id');
      assert.equal((await spanOf(from, '/fast/2')).operationName, 'GET /fast/:id');
    });

    test('the app\'s error listener gets the very error thrown; no listener of ours', async () => {
      const from = reporter.spans.length;
      const before = errors.length;
      const r = await send(port, '/fail');
      assert.equal(r.status, 500);
      assert.equal(errors.length, before + 1);
      assert.equal(errors.at(-1), thrown);
      const span = await spanOf(from, '/fail');
      assert.equal(tagsOf(span).error, true);
      assert.equal(span.logs[0].fields.find((f) => f.key === 'message')?.value, 'thrown by /fail');
      assert.equal(span.logs[0].fields.find((f) => f.key === 'error.kind')?.value, 'Error');
    });

    test('an ignored path: no span, nothing named, the response unchanged', async () => {
      setHttpIgnorePaths(['/health']);
      try {
        const count = reporter.spans.length;
        assert.deepEqual(await send(port, '/health'), { status: 200, body: 'ok' });
        assert.equal(reporter.spans.length, count);
      } finally {
        setHttpIgnorePaths([]);
      }
    });

    test('tracing off: responses unchanged, no span', async () => {
      setTracer(undefined);
      try {
        const count = reporter.spans.length;
        assert.deepEqual(await send(port, '/fast/9'), { status: 200, body: 'fast' });
        assert.equal((await send(port, '/fail')).status, 500);
        assert.equal(reporter.spans.length, count);
      } finally {
        setTracer(tracer);
      }
      assert.equal(errorListeners, 1, 'only the app\'s own error listener');
    });
  });
}
