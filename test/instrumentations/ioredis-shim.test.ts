// The ioredis shims in-process, for every version in test/versions/ioredis.json: the definitions
// patched onto the version's own module copy the way the loader does, a test tracer, the real Redis
// on 127.0.0.1:6379, and a real one-node Redis Cluster started here from `redis-server` (the shared
// server is not a cluster). Fine-grained forms the fixture apps cannot see: the fast path, markers,
// wrapper identity and thrown errors, and commands routed by a Cluster to its node.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import definitions from '../../instrumentations/ioredis';
import { activate, runUntraced } from '../../src/context/scope-manager';
import { JaegerTracer } from '../../src/tracer/tracer';
import { setTracer } from '../../src/tracer/global';
import { originalOf, unwrapAll, wrapMethod, type WrapRecord } from '../../src/shim/wrap';
import type { PatchContext } from '../../src/loader/definition';
import type { FinishedSpan } from '../../src/tracer/finished-span';
import { fixedSampler, recordingLogger } from '../helpers/tracer';
import { needService } from '../helpers/services';
import { requireVersion, versionSet } from '../helpers/versions';
import { WaitingReporter } from './http-harness';

const reporter = new WaitingReporter();
const tracer = new JaegerTracer({ serviceName: 'ioredis-shim-test', sampler: fixedSampler(true), reporter, logger: recordingLogger() });
const records: WrapRecord[] = [];
const logger = recordingLogger();
const versions = versionSet('ioredis').versions;
const modules = new Map<string, any>();

before(() => {
  setTracer(tracer);
  for (const version of versions) {
    const Redis = requireVersion('ioredis', version);
    const handlers = requireVersion('ioredis', version, 'ioredis/built/redis/event_handler.js');
    for (const def of definitions) {
      const ctx: PatchContext = {
        name: 'ioredis', version, log: logger,
        wrap: (target, method, wrapper) => wrapMethod(target, method, wrapper, records, logger),
      };
      def.patch(def.file === undefined ? Redis : handlers, ctx);
    }
    modules.set(version, Redis);
  }
});
after(() => {
  unwrapAll(records, logger);
  setTracer(undefined);
});

const PREFIX = `jaeger-auto:test:ioredis-shim:${process.pid}:`;
const tagsOf = (s: FinishedSpan) => Object.fromEntries(s.tags.map((t) => [t.key, t.value]));
const ours = (o: object) => Object.getOwnPropertySymbols(o).filter((s) => s.description?.startsWith('jaeger-auto:'));
const settled = (p: Promise<unknown>) => p.then(() => undefined, () => undefined);

