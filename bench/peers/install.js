#!/usr/bin/env node
// Installs the other tracers that `npm run bench:peers` compares into bench/peers/node_modules,
// apart from jaeger-auto's own dependencies so they can never leak into its tests. Skips the
// install when every pinned version is already there. Install scripts are skipped: the agents'
// native parts ship prebuilt inside their packages, and nothing may be fetched from elsewhere.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

function missing() {
  const wanted = require('./package.json').dependencies;
  return Object.keys(wanted).filter((name) => {
    try {
      const file = path.join(__dirname, 'node_modules', name, 'package.json');
      return JSON.parse(fs.readFileSync(file, 'utf8')).version !== wanted[name];
    } catch {
      return true;
    }
  });
}

function install() {
  const todo = missing();
  if (todo.length === 0) return 0;
  process.stderr.write(`bench/peers: installing ${todo.join(', ')} ...\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['install', '--prefix', __dirname, '--no-audit', '--no-fund',
    '--no-package-lock', '--ignore-scripts', '--loglevel=error'], { stdio: 'inherit' });
  if (r.status !== 0) return r.status || 1;
  const still = missing();
  if (still.length) {
    process.stderr.write(`bench/peers: still missing after install: ${still.join(', ')}\n`);
    return 1;
  }
  return 0;
}

module.exports = { install, missing };
if (require.main === module) process.exitCode = install();
