// The soak runner itself, on its shortest scenario (10,000 spans in a second over UDP and a 200 KB
// tag): it runs the app under the preload, prints the table and exits 0 when every check passes.
// The long scenarios run only with `npm run test:soak`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../helpers/run-fixture';

test('npm run test:soak: scenario 4 prints its rows and passes', async () => {
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [path.join(ROOT, 'dist/test/soak/run.js'), '4'], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
    child.stdin?.end();
  });
  assert.match(stdout, /^\| scenario +\| check +\| measured +\| target +\| result \|$/m);
  for (const check of ['largest datagram', 'received + dropped', 'accounting identity', '200 KB tag: normal spans received']) {
    const escaped = check.replace(/[+.*?()[\]]/g, '\\$&');
    assert.match(stdout, new RegExp(`\\| 4 UDP flood +\\| ${escaped}[^\\n]*\\| pass +\\|`), `${check}:\n${stdout}`);
  }
  assert.doesNotMatch(stdout, /FAIL/);
  assert.match(stdout, /\d+ passed, 0 failed/);
  assert.equal(code, 0, stderr);
});