for (const version of versions) {
  const Redis = () => modules.get(version);

  test(`ioredis@${version}: wrappers keep name, length and the original's thrown errors`, { timeout: 20_000 }, async (t: TestContext) => {
    if (!(await needService(t, 'redis'))) return;
    const R = Redis();
    const methods: [object, string][] = [
      [R.prototype, 'sendCommand'], [R.Pipeline.prototype, 'exec'], [R.Pipeline.prototype, 'sendCommand'],
      [R.Cluster.prototype, 'sendCommand'], [R.Cluster.prototype, 'getInfoFromNode'], [R.Cluster.prototype, 'readyCheck'],
    ];
    for (const [target, key] of methods) {
      const wrapped = (target as any)[key];
      assert.notEqual(wrapped, originalOf(wrapped), `${key} is wrapped`);
      assert.equal(wrapped.name, originalOf(wrapped).name, `${key}.name`);
      assert.equal(wrapped.length, originalOf(wrapped).length, `${key}.length`);
    }
    // An ended client: the original throws at once for each of these, nothing goes to a socket.
    const client = new R({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    client.disconnect();
    assert.equal(client.status, 'end');
    const thrown = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return `${(err as Error).constructor.name}: ${(err as Error).message}`;
      }
      return 'no throw';
    };
    const original = originalOf(R.prototype.sendCommand);
    for (const bad of [undefined, null, 42, { name: 'get', args: [] }]) {
      const want = thrown(() => original.call(client, typeof bad === 'object' && bad !== null ? { ...bad } : bad));
      assert.notEqual(want, 'no throw');
      assert.equal(thrown(() => client.sendCommand(bad)), want, `sendCommand(${JSON.stringify(bad)})`);
    }
  });

  test(`ioredis@${version}: tracing off or untraced: nothing started, nothing replaced, Symbol markers only`, { timeout: 20_000 }, async (t: TestContext) => {
    if (!(await needService(t, 'redis'))) return;
    const R = Redis();
    const client = new R({ host: '127.0.0.1', port: 6379 });
    await new Promise((resolve) => client.once('ready', resolve));
    const before = reporter.spans.length;
    setTracer(undefined);
    try {
      const command = new R.Command('get', [`${PREFIX}off`]);
      const { resolve, reject } = command;
      await client.sendCommand(command);
      assert.equal(command.resolve, resolve);
      assert.equal(command.reject, reject);
      assert.deepEqual(ours(command), []);
      const pipeline = client.pipeline().get(`${PREFIX}off`);
      await pipeline.exec();
      assert.deepEqual(ours(pipeline), []);
    } finally {
      setTracer(tracer);
    }
    // Traced: the command keeps exactly the string keys it has when sent through the original.
    const traced = new R.Command('get', [`${PREFIX}on`]);
    const twin = new R.Command('get', [`${PREFIX}on`]);
    await Promise.all([client.sendCommand(traced), originalOf(R.prototype.sendCommand).call(client, twin)]);
    assert.deepEqual(Object.keys(traced).sort(), Object.keys(twin).sort());
    assert.deepEqual(ours(traced).map((s) => s.description), ['jaeger-auto:ioredis-command']);
    const pipeline = client.pipeline().get(`${PREFIX}on`);
    const twinPipeline = client.pipeline().get(`${PREFIX}on`);
    await Promise.all([pipeline.exec(), originalOf(R.Pipeline.prototype.exec).call(twinPipeline)]);
    assert.deepEqual(Object.keys(pipeline).sort(), Object.keys(twinPipeline).sort());
    assert.deepEqual(ours(pipeline).map((s) => s.description), ['jaeger-auto:ioredis-batch']);
    // runUntraced: marked as seen (a later pass never starts a span), but nothing started.
    const untraced = new R.Command('get', [`${PREFIX}untraced`]);
    const untracedResolve = untraced.resolve;
    await runUntraced(() => client.sendCommand(untraced));
    assert.equal(untraced.resolve, untracedResolve);
    assert.deepEqual(ours(untraced).map((s) => s.description), ['jaeger-auto:ioredis-command']);
    await reporter.waitFor((spans) => spans.length >= before + 2, 'the two traced spans');
    const mine = reporter.spans.slice(before);
    assert.deepEqual(mine.map((s) => s.operationName).sort(), ['redis GET', 'redis PIPELINE']);
    client.disconnect();
  });

  test(`ioredis@${version}: a real Redis Cluster: commands routed to the node get its peer tags, the caller as parent`, { timeout: 30_000 }, async (t: TestContext) => {
    const node = await startClusterNode(t);
    if (node === undefined) return;
    t.after(() => node.stop());
    const R = Redis();
    const parent = tracer.startSpan('cluster caller');
    const before = reporter.spans.length;
    const cluster = new R.Cluster([{ host: '127.0.0.1', port: node.port }]);
    const key = `{${PREFIX}}cluster`;
    const results = await activate(parent, async () => {
      // Issued at once: queued by the Cluster until its slots are known, then routed.
      const set = cluster.set(key, 'secret-cluster-value');
      const got = await new Promise((resolve, reject) => {
        cluster.get(key, (err: Error | null, value: unknown) => (err ? reject(err) : resolve(value)));
      });
      await set;
      const batch = await cluster.pipeline().get(key).del(key).exec();
      return [got, batch];
    });
    parent.finish();
    assert.deepEqual(results, ['secret-cluster-value', [[null, 'secret-cluster-value'], [null, 1]]]);
    await reporter.waitFor((spans) => spans.slice(before).some((s) => s.operationName === 'cluster caller'), 'the caller span');
    await settled(cluster.quit());
    const spans = reporter.spans.slice(before);
    const children = spans.filter((s) => s.spanContext.parentId === parent.spanContext.spanId);
    assert.deepEqual(children.map((s) => s.operationName).sort(), ['redis GET', 'redis PIPELINE', 'redis SET']);
    for (const s of children) {
      const tags = tagsOf(s);
      assert.equal(tags.component, 'ioredis');
      assert.equal(tags['db.type'], 'redis');
      assert.equal(tags.error, undefined, s.operationName);
      if (s.operationName !== 'redis PIPELINE') {
        assert.equal(tags['peer.port'], node.port, `${s.operationName} routed to the node`);
        assert.equal(tags['peer.hostname'], '127.0.0.1');
        assert.equal(tags['db.instance'], '0');
      }
    }
    assert.equal(tagsOf(children.find((s) => s.operationName === 'redis SET')!)['db.statement'], `SET ${key} ?`);
    assert.equal(tagsOf(children.find((s) => s.operationName === 'redis PIPELINE')!)['db.statement'], `GET ${key}\nDEL ${key}`);
    // The Cluster's own CLUSTER SLOTS / CLUSTER INFO and its connections' set-up made no span.
    const others = spans.filter((s) => s.spanContext.parentId !== parent.spanContext.spanId);
    assert.deepEqual(others.map((s) => s.operationName).filter((n) => n !== 'redis QUIT'), ['cluster caller']);
  });
}

