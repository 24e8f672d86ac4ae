// The Node version matrix: for each binary test/matrix/install.js put in its cache (every major of
// test/matrix/versions.json but the machine's own, on which the whole suite runs), a smoke run of
// `<bin> -r register.js -e ...`, then every end-to-end loader test file (dist/test/loader-e2e/
// *.test.js, CommonJS and ES modules alike, found by listing the folder) run by this Node's test
// runner with JAEGER_TEST_NODE=<bin>: the test code stays on this Node, the fixtures under the
// preload run on the other one. A binary missing from the cache fails in CI and is skipped elsewhere.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { FakeAgent } from '../helpers/fake-agent';
import { REGISTER, ROOT, runCommand } from '../helpers/run-fixture';
import { tagMap } from '../helpers/thrift-decode';

interface Installer {
  binaryPath(version: string): string;
  cacheDir(): string;
  selectedVersions(): string[];
  packageName(): string | undefined;
}
// Plain JS outside dist (it runs before the build, from `pretest`).
const installer = require(path.join(ROOT, 'test/matrix/install.js')) as Installer;

const E2E_DIR = path.join(ROOT, 'dist/test/loader-e2e');
/** Majors run two at a time: the fixtures are small and the machine may have two cores only. */
const CONCURRENCY = 2;

function e2eFiles(): string[] {
  return fs.readdirSync(E2E_DIR).filter((f) => f.endsWith('.test.js')).sort().map((f) => path.join(E2E_DIR, f));
}

/** The cached binary for `version` when it runs and is that version. */
function installed(version: string): string | undefined {
  const bin = installer.binaryPath(version);
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 && r.stdout.trim() === `v${version}` ? bin : undefined;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number) {
  return runCommand(file, args, { env, timeoutMs });
}

// The smoke: a server span and a client span under the preload, nothing else. Node prints any
// deprecation we trigger (url.parse, Buffer(), ...) on stderr; --pending-deprecation adds the ones
// Node only announces so far.
const SMOKE = `
const http = require('http');
const server = http.createServer((req, res) => res.end('smoke')).listen(0, '127.0.0.1', () => {
  http.get({ host: '127.0.0.1', port: server.address().port, path: '/smoke' }, (res) => {
    res.resume();
    res.on('end', () => server.close());
  });
});`;

async function smoke(bin: string, version: string): Promise<void> {
  const agent = await FakeAgent.start();
  try {
    const r = await run(bin, ['--pending-deprecation', '-r', REGISTER, '-e', SMOKE], {
      PATH: process.env.PATH ?? '', JAEGER_SERVICE_NAME: `matrix-smoke-${version}`, JAEGER_SAMPLER_TYPE: 'const',
      JAEGER_SAMPLER_PARAM: '1', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
    }, 30_000);
    assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`);
    assert.equal(r.stderr, '', 'no warning on stderr');
    // The tracer flushes at exit, so both spans are on their way once the process is gone.
    await agent.waitForSpans(2, 10_000);
    assert.deepEqual(agent.errors, []);
    assert.deepEqual(agent.spans.map((s) => tagMap(s.tags)['span.kind']).sort(), ['client', 'server']);
    const [a, b] = agent.spans;
    assert.equal(a.traceIdLow, b.traceIdLow, 'one trace');
  } finally {
    await agent.close();
  }
}

async function e2e(t: TestContext, bin: string, version: string, file: string): Promise<void> {
  // Without NODE_TEST_CONTEXT (set for us by our own runner) the child reports in plain TAP.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const r = await run(process.execPath, ['--test', '--test-reporter=tap', file], {
    ...env, JAEGER_TEST_NODE: bin, JAEGER_TEST_NODE_VERSION: version,
  }, 120_000);
  // The file's own TAP output names the failing assertion; it is the whole point of a failure here.
  assert.equal(r.code, 0, `node --test ${path.relative(ROOT, file)} with JAEGER_TEST_NODE=${bin}:\n${r.stdout}\n${r.stderr}`);
  const count = (what: string) => Number(new RegExp(`^# ${what} (\\d+)`, 'm').exec(r.stdout)?.[1] ?? 0);
  // Outside CI a file skips when a server is down (it names it); in CI that fails inside the file.
  if (count('pass') === 0 && count('skipped') > 0) {
    t.skip(`skipped by the file: ${r.stdout.split('\n').filter((l) => / # SKIP/.test(l)).join('; ')}`);
    return;
  }
  assert.ok(count('pass') > 0, `no test passed:\n${r.stdout}`);
}

function versionTest(t: TestContext, version: string): Promise<void> {
  return t.test(`Node ${version}`, async (t2) => {
    const bin = installed(version);
    if (bin === undefined) {
      const message = `${installer.packageName() ?? 'no package'}@${version} is not in ${installer.cacheDir()} (node test/matrix/install.js installs it)`;
      if (process.env.CI === 'true') assert.fail(message);
      t2.skip(message);
      return;
    }
    await t2.test('smoke: -r register.js -e, spans, exit 0, nothing on stderr', () => smoke(bin, version));
    for (const file of e2eFiles()) await t2.test(path.basename(file, '.test.js'), (t3) => e2e(t3, bin, version, file));
  });
}

test('the matrix covers every major from the engines floor to 26, the floor itself included', () => {
  const list = (JSON.parse(fs.readFileSync(path.join(ROOT, 'test/matrix/versions.json'), 'utf8')) as { versions: string[] }).versions;
  const engines = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  const floor = /^>=(\d+)\.(\d+)$/.exec(engines);
  assert.ok(floor, `engines.node ${engines}`);
  assert.ok(list.includes(`${floor[1]}.${floor[2]}.0`), `the floor ${floor[1]}.${floor[2]}.0 is tested`);
  const majors = [...new Set(list.map((v) => Number(v.split('.')[0])))];
  assert.deepEqual(majors, Array.from({ length: 26 - Number(floor[1]) + 1 }, (_, i) => Number(floor[1]) + i));
});

test('JAEGER_NODE_MATRIX picks the majors; the machine\'s own major is never in the matrix', () => {
  const saved = process.env.JAEGER_NODE_MATRIX;
  const own = process.versions.node.split('.')[0];
  try {
    delete process.env.JAEGER_NODE_MATRIX;
    const all = installer.selectedVersions();
    assert.ok(all.length >= 8, all.join());
    assert.ok(all.every((v) => v.split('.')[0] !== own), all.join());
    process.env.JAEGER_NODE_MATRIX = 'off';
    assert.deepEqual(installer.selectedVersions(), []);
    process.env.JAEGER_NODE_MATRIX = `18, 24,${own}`;
    assert.deepEqual(installer.selectedVersions().map((v) => v.split('.')[0]), all.map((v) => v.split('.')[0]).filter((m) => m === '18' || m === '24'));
  } finally {
    if (saved === undefined) delete process.env.JAEGER_NODE_MATRIX;
    else process.env.JAEGER_NODE_MATRIX = saved;
  }
});

test('Node matrix: the end-to-end loader tests on every other supported major', { concurrency: CONCURRENCY }, async (t) => {
  const versions = installer.selectedVersions();
  if (versions.length === 0) {
    t.skip('JAEGER_NODE_MATRIX=off, or only the machine\'s major selected');
    return;
  }
  assert.ok(e2eFiles().length > 0, `end-to-end test files in ${E2E_DIR}`);
  await Promise.all(versions.map((v) => versionTest(t, v)));
});
