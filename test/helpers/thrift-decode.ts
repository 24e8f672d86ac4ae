// An independent decoder for what our senders put on the wire: the `thrift` package's own protocol
// readers, driven generically from the jaeger.thrift field table below. It shares no code with
// src/thrift. Strict on purpose: a wrong wire type, a missing required field, an unknown field,
// a Tag whose value field does not match its vType, or trailing bytes all throw.

import { TBinaryProtocol, TBufferedTransport, TCompactProtocol, Thrift, type Int64, type TProtocol } from 'thrift';

const T = Thrift.Type;

export interface DecodedTag {
  key: string;
  vType: number;
  vStr?: string;
  vDouble?: number;
  vBool?: boolean;
  vLong?: bigint;
  vBinary?: Buffer;
}
export interface DecodedLog { timestamp: bigint; fields: DecodedTag[] }
export interface DecodedRef { refType: number; traceIdLow: string; traceIdHigh: string; spanId: string }
export interface DecodedSpan {
  traceIdLow: string;
  traceIdHigh: string;
  spanId: string;
  parentSpanId: string;
  operationName: string;
  references?: DecodedRef[];
  flags: number;
  startTime: bigint;
  duration: bigint;
  tags?: DecodedTag[];
  logs?: DecodedLog[];
}
export interface DecodedProcess { serviceName: string; tags?: DecodedTag[] }
export interface DecodedStats { fullQueueDroppedSpans: bigint; tooLargeDroppedSpans: bigint; failedToEmitSpans: bigint }
export interface DecodedBatch { process: DecodedProcess; spans: DecodedSpan[]; seqNo?: bigint; stats?: DecodedStats }
export interface DecodedMessage { name: string; type: number; seqid: number; batch: DecodedBatch }

type Reader = (p: TProtocol) => unknown;
interface Field { name: string; type: number; required: boolean; read: Reader }
type StructSpec = Record<number, Field>;

/** 16 lowercase hex digits of the i64's two's-complement bits. */
export function i64Hex(v: Int64): string {
  return v.toOctetString();
}
function i64Big(v: Int64): bigint {
  return BigInt.asIntN(64, BigInt('0x' + v.toOctetString()));
}

const str: Reader = (p) => p.readString();
const i32: Reader = (p) => p.readI32();
const hex: Reader = (p) => i64Hex(p.readI64());
const big: Reader = (p) => i64Big(p.readI64());
const f = (name: string, type: number, required: boolean, read: Reader): Field => ({ name, type, required, read });
const listOf = (spec: () => StructSpec, what: string): Reader => (p) => {
  const { etype, size } = p.readListBegin();
  if (etype !== T.STRUCT) throw new Error(`${what}: list element type ${etype}, expected STRUCT`);
  const out: unknown[] = [];
  for (let i = 0; i < size; i++) out.push(readStruct(p, spec(), what));
  p.readListEnd();
  return out;
};

const TAG: StructSpec = {
  1: f('key', T.STRING, true, str),
  2: f('vType', T.I32, true, i32),
  3: f('vStr', T.STRING, false, str),
  4: f('vDouble', T.DOUBLE, false, (p) => p.readDouble()),
  5: f('vBool', T.BOOL, false, (p) => p.readBool()),
  6: f('vLong', T.I64, false, big),
  7: f('vBinary', T.STRING, false, (p) => p.readBinary()),
};
const LOG: StructSpec = { 1: f('timestamp', T.I64, true, big), 2: f('fields', T.LIST, true, listOf(() => TAG, 'Tag')) };
const SPAN_REF: StructSpec = {
  1: f('refType', T.I32, true, i32),
  2: f('traceIdLow', T.I64, true, hex),
  3: f('traceIdHigh', T.I64, true, hex),
  4: f('spanId', T.I64, true, hex),
};
const SPAN: StructSpec = {
  1: f('traceIdLow', T.I64, true, hex),
  2: f('traceIdHigh', T.I64, true, hex),
  3: f('spanId', T.I64, true, hex),
  4: f('parentSpanId', T.I64, true, hex),
  5: f('operationName', T.STRING, true, str),
  6: f('references', T.LIST, false, listOf(() => SPAN_REF, 'SpanRef')),
  7: f('flags', T.I32, true, i32),
  8: f('startTime', T.I64, true, big),
  9: f('duration', T.I64, true, big),
  10: f('tags', T.LIST, false, listOf(() => TAG, 'Tag')),
  11: f('logs', T.LIST, false, listOf(() => LOG, 'Log')),
};
const PROCESS: StructSpec = { 1: f('serviceName', T.STRING, true, str), 2: f('tags', T.LIST, false, listOf(() => TAG, 'Tag')) };
const STATS: StructSpec = {
  1: f('fullQueueDroppedSpans', T.I64, true, big),
  2: f('tooLargeDroppedSpans', T.I64, true, big),
  3: f('failedToEmitSpans', T.I64, true, big),
};
const BATCH: StructSpec = {
  1: f('process', T.STRUCT, true, (p) => readStruct(p, PROCESS, 'Process')),
  2: f('spans', T.LIST, true, listOf(() => SPAN, 'Span')),
  3: f('seqNo', T.I64, false, big),
  4: f('stats', T.STRUCT, false, (p) => readStruct(p, STATS, 'ClientStats')),
};
const EMIT_BATCH_ARGS: StructSpec = { 1: f('batch', T.STRUCT, true, (p) => readStruct(p, BATCH, 'Batch')) };

