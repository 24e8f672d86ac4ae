// @grpc/grpc-js in-process, for every tested version: the real package patched through the loader's
// hook, server and client over 127.0.0.1. What the fixture cannot see from outside: wrapper shapes,
// the active span inside handlers and client callbacks, unsampled propagation, tracing off,
// runUntraced, deadlines; plus the parsers.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import definitions from '../../instrumentations/grpc';
import { parseTarget, tagStatus } from '../../instrumentations/grpc/common';
import { installHooks } from '../../src/loader/hook';
import { activate, activeSpan, runUntraced } from '../../src/context/scope-manager';
import { setTracer } from '../../src/tracer/global';
import { originalOf } from '../../src/shim/wrap';
import { JaegerTracer } from '../../src/tracer/tracer';
import type { FinishedSpan } from '../../src/tracer/finished-span';
import type { JaegerSpan } from '../../src/tracer/span';
import { WaitingReporter, tagsOf } from './http-harness';
import { fixedSampler, recordingLogger } from '../helpers/tracer';
import { requireVersion, versionSet } from '../helpers/versions';

const PKG = '@grpc/grpc-js';
const reporter = new WaitingReporter();
const tracerOf = (sampled: boolean) => new JaegerTracer({ serviceName: 'grpc-test', sampler: fixedSampler(sampled), reporter, logger: recordingLogger() });
const sampledTracer = tracerOf(true);
setTracer(sampledTracer);
const hook = installHooks({ grpc: definitions }, { logger: recordingLogger() });
after(() => {
  hook.uninstall();
  setTracer(undefined);
});

test('parseTarget reads the forms grpc-js reports, and gives up on the rest', () => {
  const cases: Array<[unknown, unknown]> = [
    ['dns:127.0.0.1:50051', { host: '127.0.0.1', port: 50051 }],
    ['dns:///svc.local:443', { host: 'svc.local', port: 443 }],
    ['dns://8.8.8.8/svc:81', { host: 'svc', port: 81 }],
    ['ipv4:10.0.0.1:5,10.0.0.2:6', { host: '10.0.0.1', port: 5 }],
    ['ipv6:[::1]:7', { host: '::1', port: 7 }],
    ['localhost:9', { host: 'localhost', port: 9 }],
    ['[::1]:8', { host: '::1', port: 8 }],
    ['svc', { host: 'svc', port: undefined }],
    ['svc:notaport', { host: 'svc', port: undefined }],
    ['::1', { host: '::1', port: undefined }],
    ['unix:/tmp/sock', undefined],
    ['unix-abstract:x', undefined],
    ['', undefined],
    [42, undefined],
  ];
  for (const [input, expected] of cases) assert.deepEqual(parseTarget(input), expected, String(input));
});

test('tagStatus: OK is only a code; anything else is an error with name and details; odd codes survive', () => {
  const span = sampledTracer.startSpan('x') as JaegerSpan;
  tagStatus(span, { code: 0, details: 'OK' });
  tagStatus(span, { code: 99, details: '' });
  tagStatus(span, null);
  span.finish();
  const got = reporter.spans.at(-1)!;
  assert.deepEqual(got.tags.filter((t) => t.key === 'rpc.grpc.status_code').map((t) => t.value), [0, 99, 2]);
  assert.deepEqual(got.logs.map((l) => Object.fromEntries(l.fields.map((f) => [f.key, f.value]))), [
    { event: 'error', 'error.kind': '99' },
    { event: 'error', 'error.kind': 'UNKNOWN' },
  ]);
});

const ser = (o: unknown) => Buffer.from(JSON.stringify(o));
const de = (b: Buffer) => JSON.parse(b.toString('utf8'));
const service = {
  Unary: {
    path: '/t.S/Unary', requestStream: false, responseStream: false,
    requestSerialize: ser, requestDeserialize: de, responseSerialize: ser, responseDeserialize: de,
  },
};

