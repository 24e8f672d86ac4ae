// Shared fixtures for the thrift unit tests: the thrift package's protocols behind our
// ProtocolWriter (the reference encoding), and a catalogue of span/process shapes.

import { Int64, TBinaryProtocol, TBufferedTransport, TCompactProtocol, type TProtocol } from 'thrift';
import type { ProtocolWriter } from '../../src/thrift/types';
import type { FinishedSpan, ProcessInfo, Tag } from '../../src/tracer/finished-span';
import { JaegerSpanContext } from '../../src/tracer/span-context';

/**
 * Runs `write` against the thrift package's TCompactProtocol / TBinaryProtocol and returns the
 * bytes. Every call passes straight through; only our {hi, lo} i64 becomes the package's Int64
 * and a plain Uint8Array a Buffer view of the same bytes.
 */
export function thriftBytes(protocol: 'compact' | 'binary', write: (w: ProtocolWriter) => void): Buffer {
  let out: Buffer = Buffer.alloc(0);
  const trans = new TBufferedTransport(undefined, (msg?: Buffer) => { if (msg) out = msg; });
  const p: TProtocol = protocol === 'compact' ? new TCompactProtocol(trans) : new TBinaryProtocol(trans);
  const w: ProtocolWriter = {
    writeMessageBegin: (name, type, seqid) => p.writeMessageBegin(name, type, seqid),
    writeMessageEnd: () => p.writeMessageEnd(),
    writeStructBegin: (name) => p.writeStructBegin(name),
    writeStructEnd: () => p.writeStructEnd(),
    writeFieldBegin: (name, type, id) => p.writeFieldBegin(name, type, id),
    writeFieldEnd: () => p.writeFieldEnd(),
    writeFieldStop: () => p.writeFieldStop(),
    writeListBegin: (etype, size) => p.writeListBegin(etype, size),
    writeListEnd: () => p.writeListEnd(),
    writeString: (v) => p.writeString(v),
    // The package's transport concatenates with Buffer#copy: hand it a Buffer over the same bytes.
    writeBinary: (v) => p.writeBinary(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength)),
    writeBool: (v) => p.writeBool(v),
    writeI32: (v) => p.writeI32(v),
    writeI64: (v) => p.writeI64(typeof v === 'number' ? v : new Int64(v.hi >>> 0, v.lo >>> 0)),
    writeDouble: (v) => p.writeDouble(v),
  };
  write(w);
  trans.flush();
  return out;
}

export interface SpanInit {
  traceId?: string;
  spanId?: string;
  parentId?: string;
  flags?: number;
  operationName?: string;
  startTime?: number;
  duration?: number;
  tags?: Tag[];
  logs?: FinishedSpan['logs'];
  references?: FinishedSpan['references'];
}

export function makeSpan(init: SpanInit = {}): FinishedSpan {
  return {
    operationName: init.operationName ?? 'GET /users/:id',
    spanContext: new JaegerSpanContext(init.traceId ?? '5b8aa5a2d2c872e8', init.spanId ?? '321d2b7d2ce1d3ad', init.parentId ?? '', init.flags ?? 1),
    startTime: init.startTime ?? 1_700_000_000_123_456.7,
    duration: init.duration ?? 1234.5,
    tags: init.tags ?? [],
    logs: init.logs ?? [],
    references: init.references ?? [],
  };
}

export const ctx = (traceId: string, spanId: string): JaegerSpanContext => new JaegerSpanContext(traceId, spanId, '', 1);

const cyclic: Record<string, unknown> = { name: 'loop' };
cyclic.self = cyclic;

