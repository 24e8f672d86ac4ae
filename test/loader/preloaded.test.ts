import assert from 'node:assert/strict';
import { test } from 'node:test';
import { warnPreloaded } from '../../src/loader/preloaded';
import { forgetFakes, recordingLogger, requireFake } from './support';

test('nothing loaded yet: no warning', () => {
  forgetFakes();
  const log = recordingLogger();
  assert.deepEqual(warnPreloaded(['fake-lib', '@fake/scoped', 'http'], log), []);
  assert.deepEqual(log.lines, []);
});

test('packages already in require.cache get one warning naming them and how to load us first', (t) => {
  t.after(forgetFakes);
  requireFake('fake-lib');
  requireFake('@fake/scoped');
  require('node:http');
  const log = recordingLogger();
  const found = warnPreloaded(['http', 'fake', 'fake-lib', 'fake-noversion', '@fake/scoped', 'fake-lib'], log);
  assert.deepEqual(found, ['fake-lib', '@fake/scoped'], 'core modules and name prefixes do not count');
  assert.equal(log.lines.length, 1);
  assert.equal(log.lines[0].level, 'warn');
  assert.match(log.lines[0].text, /^fake-lib, @fake\/scoped were loaded before jaeger-auto and may not be traced/);
  assert.match(log.lines[0].text, /node -r jaeger-auto\/register/);
  assert.match(log.lines[0].text, /NODE_OPTIONS/);
});
