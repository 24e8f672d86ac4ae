// NODE_OPTIONS="-r jaeger-auto/register" reaches the package manager too (`npm start`): its own
// process, and its worker threads, are not traced (no hook, no tracer, no socket); the app it
// launches is a child process with the same NODE_OPTIONS, and is traced. Real npm, npx and
// corepack from this machine; yarn and pnpm (which corepack would download) through a stand-in
// script placed where corepack and projects keep them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeAgent } from '../helpers/fake-agent';
import { FIXTURES, REGISTER, ROOT, runCommand } from '../helpers/run-fixture';
import { tagMap } from '../helpers/thrift-decode';
import { packageManagerOf } from '../../src/process-guard';
import { agentEnv, drainAgent } from './env';

let agent: FakeAgent;
let tmp: string;
before(async () => {
  agent = await FakeAgent.start();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jaeger-auto-pm-'));
});
after(async () => {
  await agent.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const APP = path.join(FIXTURES, 'proc-pm-app.js');

/** Runs a command as a shell would (PATH lookup, shebang), under NODE_OPTIONS=-r register.js. */
function run(command: string, args: string[], env: Record<string, string>, cwd = tmp) {
  return runCommand(command, args, {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: tmp,
      // npm stays offline: no update check, its cache in the temp dir.
      npm_config_update_notifier: 'false',
      npm_config_cache: path.join(tmp, 'npm-cache'),
      NODE_OPTIONS: `-r ${REGISTER}`,
      JAEGER_LOG_LEVEL: 'debug',
      ...env,
    },
  });
}

const count = (text: string, re: RegExp): number => text.match(new RegExp(re.source, 'gm'))?.length ?? 0;

/** The client-uuids of the batches that carry spans of `via`. */
function uuidsOf(via: string): Set<unknown> {
  return new Set(agent.batches
    .filter(({ batch }) => batch.spans.some((s) => tagMap(s.tags).via === via))
    .map(({ batch }) => tagMap(batch.process.tags)['client-uuid']));
}

test('the package manager is recognised by its script, bin links resolved; an app named like one is not', () => {
  const links: Record<string, string> = {
    '/usr/bin/npm': '/usr/lib/node_modules/npm/bin/npm-cli.js',
    '/usr/bin/npx': '/usr/lib/node_modules/npm/bin/npx-cli.js',
    '/usr/bin/corepack': '/usr/lib/node_modules/corepack/dist/corepack.js',
    '/usr/bin/yarn': '/usr/lib/node_modules/corepack/dist/yarn.js', // corepack enable's shims
    '/usr/bin/pnpm': '/usr/lib/node_modules/corepack/dist/pnpm.js',
    '/proj/node_modules/.bin/pnpm': '/proj/node_modules/pnpm/bin/pnpm.cjs',
  };
  const realpath = (p: string): string => {
    if (p in links) return links[p];
    if (p.startsWith('/missing/')) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return p;
  };
  const cases: [string | undefined, string | undefined][] = [
    ['/usr/bin/npm', 'npm'],
    ['/usr/bin/npx', 'npx'],
    ['/usr/bin/corepack', 'corepack'],
    ['/usr/bin/yarn', 'yarn'],
    ['/usr/bin/pnpm', 'pnpm'],
    ['/proj/node_modules/.bin/pnpm', 'pnpm'],
    ['/home/u/.nvm/versions/node/v20.20.2/lib/node_modules/npm/bin/npm-cli.js', 'npm'],
    ['/home/u/.cache/node/corepack/v1/yarn/1.22.22/bin/yarn.js', 'yarn'],
    ['/home/u/.cache/node/corepack/v1/yarn/4.5.0/yarn.js', 'yarn'],
    ['/home/u/.cache/node/corepack/v1/pnpm/9.15.0/bin/pnpm.cjs', 'pnpm'],
    ['/home/u/.cache/node/corepack/v1/pnpm/9.15.0/bin/pnpx.cjs', 'pnpx'],
    ['/proj/.yarn/releases/yarn-4.1.0.cjs', 'yarn'],
    ['C:\\Program Files\\nodejs\\node_modules\\npm\\bin\\npm-cli.js', 'npm'],
    ['/missing/npm/bin/npm-cli.js', 'npm'], // realpath failed: the path as given
    // Apps:
    ['/srv/app/server.js', undefined],
    ['/srv/app/yarn.js', undefined],
    ['/srv/npm/app.js', undefined],
    ['/srv/tools/npm-cli.js', undefined],
    ['', undefined],
    [undefined, undefined], // node -e, the REPL
  ];
  for (const [script, expected] of cases) assert.equal(packageManagerOf(script, realpath), expected, String(script));
});

test('npm run start: npm itself is not traced, the app it starts is', async () => {
  fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({
    name: 'pm-test', version: '1.0.0', private: true, scripts: { start: `node ${JSON.stringify(APP)} npm-run` },
  }));
  const r = await run('npm', ['run', 'start', '--silent'], agentEnv(agent));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'app npm-run: span traced\n');
  assert.equal(count(r.stderr, /^jaeger-auto debug: not tracing: package manager npm$/), 1, r.stderr);
  assert.equal(count(r.stderr, /^jaeger-auto info: tracing /), 1, r.stderr); // one tracer: the app's
  await agent.waitFor(() => uuidsOf('npm-run').size === 1, 5000, 'the app\'s span');
});