for (const version of versionSet('grpc').versions) {
  describe(`${PKG}@${version}`, () => {
    const grpc = requireVersion(PKG, version);
    const seen: Array<{ active: unknown; trace: unknown; request: unknown }> = [];
    let server: any;
    let client: any;
    let release: (() => void) | undefined;

    const started = (async () => {
      server = new grpc.Server();
      const unary = function Unary(call: any, callback: any) {
        seen.push({ active: activeSpan(), trace: call.metadata.get('uber-trace-id')[0], request: call.request });
        if (call.request.hang) {
          release = () => callback(null, {});
          return;
        }
        callback(null, { ok: true });
      };
      server.addService(service, { Unary: unary });
      const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(),
        (err: Error | null, p: number) => (err ? reject(err) : resolve(p))));
      if (Number(version.split('.')[1]) < 10) server.start();
      const Client = grpc.makeGenericClientConstructor(service, 'S');
      client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    })();
    after(() => {
      client?.close();
      server?.forceShutdown();
    });

    const call = (req: object, options: object = {}) => new Promise<{ err: any; active: unknown }>((resolve) => {
      client.Unary(req, new grpc.Metadata(), options, (err: unknown) => resolve({ err, active: activeSpan() }));
    });
    const newSpans = async (from: number, n: number): Promise<FinishedSpan[]> => (await reporter.waitForSpans(from + n)).slice(from);

    test('the hook points are wrapped with their names and lengths kept', async () => {
      await started;
      const interceptors = requireVersion(PKG, version, `${PKG}/build/src/client-interceptors.js`);
      for (const [owner, key] of [[interceptors, 'getInterceptingCall'], [grpc.Server.prototype, 'register']] as const) {
        const fn = (owner as any)[key];
        assert.notEqual(originalOf(fn), fn, `${key} is wrapped`);
        assert.equal(fn.name, originalOf(fn).name);
        assert.equal(fn.length, originalOf(fn).length);
      }
    });

    test('the handler runs in the server span, the client callback in the caller\'s span', async () => {
      await started;
      const from = reporter.spans.length;
      const parent = sampledTracer.startSpan('caller') as JaegerSpan;
      const result = await activate(parent, () => call({ n: 1 }));
      parent.finish();
      assert.equal(result.err, null);
      assert.equal(result.active, parent, 'the callback sees the caller\'s span, not the client span');
      const spans = await newSpans(from, 3);
      const client = spans.find((s) => tagsOf(s)['span.kind'] === 'client')!;
      const srv = spans.find((s) => tagsOf(s)['span.kind'] === 'server')!;
      assert.equal(client.spanContext.parentId, parent.spanContext.spanId);
      assert.equal(srv.spanContext.parentId, client.spanContext.spanId);
      assert.equal((seen.at(-1)!.active as JaegerSpan).spanContext.spanId, srv.spanContext.spanId, 'the handler sees its server span');
    });

    test('unsampled: no spans, the decision still travels in the metadata', async () => {
      await started;
      setTracer(tracerOf(false));
      try {
        const from = reporter.spans.length;
        const r = await call({ n: 2 });
        assert.equal(r.err, null);
        assert.match(String(seen.at(-1)!.trace), /^[0-9a-f]+:[0-9a-f]+:0:0$/, 'uber-trace-id with the sampled flag off');
        assert.equal(reporter.spans.length, from);
      } finally {
        setTracer(sampledTracer);
      }
    });

    test('tracing off and runUntraced: the calls work, no span, nothing injected', async () => {
      await started;
      const from = reporter.spans.length;
      setTracer(undefined);
      try {
        assert.equal((await call({ n: 3 })).err, null);
        assert.equal(seen.at(-1)!.trace, undefined);
        assert.equal(seen.at(-1)!.active, null);
      } finally {
        setTracer(sampledTracer);
      }
      const r = await runUntraced(() => call({ n: 4 }));
      assert.equal(r.err, null);
      assert.equal(seen.at(-1)!.trace, undefined, 'no client span: nothing injected');
      // The server side is another request: it is traced on its own, as a root.
      const spans = await newSpans(from, 1);
      assert.equal(spans.length, 1);
      assert.equal(tagsOf(spans[0])['span.kind'], 'server');
      assert.equal(spans[0].spanContext.parentId, '');
    });

    test('a deadline that passes: DEADLINE_EXCEEDED on the client span; the server span ends too', async () => {
      await started;
      const from = reporter.spans.length;
      const r = await call({ hang: true }, { deadline: Date.now() + 100 });
      assert.equal(r.err?.code, grpc.status.DEADLINE_EXCEEDED);
      const spans = await reporter.waitFor((all) => all.slice(from).length >= 2, 'both spans of the expired call');
      const client = spans.slice(from).find((s) => tagsOf(s)['span.kind'] === 'client')!;
      assert.equal(tagsOf(client)['rpc.grpc.status_code'], 4);
      assert.equal(tagsOf(client).error, true);
      const srv = spans.slice(from).find((s) => tagsOf(s)['span.kind'] === 'server')!;
      assert.notEqual(tagsOf(srv)['rpc.grpc.status_code'], 0);
      release?.(); // the handler answers late: grpc-js drops it, nothing else is reported
    });
  });
}
