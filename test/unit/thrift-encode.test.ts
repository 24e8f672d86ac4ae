import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactWriter } from '../../src/thrift/compact-writer';
import { BinaryWriter } from '../../src/thrift/binary-writer';
import { writeBatch, writeEmitBatch, writeProcess, writeSpan, type BatchContent } from '../../src/thrift/encode';
import { TType, type ProtocolWriter } from '../../src/thrift/types';
import { decodeBatch, decodeEmitBatch, tagMap } from '../helpers/thrift-decode';
import { ALL_TAGS, PROCESS, TAG_VALUES, makeSpan, spanShapes, thriftBytes } from './thrift-shapes';

// Our hand-written writers must produce exactly the bytes of the thrift package's protocols when
// the same struct encoder drives both.

const PROTOCOLS = ['compact', 'binary'] as const;

function ours(protocol: 'compact' | 'binary', write: (w: ProtocolWriter) => void): Buffer {
  const w = protocol === 'compact' ? new CompactWriter(16) : new BinaryWriter(16); // tiny: exercise growth
  write(w);
  return w.copy();
}

function sameBytes(protocol: 'compact' | 'binary', write: (w: ProtocolWriter) => void, what: string): Buffer {
  const expected = thriftBytes(protocol, write);
  const actual = ours(protocol, write);
  if (!actual.equals(expected)) {
    let i = 0;
    while (i < actual.length && actual[i] === expected[i]) i++;
    assert.fail(`${protocol} ${what}: bytes differ at offset ${i} (ours ${actual.length} B, thrift ${expected.length} B): `
      + `ours …${actual.subarray(Math.max(0, i - 4), i + 8).toString('hex')} thrift …${expected.subarray(Math.max(0, i - 4), i + 8).toString('hex')}`);
  }
  return actual;
}

for (const protocol of PROTOCOLS) {
  test(`${protocol}: every span shape encodes byte-identically to the thrift package`, () => {
    spanShapes().forEach((span, i) => sameBytes(protocol, (w) => writeSpan(w, span), `shape ${i}`));
  });

  test(`${protocol}: each tag value kind alone, in a span`, () => {
    TAG_VALUES.forEach((t, i) => {
      sameBytes(protocol, (w) => writeSpan(w, makeSpan({ tags: [{ key: 'k', value: t.value }] })), `tag ${i} (${String(t.decoded).slice(0, 20)})`);
    });
  });

  test(`${protocol}: process with and without tags`, () => {
    sameBytes(protocol, (w) => writeProcess(w, PROCESS), 'process');
    sameBytes(protocol, (w) => writeProcess(w, { serviceName: 'svc', tags: [] }), 'bare process');
    sameBytes(protocol, (w) => writeProcess(w, { serviceName: 'svc', tags: ALL_TAGS }), 'process, all tag kinds');
  });

  test(`${protocol}: batches and emitBatch messages (seqNo, stats, empty span list, long lists)`, () => {
    const shapes = spanShapes();
    const contents: BatchContent[] = [
      { process: PROCESS, spans: [] },
      { process: PROCESS, spans: shapes.slice(0, 3), seqNo: 1 },
      { process: PROCESS, spans: shapes, seqNo: 2 ** 40, stats: { fullQueueDroppedSpans: 0, tooLargeDroppedSpans: 7, failedToEmitSpans: 2 ** 33 } },
      { process: { serviceName: 's', tags: [] }, spans: shapes.slice(5, 20), stats: { fullQueueDroppedSpans: 1, tooLargeDroppedSpans: 0, failedToEmitSpans: 0 } },
    ];
    for (const [i, content] of contents.entries()) {
      sameBytes(protocol, (w) => writeBatch(w, content), `batch ${i}`);
      for (const seqid of [0, 1, 127, 300, 0x7fffffff]) {
        sameBytes(protocol, (w) => writeEmitBatch(w, seqid, content), `emitBatch ${i} seqid ${seqid}`);
      }
    }
  });
}