test('npx -c "node app.js": npx is not traced, the command it runs is', async () => {
  const r = await run('npx', ['-c', `node ${JSON.stringify(APP)} npx`], agentEnv(agent));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'app npx: span traced\n');
  assert.equal(count(r.stderr, /^jaeger-auto debug: not tracing: package manager npx$/), 1, r.stderr);
  assert.equal(count(r.stderr, /^jaeger-auto info: tracing /), 1, r.stderr);
  await agent.waitFor(() => uuidsOf('npx').size === 1, 5000, 'the app\'s span');
});

test('corepack (which runs yarn and pnpm in its own process) is not traced', async () => {
  const r = await run('corepack', ['--version'], agentEnv(agent));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
  assert.equal(r.stderr, 'jaeger-auto debug: not tracing: package manager corepack\n');
});

// Where a real yarn or pnpm lives once corepack has fetched it, or where a project keeps its own.
const STAND_INS: [string, string][] = [
  ['corepack/v1/pnpm/9.15.0/bin/pnpm.cjs', 'pnpm'],
  ['corepack/v1/yarn/1.22.22/bin/yarn.js', 'yarn'],
  ['proj/.yarn/releases/yarn-4.1.0.cjs', 'yarn'],
];
for (const [where, tool] of STAND_INS) {
  test(`${tool} at …/${where}: neither it nor its worker thread is traced; the app it starts is`, async () => {
    const script = path.join(tmp, where);
    fs.mkdirSync(path.dirname(script), { recursive: true });
    fs.copyFileSync(path.join(FIXTURES, 'proc-pm-fake.js'), script);
    const via = `stand-in ${where}`;
    const r = await run(process.execPath, [script, APP, via], agentEnv(agent, {
      PROC_PM_OPENTRACING: require.resolve('opentracing', { paths: [ROOT] }),
    }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `pm: span no-op\npm worker: span no-op\napp ${via}: span traced\n`);
    assert.match(r.stderr, new RegExp(`^jaeger-auto debug: not tracing: package manager ${tool}$`, 'm'));
    assert.match(r.stderr, new RegExp(`^jaeger-auto debug: not tracing: package manager ${tool} \\(worker thread \\d+\\)$`, 'm'));
    assert.equal(count(r.stderr, /^jaeger-auto info: tracing /), 1, r.stderr);
    await agent.waitFor(() => uuidsOf(via).size === 1, 5000, 'the app\'s span');
  });
}

test('the same stand-in as an app\'s own file (…/app/yarn.js) is an app: traced, its worker too', async () => {
  const script = path.join(tmp, 'app', 'yarn.js');
  fs.mkdirSync(path.dirname(script), { recursive: true });
  fs.copyFileSync(path.join(FIXTURES, 'proc-pm-fake.js'), script);
  const r = await run(process.execPath, [script, APP, 'own-yarn-js'], agentEnv(agent, {
    PROC_PM_OPENTRACING: require.resolve('opentracing', { paths: [ROOT] }),
  }));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'pm: span traced\npm worker: span traced\napp own-yarn-js: span traced\n');
  assert.equal(count(r.stderr, /not tracing/), 0, r.stderr);
  await drainAgent(agent);
});
