import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchBuilder } from '../../src/thrift/batch-builder';
import { CompactWriter } from '../../src/thrift/compact-writer';
import { SpanBatcher } from '../../src/thrift/span-batcher';
import { writeBatch, writeEmitBatch, writeSpan } from '../../src/thrift/encode';
import { TType, type ClientStats } from '../../src/thrift/types';
import type { DropReason } from '../../src/senders/sender';
import type { FinishedSpan } from '../../src/tracer/finished-span';
import { decodeEmitBatch } from '../helpers/thrift-decode';
import { recordingLogger } from '../helpers/tracer';
import { PROCESS, makeSpan, spanShapes, thriftBytes } from './thrift-shapes';

// Batches are assembled from spans encoded once; the result must equal a whole-batch encoding by
// the thrift package, whatever got carried over, dropped or re-sized on the way.

const STATS: ClientStats = { fullQueueDroppedSpans: 3, tooLargeDroppedSpans: 1, failedToEmitSpans: 300 };

function expectedFrame(envelope: boolean, spans: readonly FinishedSpan[], seqNo: number, stats: ClientStats, process = PROCESS): Buffer {
  const protocol = envelope ? 'compact' : 'binary';
  return thriftBytes(protocol, (w) => {
    const content = { process, spans, seqNo, stats };
    if (envelope) writeEmitBatch(w, seqNo, content);
    else writeBatch(w, content);
  });
}

for (const envelope of [true, false]) {
  const protocol = envelope ? 'compact' : 'binary';
  const name = envelope ? 'compact emitBatch' : 'binary Batch';

  test(`${name}: assembled frames equal the thrift package's whole-batch encoding`, () => {
    const b = new BatchBuilder({ protocol, envelope, capacity: 4096 });
    b.setProcess(PROCESS);
    const shapes = spanShapes();
    for (const count of [1, 2, 14, 15, shapes.length]) {
      const spans = shapes.slice(0, count);
      for (const s of spans) b.append(s);
      const bound = b.frameSize(b.count, b.bodyBytes);
      const frame = b.finish(count, STATS);
      assert.deepEqual(frame, expectedFrame(envelope, spans, count, STATS), `${count} spans`);
      assert.ok(bound >= frame.length && bound - frame.length < 64, `size bound ${bound} vs ${frame.length}`);
      b.recycle(frame);
    }
  });

  test(`${name}: a carried-over span opens the next batch intact; dropLast undoes an append`, () => {
    const b = new BatchBuilder({ protocol, envelope, capacity: 2048 });
    b.setProcess(PROCESS);
    const shapes = spanShapes();
    const first = shapes.slice(0, 5);
    for (const s of first) b.append(s);
    const carried = shapes[5];
    const size = b.append(carried);
    const f1 = b.finish(1, STATS, size);
    assert.deepEqual(f1, expectedFrame(envelope, first, 1, STATS));
    assert.equal(b.count, 1);
    const big = makeSpan({ tags: [{ key: 'blob', value: 'x'.repeat(200_000) }] });
    const bigSize = b.append(big);
    assert.ok(bigSize > 200_000);
    b.dropLast(bigSize);
    b.append(shapes[6]);
    const f2 = b.finish(2, STATS);
    assert.deepEqual(f2, expectedFrame(envelope, [carried, shapes[6]], 2, STATS));
  });

  test(`${name}: a process set mid-batch (bigger than the headroom) still frames correctly`, () => {
    const b = new BatchBuilder({ protocol, envelope, capacity: 1024 });
    const spans = spanShapes().slice(0, 3);
    for (const s of spans) b.append(s);
    const process = { serviceName: 'late', tags: [{ key: 'big', value: 'p'.repeat(3000) }] };
    b.setProcess(process);
    assert.deepEqual(b.finish(5, STATS), expectedFrame(envelope, spans, 5, STATS, process));
  });
}

test('a span encodes to the same bytes wherever it sits (compact field-id context is per struct)', () => {
  const span = spanShapes()[16];
  const alone = new CompactWriter();
  writeSpan(alone, span);
  const nested = new CompactWriter();
  nested.writeStructBegin('Outer');
  nested.writeFieldBegin('a', TType.I32, 1);
  nested.writeI32(5);
  nested.writeFieldBegin('b', TType.LIST, 9);
  nested.writeListBegin(TType.STRUCT, 2);
  writeSpan(nested, span);
  const from = nested.pos;
  writeSpan(nested, span);
  assert.deepEqual(nested.copy(from), alone.copy());
});