/** One tag per interesting value kind; `expect` is the decoded [vType, value] check. */
export const TAG_VALUES: ReadonlyArray<{ value: unknown; vType: number; decoded: unknown }> = [
  { value: 'plain', vType: 0, decoded: 'plain' },
  { value: '', vType: 0, decoded: '' },
  { value: 'héllo wörld ✓ 🚀 日本語', vType: 0, decoded: 'héllo wörld ✓ 🚀 日本語' },
  { value: 'x'.repeat(42), vType: 0, decoded: 'x'.repeat(42) },
  { value: 'y'.repeat(43), vType: 0, decoded: 'y'.repeat(43) },
  { value: 'é'.repeat(300), vType: 0, decoded: 'é'.repeat(300) },
  { value: 'z'.repeat(5000), vType: 0, decoded: 'z'.repeat(5000) },
  { value: '🚀'.repeat(3000), vType: 0, decoded: '🚀'.repeat(3000) },
  { value: 0, vType: 3, decoded: 0n },
  { value: -1, vType: 3, decoded: -1n },
  { value: 63, vType: 3, decoded: 63n },
  { value: -64, vType: 3, decoded: -64n },
  { value: 2 ** 30, vType: 3, decoded: 2n ** 30n },
  { value: -(2 ** 30) - 1, vType: 3, decoded: -(2n ** 30n) - 1n },
  { value: 2 ** 31, vType: 3, decoded: 2n ** 31n },
  { value: -(2 ** 31) - 1, vType: 3, decoded: -(2n ** 31n) - 1n },
  { value: 2 ** 32 + 5, vType: 3, decoded: 2n ** 32n + 5n },
  { value: Number.MAX_SAFE_INTEGER, vType: 3, decoded: BigInt(Number.MAX_SAFE_INTEGER) },
  { value: Number.MIN_SAFE_INTEGER, vType: 3, decoded: BigInt(Number.MIN_SAFE_INTEGER) },
  { value: -0, vType: 3, decoded: 0n },
  { value: 1.5, vType: 1, decoded: 1.5 },
  { value: -273.15, vType: 1, decoded: -273.15 },
  { value: Math.PI, vType: 1, decoded: Math.PI },
  { value: 2 ** 53, vType: 1, decoded: 2 ** 53 },
  { value: 1e300, vType: 1, decoded: 1e300 },
  { value: Number.MIN_VALUE, vType: 1, decoded: Number.MIN_VALUE },
  { value: 1e-310, vType: 1, decoded: 1e-310 },
  { value: NaN, vType: 1, decoded: NaN },
  { value: Infinity, vType: 1, decoded: Infinity },
  { value: -Infinity, vType: 1, decoded: -Infinity },
  { value: true, vType: 2, decoded: true },
  { value: false, vType: 2, decoded: false },
  { value: 0n, vType: 3, decoded: 0n },
  { value: -1n, vType: 3, decoded: -1n },
  { value: 2n ** 63n - 1n, vType: 3, decoded: 2n ** 63n - 1n },
  { value: -(2n ** 63n), vType: 3, decoded: -(2n ** 63n) },
  { value: 2n ** 63n, vType: 0, decoded: (2n ** 63n).toString() },
  { value: Buffer.from([0, 1, 2, 255]), vType: 4, decoded: Buffer.from([0, 1, 2, 255]) },
  { value: Buffer.alloc(0), vType: 4, decoded: Buffer.alloc(0) },
  { value: new Uint8Array([9, 8, 7]), vType: 4, decoded: Buffer.from([9, 8, 7]) },
  { value: new Uint16Array([0x0102]), vType: 4, decoded: Buffer.from(new Uint16Array([0x0102]).buffer) },
  { value: new Uint8Array([1, 2, 3, 4]).buffer, vType: 4, decoded: Buffer.from([1, 2, 3, 4]) },
  { value: null, vType: 0, decoded: 'null' },
  { value: undefined, vType: 0, decoded: 'undefined' },
  { value: { a: 1, b: [true, 'x'] }, vType: 0, decoded: '{"a":1,"b":[true,"x"]}' },
  { value: [1, 2], vType: 0, decoded: '[1,2]' },
  { value: cyclic, vType: 0, decoded: '[object Object]' },
  { value: new TypeError('boom'), vType: 0, decoded: 'TypeError: boom' },
  { value: Symbol('s'), vType: 0, decoded: 'Symbol(s)' },
  { value: function namedFn() {}, vType: 0, decoded: '[Function namedFn]' },
  { value: new Date(0), vType: 0, decoded: '"1970-01-01T00:00:00.000Z"' },
  { value: { toJSON() { throw new Error('no'); }, toString() { return 'custom'; } }, vType: 0, decoded: 'custom' },
];

export const ALL_TAGS: Tag[] = TAG_VALUES.map((t, i) => ({ key: `k${i}`, value: t.value }));

export const PROCESS: ProcessInfo = {
  serviceName: 'checkout-service',
  tags: [
    { key: 'jaeger.version', value: 'Node-jaeger-auto-0.1.0' },
    { key: 'hostname', value: 'host-1' },
    { key: 'ip', value: '10.0.0.7' },
    { key: 'client-uuid', value: '8e0d1c52-6e35-4c0d-9a43-0c6b9b8f1a11' },
    { key: 'region', value: 'eu-west-1' },
    { key: 'weight', value: 3 },
  ],
};

const LOW = ['0000000000000001', '7fffffffffffffff', '8000000000000000', 'ffffffffffffffff', 'a1b2c3d4e5f60718'];

/** Spans in many shapes: ids 64/128-bit with and without the top bit, refs, logs, tags, times. */
export function spanShapes(): FinishedSpan[] {
  const shapes: FinishedSpan[] = [makeSpan()];
  for (const id of LOW) {
    shapes.push(makeSpan({ traceId: id, spanId: id, parentId: id, flags: 3 }));
    shapes.push(makeSpan({ traceId: `${id}${LOW[1]}`, spanId: LOW[2], parentId: '' }));
    shapes.push(makeSpan({ traceId: `00000000000000ff${id}`, spanId: id }));
  }
  shapes.push(makeSpan({
    traceId: 'fedcba98765432100123456789abcdef',
    parentId: '8899aabbccddeeff',
    flags: 2,
    references: [
      { type: 'child_of', context: ctx('fedcba98765432100123456789abcdef', '8899aabbccddeeff') },
      { type: 'follows_from', context: ctx('1111111111111111', 'ffffffff00000000') },
    ],
  }));
  shapes.push(makeSpan({ tags: ALL_TAGS }));
  shapes.push(makeSpan({ tags: [{ key: 'a', value: 1 }, { key: 'b', value: 'x' }, { key: 'c', value: true }] }));
  shapes.push(makeSpan({
    logs: [
      { timestamp: 1_700_000_000_000_001.4, fields: [{ key: 'event', value: 'error' }, { key: 'error.object', value: new Error('x') }] },
      { timestamp: 1_700_000_000_000_002, fields: [] },
      ...Array.from({ length: 20 }, (_, i) => ({ timestamp: 1_700_000_000_000_100 + i, fields: [{ key: 'i', value: i }] })),
    ],
  }));
  shapes.push(makeSpan({ tags: Array.from({ length: 40 }, (_, i) => ({ key: `t${i}`, value: i % 2 ? `v${i}` : i })) }));
  shapes.push(makeSpan({ startTime: 0, duration: 0, operationName: '' }));
  shapes.push(makeSpan({ startTime: 4_102_444_800_000_000, duration: 86_400_000_000 * 365 }));
  shapes.push(makeSpan({ duration: 2 ** 31 - 0.4, operationName: 'ünïcödé op 🚀' }));
  shapes.push(makeSpan({ tags: [{ key: 42 as unknown as string, value: 'numeric key' }] }));
  return shapes;
}