const VALUE_FIELD = ['vStr', 'vDouble', 'vBool', 'vLong', 'vBinary'] as const;

function readStruct(p: TProtocol, spec: StructSpec, what: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  p.readStructBegin();
  for (;;) {
    const { ftype, fid } = p.readFieldBegin();
    if (ftype === T.STOP) break;
    const field = spec[fid];
    if (field === undefined) throw new Error(`${what}: unknown field id ${fid} (type ${ftype})`);
    if (ftype !== field.type) throw new Error(`${what}.${field.name}: wire type ${ftype}, expected ${field.type}`);
    if (field.name in out) throw new Error(`${what}.${field.name}: written twice`);
    out[field.name] = field.read(p);
    p.readFieldEnd();
  }
  p.readStructEnd();
  for (const field of Object.values(spec)) {
    if (field.required && !(field.name in out)) throw new Error(`${what}: required field ${field.name} missing`);
  }
  if (what === 'Tag') {
    const present = VALUE_FIELD.filter((name) => name in out);
    const vType = out.vType as number;
    if (present.length !== 1 || present[0] !== VALUE_FIELD[vType]) {
      throw new Error(`Tag ${String(out.key)}: vType ${vType} with value fields [${present.join(', ')}]`);
    }
  }
  return out;
}

function reader(bytes: Buffer, protocol: 'compact' | 'binary'): { p: TProtocol; rest: () => number } {
  let trans: TBufferedTransport | undefined;
  TBufferedTransport.receiver((t) => { trans = t; }, 0)(bytes);
  if (trans === undefined) throw new Error('no transport');
  const t = trans as TBufferedTransport & { readCursor: number; writeCursor: number };
  const p = protocol === 'compact' ? new TCompactProtocol(t) : new TBinaryProtocol(t);
  return { p, rest: () => t.writeCursor - t.readCursor };
}

function noTrailingBytes(rest: () => number, what: string): void {
  const n = rest();
  if (n !== 0) throw new Error(`${what}: ${n} bytes left over`);
}

/** One Agent.emitBatch datagram (compact by default, as on port 6831). */
export function decodeEmitBatch(bytes: Buffer, protocol: 'compact' | 'binary' = 'compact'): DecodedMessage {
  const { p, rest } = reader(bytes, protocol);
  const msg = p.readMessageBegin();
  if (msg.fname !== 'emitBatch') throw new Error(`message name ${msg.fname}`);
  if (msg.mtype !== Thrift.MessageType.ONEWAY) throw new Error(`message type ${msg.mtype}, expected ONEWAY`);
  const args = readStruct(p, EMIT_BATCH_ARGS, 'emitBatch_args');
  p.readMessageEnd();
  noTrailingBytes(rest, 'emitBatch');
  return { name: msg.fname, type: msg.mtype, seqid: msg.rseqid, batch: args.batch as DecodedBatch };
}

/** A bare Batch struct (binary by default, as POSTed to the collector). */
export function decodeBatch(bytes: Buffer, protocol: 'compact' | 'binary' = 'binary'): DecodedBatch {
  const { p, rest } = reader(bytes, protocol);
  const batch = readStruct(p, BATCH, 'Batch') as unknown as DecodedBatch;
  noTrailingBytes(rest, 'Batch');
  return batch;
}

/** Tag list → { key: JS value } (LONG as bigint, BINARY as Buffer). */
export function tagMap(tags: DecodedTag[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const t of tags ?? []) out[t.key] = t.vStr ?? t.vDouble ?? t.vBool ?? t.vLong ?? t.vBinary;
  return out;
}
