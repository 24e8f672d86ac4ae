// Privacy by default against real servers: test/fixtures/privacy-db-app.js runs the SQL corpus, secret
// bound values, value-echoing errors and secret-carrying redis commands through pg, mysql2,
// node-redis and ioredis under `node -r ./register.js`, reporting to a fake agent. No secret may
// appear in any decoded operation name, tag or log field; parameterized SQL text is kept; the app
// still sees the drivers' error messages intact.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture } from '../helpers/run-fixture';
import { tagMap } from '../helpers/thrift-decode';
import { leaks } from '../helpers/privacy';
import { needService } from '../helpers/services';
import { versionDir } from '../helpers/versions';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

test('no literal, bound value, echoed value or redis argument reaches a span', async (t) => {
  for (const s of ['postgres', 'mysql', 'redis'] as const) if (!(await needService(t, s))) return;
  const args = [versionDir('pg', '8.23.1'), versionDir('mysql2', '3.24.6'), versionDir('redis', '5.12.1'), versionDir('ioredis', '5.11.1')];
  const r = await runFixture('privacy-db-app.js', {
    args,
    env: {
      JAEGER_SERVICE_NAME: 'privacy-db', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
      JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
    },
    timeoutMs: 30_000,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^done$/m);
  assert.deepEqual(r.stdout.split('\n').filter((l) => l.startsWith('fail ') || l.startsWith('no-error ')), [], 'every corpus statement ran');
  // The app's error objects are the drivers' own: their messages still carry the values.
  const saw = r.stdout.split('\n').filter((l) => l.startsWith('app-saw '));
  assert.ok(saw.some((l) => l.startsWith('app-saw pg-bad-int-param') && l.includes('notint-sekret-p3')), saw.join('\n'));
  assert.ok(saw.some((l) => l.startsWith('app-saw mysql-duplicate ') && l.includes('dup-sekret-m2@x.y')), saw.join('\n'));

  await agent.waitFor((a) => a.spans.some((s) => s.operationName === 'privacy-done'), 10_000, 'the last span');
  assert.deepEqual(agent.errors, []);
  const spans = agent.spans;
  assert.deepEqual(leaks(spans, /sekret/i), [], 'secrets in spans');
  // Numbers of the corpus, which the word "sekret" does not mark.
  const statements = spans.map((s) => String(tagMap(s.tags)['db.statement'] ?? '')).filter((s) => s !== '');
  for (const n of ['7654321', '31415', '8675309', '0221', 'C0FFEE', 'DEADBEEF', '1011011101', '162342', '55555', '8080808', '42424', '271828', '654321', '90210', '8765432']) {
    assert.ok(!statements.some((s) => s.includes(n)), `${n} in a db.statement`);
  }
  // The error logs are there, with the names kept.
  const messages = spans.flatMap((s) => (s.logs ?? []).flatMap((l) => l.fields.filter((f) => f.key === 'message').map((f) => String(f.vStr))));
  assert.ok(messages.some((m) => m.includes('invalid input syntax for type integer: "?"')), messages.join('\n'));
  assert.ok(messages.some((m) => /Duplicate entry '\?' for key '(t\.)?name'/.test(m)), messages.join('\n'));
  assert.ok(messages.some((m) => m.includes('duplicate key value violates unique constraint "t_name_key"')), messages.join('\n'));
  // Parameterized text is kept as written.
  assert.ok(statements.includes('SELECT * FROM t WHERE name = $1 AND id = $2'));
  assert.ok(statements.includes('SELECT * FROM t WHERE name = ? AND id = ?'));
  // Redis: the commands and keys, never the values.
  for (const want of ['SET privacy:k ?', 'HSET privacy:h ? ?', 'AUTH ?', 'CONFIG ? ? ? ?', 'EVAL ? 1 privacy:k ?', 'SET privacy:ik ?', 'EVAL ? 1 privacy:ik ?']) {
    assert.ok(statements.includes(want), `${want} in ${JSON.stringify(statements.filter((s) => !s.includes(' t')))}`);
  }
  const sqlSpans = spans.filter((s) => tagMap(s.tags)['db.type'] === 'sql');
  assert.ok(sqlSpans.length >= 60, `${sqlSpans.length} sql spans`);
});
