// Our own reporting traffic is never traced: a tracer that POSTs its batches to a collector over
// http, with http patched, reports the app's spans and not one span of its own POSTs.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { runUntraced } from '../../src/context/scope-manager';
import { HttpSender } from '../../src/senders/http';
import { RemoteReporter } from '../../src/reporters/remote';
import { FakeCollector } from '../helpers/fake-agent';
import { tagMap } from '../helpers/thrift-decode';
import { kindOf, listen, setUpTracing, tagsOf } from './http-harness';

test('the HTTP sender\'s POSTs to the collector create no client span', async () => {
  // Started untraced: its sockets inherit that, so the collector's own server side is quiet too
  // and only the sender's client side is under test.
  const collector = await runUntraced(() => FakeCollector.start());
  const remote = new RemoteReporter(new HttpSender({ endpoint: collector.url }), { flushIntervalMs: 10 });
  const { tracer, reporter, unpatch } = setUpTracing({ remote });
  const app = await listen((_req, res) => res.end('app'));
  after(async () => {
    await app.close();
    await collector.close();
    unpatch();
  });

  for (let round = 0; round < 3; round++) {
    const parent = tracer.startSpan(`work-${round}`);
    await tracer.activate(parent, () => new Promise<void>((resolve, reject) => {
      http.get(`http://127.0.0.1:${app.port}/app`, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
    }));
    parent.finish();
    // Each round's spans go out in their own POST before the next round starts.
    await collector.waitFor((c) => c.spans.some((s) => s.operationName === `work-${round}`), 5000, `round ${round}`);
  }
  await tracer.close();
  assert.ok(collector.requests >= 3, `${collector.requests} POSTs`);
  const toCollector = (url: unknown) => typeof url === 'string' && url.includes(`:${collector.port}/`);
  assert.deepEqual(collector.spans.filter((s) => toCollector(tagMap(s.tags)['http.url'])), []);
  assert.deepEqual(reporter.spans.filter((s) => toCollector(tagsOf(s)['http.url'])).map((s) => s.operationName), []);
  // What did arrive: per round the parent, its client span and the app's server span.
  assert.equal(collector.spans.length, 9);
  assert.equal(reporter.spans.filter((s) => kindOf(s) === 'client').length, 3);
  assert.equal(collector.errors.length, 0);
});