interface ClusterNode { port: number; stop(): Promise<void> }

/** A one-node Redis Cluster (all slots on it) on a free loopback port, or undefined (test skipped). */
async function startClusterNode(t: TestContext): Promise<ClusterNode | undefined> {
  if (!(await needService(t, 'redis'))) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jaeger-auto-cluster-'));
  const port = await freePort();
  let server: ChildProcess;
  try {
    server = spawn('redis-server', [
      // announce-ip: CLUSTER SLOTS would name the node "" otherwise, which ioredis 4 cannot connect to.
      '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-announce-ip', '127.0.0.1',
      '--cluster-config-file', path.join(dir, 'nodes.conf'),
      '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let output = '';
      server.once('error', reject);
      server.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
      server.stdout!.on('data', (d) => {
        output += d;
        if (output.includes('Ready to accept connections')) resolve();
      });
    });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && process.env.CI !== 'true') {
      t.skip('redis-server is not on PATH');
      return undefined;
    }
    throw err;
  }
  // Also on a cancelled run, which may skip t.after: the node must not outlive this process.
  const killAtExit = () => {
    server.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killAtExit);
  const stop = async () => {
    process.off('exit', killAtExit);
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGKILL');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Plain RESP over a socket, so the set-up is nobody's span.
    await resp(port, ['CLUSTER', 'ADDSLOTS', ...Array.from({ length: 16384 }, (_, i) => String(i))]);
    const deadline = Date.now() + 10_000;
    while (!(await resp(port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok')) {
      if (Date.now() > deadline) throw new Error('the one-node cluster never reached cluster_state:ok');
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, stop };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Sends one command and resolves with the raw reply text (enough for +OK, -ERR and bulk strings). */
function resp(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.once('error', reject);
    socket.on('data', (d) => {
      reply += d;
      const header = /^([+\-:])(.*)\r\n|^\$(\d+)\r\n/.exec(reply);
      if (header === null) return;
      if (header[1] === '-') { socket.destroy(); reject(new Error(header[2])); return; }
      if (header[1] !== undefined || reply.length >= header[0].length + Number(header[3]) + 2) {
        socket.destroy();
        resolve(reply);
      }
    });
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}
