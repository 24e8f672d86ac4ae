// The tracer side of the wire tests: a real JaegerTracer with a RemoteReporter over the sender
// under test, and one scenario exercising every field the Thrift model carries.

import * as opentracing from 'opentracing';
import { JaegerTracer } from '../../src/tracer/tracer';
import type { JaegerSpan } from '../../src/tracer/span';
import { RemoteReporter } from '../../src/reporters/remote';
import { samplingDecision, type Sampler } from '../../src/samplers/sampler';
import type { Sender } from '../../src/senders/sender';
import { recordingLogger } from '../helpers/tracer';

export function wireTracer(sender: Sender, options: { traceId128bit?: boolean } = {}) {
  const decision = samplingDecision(true, 'const', 1);
  const sampler: Sampler = { type: 'const', sample: () => decision, close() {} };
  const logger = recordingLogger();
  const reporter = new RemoteReporter(sender, { flushIntervalMs: 60_000, maxQueueSize: 100_000, logger });
  const tracer = new JaegerTracer({
    serviceName: 'wire-test',
    sampler,
    reporter,
    logger,
    tags: { custom: 'yes', 'build.number': 42 },
    traceId128bit: options.traceId128bit,
  });
  return { tracer, reporter, logger };
}

/** Finishes spans covering ids, references, flags, every tag type and logs; returns them. */
export function runScenario(tracer: JaegerTracer): JaegerSpan[] {
  const root = tracer.startSpan('GET /orders/:id', { tags: { 'span.kind': 'server' } });
  root.setTag('str', 'välue ✓');
  root.setTag('double', 3.25);
  root.setTag('bool', false);
  root.setTag('long', 1_234_567_890_123);
  root.setTag('negative', -42);
  root.setTag('binary', Buffer.from([0xde, 0xad, 0xbe, 0xef]));
  root.setTag('bigint', 2n ** 62n + 1n);
  root.log({ event: 'cache.miss', key: 'order:17', attempts: 2, ratio: 0.5, hit: false });
  const child = tracer.startSpan('SELECT orders', { childOf: root });
  child.setTag(opentracing.Tags.ERROR, true);
  child.log({ event: 'error', message: 'deadlock', 'error.object': new Error('deadlock') });
  const follower = tracer.startSpan('publish orders', { references: [opentracing.followsFrom(root.context())] });
  const debug = tracer.startSpan('debug me', { childOf: root });
  debug.setTag(opentracing.Tags.SAMPLING_PRIORITY, 1);
  child.finish();
  follower.finish();
  debug.finish();
  root.finish();
  return [child, follower, debug, root];
}
