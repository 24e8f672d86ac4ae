// npm run bench:esm-startup — what the ES module hook adds to an ES module app's start-up.
// Generates, in a temporary folder, an app of BENCH_MODULES (300) local .mjs files (a binary tree of
// imports) that also imports node:http, pg and redis (the newest test/versions installs), and times
// spawn → its "ready" line (the end of the main module's top level) for: plain node, --import
// jaeger-auto/register, -r jaeger-auto/register; plus a pass-through loader (what any import hook
// costs on that Node) and the same app written as CommonJS, plain and under -r (the preload's cost
// without an import hook). Variants alternate within each of BENCH_ROUNDS (15) rounds; medians. On a
// loaded machine the figures are rough: compare the differences, not the ms.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './configs';
import { syncHooksUsable } from '../src/loader/esm';
import { median } from './common';

const MODULES = Number(process.env.BENCH_MODULES ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
// Another Node binary to measure (e.g. one test/matrix/install.js cached); default: this one.
const NODE = process.env.BENCH_NODE || process.execPath;

function newestInstall(pkg: string, id: string = pkg): string {
  const spec = JSON.parse(fs.readFileSync(path.join(REPO, 'test/versions', `${id}.json`), 'utf8')) as { versions: string[] };
  return fs.realpathSync(path.join(REPO, 'test/versions', `${pkg}@${spec.versions[spec.versions.length - 1]}`, 'node_modules', pkg));
}

/** Whether the measured Node gets the in-thread loader (src/loader/esm.ts decides the same way). */
function syncHooksUsableFor(): boolean {
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  const version = execFileSync(NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
  return syncHooksUsable(version);
}

function generateApp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jaeger-esm-bench-'));
  const nm = path.join(dir, 'node_modules');
  fs.mkdirSync(nm);
  fs.symlinkSync(REPO, path.join(nm, 'jaeger-auto'), 'dir');
  fs.symlinkSync(newestInstall('pg'), path.join(nm, 'pg'), 'dir');
  fs.symlinkSync(newestInstall('redis'), path.join(nm, 'redis'), 'dir');
  for (let i = 0; i < MODULES; i++) {
    const kids = [2 * i + 1, 2 * i + 2].filter((k) => k < MODULES);
    const lines = kids.map((k) => `import { f${k} } from './m${k}.mjs';`);
    lines.push(`export function f${i}(x) { return x + ${i}${kids.map((k) => ` + f${k}(x)`).join('')}; }`);
    fs.writeFileSync(path.join(dir, `m${i}.mjs`), `${lines.join('\n')}\n`);
    // The CommonJS twin: what the preload costs without any import hook, for reference.
    const cjs = kids.map((k) => `const { f${k} } = require('./c${k}.cjs');`);
    cjs.push(`exports.f${i} = function f${i}(x) { return x + ${i}${kids.map((k) => ` + f${k}(x)`).join('')}; };`);
    fs.writeFileSync(path.join(dir, `c${i}.cjs`), `${cjs.join('\n')}\n`);
  }
  fs.writeFileSync(path.join(dir, 'app.cjs'), [
    "const http = require('node:http');",
    "const pg = require('pg');",
    "const { createClient } = require('redis');",
    "const { f0 } = require('./c0.cjs');",
    'if (typeof http.request !== "function" || typeof pg.Client !== "function" || typeof createClient !== "function") process.exit(1);',
    'process.stdout.write(`ready ${f0(1)}\\n`);',
  ].join('\n'));
  // The floor: a loader that passes everything through, registered the way ours is on this Node
  // (in-thread registerHooks where IITM's synchronous loader works, else module.register): what any
  // import hook costs here, before import-in-the-middle or jaeger-auto do anything.
  fs.writeFileSync(path.join(dir, 'noop-hooks.mjs'), [
    'export async function resolve(s, c, next) { return next(s, c); }',
    'export async function load(u, c, next) { return next(u, c); }',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'floor.mjs'), [
    "import module from 'node:module';",
    `if (${JSON.stringify(syncHooksUsableFor())}) module.registerHooks({ resolve: (s, c, next) => next(s, c), load: (u, c, next) => next(u, c) });`,
    "else module.register('./noop-hooks.mjs', import.meta.url);",
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'app.mjs'), [
    "import http from 'node:http';",
    "import pg from 'pg';",
    "import { createClient } from 'redis';",
    "import { f0 } from './m0.mjs';",
    'if (typeof http.request !== "function" || typeof pg.Client !== "function" || typeof createClient !== "function") process.exit(1);',
    'process.stdout.write(`ready ${f0(1)}\\n`);',
  ].join('\n'));
  return dir;
}

const VARIANTS: Array<{ name: string; flags: string[]; app: string; base: string }> = [
  { name: 'plain', flags: [], app: 'app.mjs', base: 'plain' },
  { name: 'floor', flags: ['--import', './floor.mjs'], app: 'app.mjs', base: 'plain' },
  { name: '--import', flags: ['--import', 'jaeger-auto/register'], app: 'app.mjs', base: 'plain' },
  { name: '-r', flags: ['-r', 'jaeger-auto/register'], app: 'app.mjs', base: 'plain' },
  { name: 'cjs plain', flags: [], app: 'app.cjs', base: 'cjs plain' },
  { name: 'cjs -r', flags: ['-r', 'jaeger-auto/register'], app: 'app.cjs', base: 'cjs plain' },
];

/** ms from spawn to the app's "ready" line. */
function startOnce(dir: string, flags: string[], app: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(NODE, [...flags, app], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', JAEGER_SERVICE_NAME: 'esm-bench', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: '9' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let done = false;
    child.stdout.on('data', (d) => {
      out += d;
      if (!done && out.includes('ready')) {
        done = true;
        resolve(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => {
      if (!done) reject(new Error(`app exited ${code} before ready: ${err}`));
    });
  });
}

async function main(): Promise<void> {
  const dir = generateApp();
  try {
    const times = new Map<string, number[]>(VARIANTS.map((v) => [v.name, []]));
    for (const v of VARIANTS) await startOnce(dir, v.flags, v.app); // warm the file cache
    for (let r = 0; r < ROUNDS; r++) {
      // Rotate the order each round so no variant always runs first on a busy machine.
      for (let i = 0; i < VARIANTS.length; i++) {
        const v = VARIANTS[(i + r) % VARIANTS.length];
        times.get(v.name)!.push(await startOnce(dir, v.flags, v.app));
      }
    }
    const med = (name: string) => median(times.get(name)!);
    console.log(`bench:esm-startup — ${NODE}, an ESM app of ${MODULES} local modules + node:http, pg, redis; `
      + `spawn → end of the main module's top level, ${ROUNDS} interleaved rounds, medians; `
      + `floor = a pass-through loader registered as ours is (${syncHooksUsableFor() ? 'in-thread registerHooks' : 'module.register, off-thread'})`);
    for (const v of VARIANTS) {
      const xs = times.get(v.name)!;
      const m = median(xs);
      const base = med(v.base);
      const extra = v.name === v.base ? '' : `   +${(m - base).toFixed(1)} ms, ×${(m / base).toFixed(2)}`;
      console.log(`  ${v.name.padEnd(10)} ${m.toFixed(1).padStart(7)} ms  (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})${extra}`);
    }
    // What the import hook adds over the preload's CommonJS cost for the same code.
    const cjsCost = med('cjs -r') - med('cjs plain');
    console.log(`  the import hook's own share: --import ${(med('--import') - med('plain') - cjsCost).toFixed(1)} ms, `
      + `-r ${(med('-r') - med('plain') - cjsCost).toFixed(1)} ms (each minus cjs -r's +${cjsCost.toFixed(1)} ms)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