function batcher(max: number, transmitImpl?: (frame: Buffer, done: (err?: Error) => void) => void) {
  const frames: Buffer[] = [];
  const sent: number[] = [];
  const dropped: Array<[number, DropReason, string | undefined]> = [];
  const b = new SpanBatcher({
    protocol: 'compact', envelope: true, maxFrameBytes: max, recycle: true, logger: recordingLogger(),
    transmit: transmitImpl ?? ((frame, done) => { frames.push(Buffer.from(frame)); setImmediate(done); }),
  });
  b.setProcess(PROCESS);
  b.setEvents({ onSent: (n) => sent.push(n), onDropped: (n, r, e) => dropped.push([n, r, e?.message]) });
  return { b, frames, sent, dropped };
}

test('SpanBatcher: cuts at the budget, drops the too-large span, seqNo counts up, stats report drops', async () => {
  const { b, frames, sent, dropped } = batcher(3000);
  const spans = Array.from({ length: 150 }, (_, i) => makeSpan({ operationName: `op-${i}`, tags: [{ key: 'i', value: i }] }));
  spans.forEach((s, i) => {
    b.append(s);
    if (i === 30) b.append(makeSpan({ operationName: 'huge', tags: [{ key: 'x', value: 'x'.repeat(5000) }] }));
  });
  b.noteDropped(4, 'queue_full');
  assert.ok(b.queued > 0);
  await b.flush();
  assert.equal(b.queued, 0);
  const decoded = frames.map((f) => decodeEmitBatch(f));
  assert.ok(frames.length > 2 && frames.every((f) => f.length <= 3000), `frame sizes ${frames.map((f) => f.length)}`);
  assert.deepEqual(decoded.flatMap((m) => m.batch.spans.map((s) => s.operationName)), spans.map((s) => s.operationName));
  assert.deepEqual(decoded.map((m) => m.batch.seqNo), decoded.map((_, i) => BigInt(i + 1)));
  const last = decoded[decoded.length - 1].batch.stats;
  assert.deepEqual(last, { fullQueueDroppedSpans: 4n, tooLargeDroppedSpans: 1n, failedToEmitSpans: 0n });
  assert.equal(sent.reduce((a, n) => a + n, 0), 150);
  assert.equal(dropped.length, 1);
  assert.equal(dropped[0][0], 1);
  assert.equal(dropped[0][1], 'too_large');
  assert.match(dropped[0][2] ?? '', /'huge' encodes to \d+ bytes, over the 3000-byte limit/);
});

test('SpanBatcher: failures are counted, never thrown; shutdown drops later spans', async () => {
  let fail = true;
  const { b, sent, dropped } = batcher(65000, (_frame, done) => {
    if (fail) throw new Error('transport exploded');
    setImmediate(done);
  });
  b.append(makeSpan());
  b.append(makeSpan());
  await b.flush();
  assert.deepEqual(dropped, [[2, 'send_error', 'transport exploded']]);
  fail = false;
  const hostile = { toString() { throw new Error('bad key'); } };
  b.append(makeSpan({ tags: [{ key: hostile as unknown as string, value: 1 }] }));
  b.append(makeSpan());
  await b.flush();
  assert.deepEqual(dropped[1], [1, 'send_error', 'bad key']);
  assert.deepEqual(sent, [1]);
  b.stop();
  b.append(makeSpan());
  assert.deepEqual(dropped[2], [1, 'shutdown', undefined]);
});

test('SpanBatcher: a throwing event handler does not escape into the caller', async () => {
  const b = new SpanBatcher({
    protocol: 'binary', envelope: false, maxFrameBytes: 2000, recycle: false, logger: recordingLogger(),
    transmit: (_f, done) => { setImmediate(done); },
  });
  b.setEvents({ onSent() { throw new Error('handler'); }, onDropped() { throw new Error('handler'); } });
  b.append(makeSpan({ tags: [{ key: 'x', value: 'x'.repeat(5000) }] }));
  b.append(makeSpan());
  await b.flush();
});
