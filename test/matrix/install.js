#!/usr/bin/env node
// Installs the Node binaries of the version matrix (test/matrix/versions.json) for
// test/matrix/matrix.test.ts. Each comes from the npm registry as node-<platform>-<arch>@<version>
// (fetched with `npm pack`, so npm's own registry settings, proxy and auth apply); only its bin/node
// is kept, in a cache outside the clone keyed by exact version:
//   $JAEGER_NODE_MATRIX_CACHE or ~/.cache/jaeger-auto/node-matrix/<version>/bin/node
// A binary already there and answering `--version` correctly is left alone, so a second run costs
// nothing. The machine's own major is skipped (the whole suite runs on it).
// JAEGER_NODE_MATRIX=off installs nothing; JAEGER_NODE_MATRIX=18,24 only those majors.
// Outside CI a version that cannot be installed is skipped with a message; in CI (CI=true) it fails.
// Kept plain CommonJS with no dependency: it runs before `npm run build`, on any Node.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFile } = require('child_process');

const CONCURRENCY = 3;
const inCI = process.env.CI === 'true';

function cacheDir() {
  return process.env.JAEGER_NODE_MATRIX_CACHE || path.join(os.homedir(), '.cache', 'jaeger-auto', 'node-matrix');
}

/** The registry package shipping Node for this machine, or undefined where none is published. */
function packageName() {
  const platform = { linux: 'linux', darwin: 'darwin' }[process.platform];
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
  return platform && arch ? `node-${platform}-${arch}` : undefined;
}

/** The versions to run on: the list, minus the machine's major, filtered by JAEGER_NODE_MATRIX. */
function selectedVersions() {
  const list = JSON.parse(fs.readFileSync(path.join(__dirname, 'versions.json'), 'utf8')).versions;
  const setting = (process.env.JAEGER_NODE_MATRIX || '').trim();
  if (setting === 'off') return [];
  const majors = setting === '' ? undefined : new Set(setting.split(',').map((s) => s.trim()));
  const own = process.versions.node.split('.')[0];
  return list.filter((v) => v.split('.')[0] !== own && (majors === undefined || majors.has(v.split('.')[0])));
}

function binaryPath(version) {
  return path.join(cacheDir(), version, 'bin', 'node');
}

function exec(file, args, options = {}) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 16 * 1024 * 1024, timeout: 300_000, ...options }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr: String(stderr) }));
      else resolve(String(stdout));
    });
  });
}

/** Resolves true when `bin` exists and says it is `version`. */
async function works(bin, version) {
  try {
    return (await exec(bin, ['--version'], { timeout: 30_000 })).trim() === `v${version}`;
  } catch {
    return false;
  }
}

async function install(pkg, version) {
  const target = path.join(cacheDir(), version);
  // Built in a sibling folder and renamed into place: an interrupted run never leaves a half binary
  // where the next run would take it for a finished one.
  const work = fs.mkdtempSync(path.join(cacheDir(), `.${version}-`));
  try {
    const out = await exec('npm', ['pack', `${pkg}@${version}`, '--loglevel=error', '--pack-destination', work], { cwd: work });
    const tarball = path.join(work, out.trim().split('\n').pop());
    const size = fs.statSync(tarball).size;
    // The package ships the whole distribution; only package/bin/node is kept.
    await exec('tar', ['-xzf', tarball, '-C', work, '--strip-components=1', 'package/bin/node']);
    fs.rmSync(tarball);
    if (!(await works(path.join(work, 'bin', 'node'), version))) throw new Error(`${pkg}@${version}: bin/node does not run or is not v${version}`);
    fs.chmodSync(work, 0o755); // mkdtemp made it private; the cache may be shared
    fs.rmSync(target, { recursive: true, force: true });
    try {
      fs.renameSync(work, target);
    } catch (err) {
      // Another run (a parallel CI job sharing the cache) put it there first: theirs is as good.
      if (!(await works(path.join(target, 'bin', 'node'), version))) throw err;
      fs.rmSync(work, { recursive: true, force: true });
    }
    return size;
  } catch (err) {
    fs.rmSync(work, { recursive: true, force: true });
    throw err;
  }
}

async function main() {
  const versions = selectedVersions();
  if (versions.length === 0) return;
  const pkg = packageName();
  if (pkg === undefined) {
    const message = `node matrix: no Node binaries are published for ${process.platform}-${process.arch}; the matrix is skipped`;
    if (inCI) throw new Error(message);
    process.stdout.write(`${message}\n`);
    return;
  }
  const missing = [];
  for (const v of versions) if (!(await works(binaryPath(v), v))) missing.push(v);
  if (missing.length === 0) return;
  fs.mkdirSync(cacheDir(), { recursive: true });
  process.stdout.write(`node matrix: installing ${missing.map((v) => `${pkg}@${v}`).join(', ')} into ${cacheDir()}\n`);
  const started = Date.now();
  let bytes = 0;
  const failures = [];
  const queue = missing.slice();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (let v = queue.shift(); v !== undefined; v = queue.shift()) {
      try {
        const size = await install(pkg, v);
        bytes += size;
      } catch (err) {
        failures.push(`node matrix: ${pkg}@${v} could not be installed: ${String(err.stderr || err.message).trim()}`);
      }
    }
  }));
  process.stdout.write(`node matrix: ${missing.length - failures.length} installed, ${(bytes / 1e6).toFixed(0)} MB downloaded in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  if (failures.length > 0) {
    // Outside CI a missing major is skipped by the matrix suite (it says which); CI must run them all.
    process.stderr.write(failures.join('\n') + (inCI ? '\n' : '\nnode matrix: the matrix skips these versions\n'));
    if (inCI) process.exit(1);
  }
}

module.exports = { binaryPath, cacheDir, selectedVersions, packageName };

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exit(1);
  });
}
