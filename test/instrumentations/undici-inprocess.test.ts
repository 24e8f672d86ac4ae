// The channel subscriber in this process, on messages undici never sends: it must neither throw (a
// throwing subscriber becomes an uncaught exception in Node) nor break the request's own objects.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { setTracer } from '../../src/tracer/global';
import { installHooks } from '../../src/loader/hook';
import { BUILTIN_INSTRUMENTATIONS, selectInstrumentations } from '../../src/loader/registry';
import { runUntraced } from '../../src/context/scope-manager';
import { CHANNEL_CREATE, CHANNEL_ERROR, CHANNEL_HEADERS, CHANNEL_TRAILERS } from '../../instrumentations/undici';
import { memoryTracer } from '../helpers/tracer';

function setup(t: TestContext) {
  const { tracer, reporter } = memoryTracer();
  const handle = installHooks(selectInstrumentations(BUILTIN_INSTRUMENTATIONS, ['undici'], []));
  setTracer(tracer);
  t.after(() => { setTracer(undefined); handle.uninstall(); });
  return reporter;
}

const publish = (name: string, message: unknown) => channel(name).publish(message);

test('malformed messages are ignored without throwing', (t) => {
  const reporter = setup(t);
  for (const message of [undefined, null, 42, {}, { request: null }, { request: 'x' }, { request: {} , response: null }]) {
    for (const name of [CHANNEL_CREATE, CHANNEL_HEADERS, CHANNEL_TRAILERS, CHANNEL_ERROR]) {
      assert.doesNotThrow(() => publish(name, message), `${name} ${JSON.stringify(message)}`);
    }
  }
  // A request object without addHeader or origin: a span, no propagation, still finished once.
  const request = { method: 'DELETE', path: '/p' };
  publish(CHANNEL_CREATE, { request });
  publish(CHANNEL_HEADERS, { request, response: { statusCode: 204 } });
  publish(CHANNEL_TRAILERS, { request, trailers: [] });
  publish(CHANNEL_TRAILERS, { request, trailers: [] });
  publish(CHANNEL_ERROR, { request, error: new Error('late') });
  const spans = reporter.spans.filter((s) => s.operationName === 'DELETE');
  assert.equal(spans.length, 1);
  const tags = Object.fromEntries(spans[0].tags.map((x) => [x.key, x.value]));
  assert.equal(tags['http.status_code'], 204);
  assert.equal(tags['http.url'], undefined, 'no origin: no url');
  assert.equal(tags.error, undefined, 'the late error after the end changes nothing');
});

test('an addHeader that throws leaves the request alone and the span is still finished', (t) => {
  const reporter = setup(t);
  const request = {
    origin: 'http://127.0.0.1:1', method: 'GET', path: '/a?secret=1', headers: [] as string[],
    addHeader() { throw new Error('refused'); },
  };
  assert.doesNotThrow(() => publish(CHANNEL_CREATE, { request }));
  assert.deepEqual(request.headers, []);
  publish(CHANNEL_ERROR, { request, error: new Error('ECONNREFUSED') });
  assert.equal(reporter.spans.length, 1);
});

test('inside runUntraced (the tracer\'s own traffic) nothing is traced or injected', (t) => {
  const reporter = setup(t);
  const request = { origin: 'http://127.0.0.1:1', method: 'POST', path: '/api/traces', headers: [] as string[],
    addHeader(k: string, v: string) { this.headers.push(k, v); } };
  runUntraced(() => publish(CHANNEL_CREATE, { request }));
  publish(CHANNEL_TRAILERS, { request, trailers: [] });
  assert.deepEqual(request.headers, []);
  assert.equal(reporter.spans.length, 0);
});