test('the encoding decodes back, field by field, with the independent decoder', () => {
  const span = makeSpan({
    traceId: 'fedcba98765432100123456789abcdef', spanId: '8000000000000001', parentId: 'ffffffffffffffff', flags: 3,
    startTime: 1_700_000_000_123_456.6, duration: 99.5, tags: ALL_TAGS,
    references: [{ type: 'follows_from', context: makeSpan({ traceId: '00000000000000aa', spanId: '00000000000000bb' }).spanContext }],
    logs: [{ timestamp: 1_700_000_000_200_000.2, fields: [{ key: 'event', value: 'x' }] }],
  });
  for (const protocol of PROTOCOLS) {
    const content: BatchContent = { process: PROCESS, spans: [span], seqNo: 9, stats: { fullQueueDroppedSpans: 1, tooLargeDroppedSpans: 2, failedToEmitSpans: 3 } };
    const batch = decodeBatch(ours(protocol, (w) => writeBatch(w, content)), protocol);
    const msg = decodeEmitBatch(ours(protocol, (w) => writeEmitBatch(w, 77, content)), protocol);
    assert.equal(msg.seqid, 77);
    assert.deepEqual(msg.batch, batch);
    const s = batch.spans[0];
    assert.equal(s.traceIdHigh, 'fedcba9876543210');
    assert.equal(s.traceIdLow, '0123456789abcdef');
    assert.equal(s.spanId, '8000000000000001');
    assert.equal(s.parentSpanId, 'ffffffffffffffff');
    assert.equal(s.flags, 3);
    assert.equal(s.startTime, 1_700_000_000_123_457n);
    assert.equal(s.duration, 100n);
    assert.deepEqual(s.references, [{ refType: 1, traceIdLow: '00000000000000aa', traceIdHigh: '0000000000000000', spanId: '00000000000000bb' }]);
    assert.deepEqual(s.logs, [{ timestamp: 1_700_000_000_200_000n, fields: [{ key: 'event', vType: 0, vStr: 'x' }] }]);
    assert.equal(s.tags?.length, TAG_VALUES.length);
    s.tags?.forEach((tag, i) => {
      const want = TAG_VALUES[i];
      assert.equal(tag.vType, want.vType, `tag ${i} vType`);
      const got = tag.vStr ?? tag.vDouble ?? tag.vBool ?? tag.vLong ?? tag.vBinary;
      if (Number.isNaN(want.decoded)) assert.ok(Number.isNaN(got), `tag ${i} NaN`);
      else assert.deepEqual(got, want.decoded, `tag ${i}`);
    });
    assert.equal(batch.seqNo, 9n);
    assert.deepEqual(batch.stats, { fullQueueDroppedSpans: 1n, tooLargeDroppedSpans: 2n, failedToEmitSpans: 3n });
    assert.equal(batch.process.serviceName, 'checkout-service');
    assert.equal(tagMap(batch.process.tags).weight, 3n);
  }
});

test('a root span has parentSpanId 0 and a 64-bit trace has traceIdHigh 0; empty optional lists are omitted', () => {
  const batch = decodeBatch(ours('binary', (w) => writeBatch(w, { process: PROCESS, spans: [makeSpan()] })));
  const s = batch.spans[0];
  assert.equal(s.parentSpanId, '0000000000000000');
  assert.equal(s.traceIdHigh, '0000000000000000');
  assert.equal(s.references, undefined);
  assert.equal(s.tags, undefined);
  assert.equal(s.logs, undefined);
  assert.equal(batch.seqNo, undefined);
  assert.equal(batch.stats, undefined);
});

// Random writer-level operation sequences: covers long-form field headers, id deltas > 15 and
// descending ids, every varint width, and doubles across the whole range.
test('writer fuzz: random operation sequences match the thrift package byte for byte', () => {
  let seed = 0x2545f491;
  const rnd = (): number => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  const int32 = (): number => (rnd() * 4294967296) | 0;
  const someInt = (): number => {
    const bits = Math.floor(rnd() * 54);
    const v = Math.floor(rnd() * 2 ** bits);
    return rnd() < 0.5 ? -v : v;
  };
  const someDouble = (): number => {
    const r = rnd();
    if (r < 0.1) return [0, NaN, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE, 2 ** -1022][Math.floor(rnd() * 7)];
    const buf = Buffer.alloc(8);
    buf.writeInt32LE(int32(), 0);
    buf.writeInt32LE(int32(), 4);
    const d = buf.readDoubleLE(0);
    return Number.isNaN(d) ? 1.25 : d;
  };
  for (let round = 0; round < 300; round++) {
    const ops: Array<(w: ProtocolWriter) => void> = [];
    ops.push((w) => w.writeStructBegin('S'));
    let lastId = 0;
    for (let i = 0; i < 40; i++) {
      const id = rnd() < 0.7 ? lastId + 1 + Math.floor(rnd() * 20) : Math.floor(rnd() * 32767);
      lastId = id;
      const kind = Math.floor(rnd() * 7);
      const a = int32(), n = someInt(), d = someDouble(), hi = int32(), lo = int32(), b = rnd() < 0.5;
      const s = 'ab€😀'.repeat(Math.floor(rnd() * 30));
      const size = Math.floor(rnd() * 40);
      ops.push((w) => {
        switch (kind) {
          case 0: w.writeFieldBegin('f', TType.I32, id); w.writeI32(a); break;
          case 1: w.writeFieldBegin('f', TType.I64, id); w.writeI64(n); break;
          case 2: w.writeFieldBegin('f', TType.I64, id); w.writeI64({ hi, lo }); break;
          case 3: w.writeFieldBegin('f', TType.DOUBLE, id); w.writeDouble(d); break;
          case 4: w.writeFieldBegin('f', TType.BOOL, id); w.writeBool(b); break;
          case 5: w.writeFieldBegin('f', TType.STRING, id); w.writeString(s); break;
          default:
            w.writeFieldBegin('f', TType.LIST, id);
            w.writeListBegin(TType.I32, size);
            for (let k = 0; k < size; k++) w.writeI32(k * 1000 - 7);
            w.writeListEnd();
        }
        w.writeFieldEnd();
      });
    }
    ops.push((w) => { w.writeFieldStop(); w.writeStructEnd(); });
    for (const protocol of PROTOCOLS) sameBytes(protocol, (w) => ops.forEach((op) => op(w)), `fuzz round ${round}`);
  }
});
