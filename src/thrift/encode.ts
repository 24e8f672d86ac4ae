import type { FinishedSpan, LogRecord, ProcessInfo, SpanReference, Tag } from '../tracer/finished-span';
import { hexToI64 } from './int64';
import { writeTagValue } from './tag-value';
import { MessageType, SpanRefType, TType, type ClientStats, type ProtocolWriter } from './types';

// jaeger.thrift structs, written once against ProtocolWriter from the model's field table (ids and
// wire types). Optional lists are left out when empty; required ones are always written.

/** Spans already encoded elsewhere: `write` emits their bytes (or only marks where they go). */
export interface EncodedSpans {
  readonly count: number;
  write(w: ProtocolWriter): void;
}

/** The content of a jaeger.thrift Batch. */
export interface BatchContent {
  readonly process: ProcessInfo;
  readonly spans: readonly FinishedSpan[] | EncodedSpans;
  readonly seqNo?: number;
  readonly stats?: ClientStats;
}

export function writeTag(w: ProtocolWriter, tag: Tag): void {
  w.writeStructBegin('Tag');
  w.writeFieldBegin('key', TType.STRING, 1);
  w.writeString(typeof tag.key === 'string' ? tag.key : String(tag.key));
  w.writeFieldEnd();
  writeTagValue(w, tag.value);
  w.writeFieldStop();
  w.writeStructEnd();
}

function writeTagList(w: ProtocolWriter, name: string, id: number, tags: readonly Tag[]): void {
  w.writeFieldBegin(name, TType.LIST, id);
  w.writeListBegin(TType.STRUCT, tags.length);
  for (let i = 0; i < tags.length; i++) writeTag(w, tags[i]);
  w.writeListEnd();
  w.writeFieldEnd();
}

function writeI64Field(w: ProtocolWriter, name: string, id: number, micros: number): void {
  w.writeFieldBegin(name, TType.I64, id);
  // µs may be fractional (or garbage from a user-supplied time); the wire wants an integer.
  w.writeI64(Number.isFinite(micros) ? Math.round(micros) : 0);
  w.writeFieldEnd();
}

/** An id field from hex: the 16 digits ending at `end` (0 when there are none). */
function writeIdField(w: ProtocolWriter, name: string, id: number, hex: string, end: number): void {
  w.writeFieldBegin(name, TType.I64, id);
  w.writeI64(hexToI64(hex, end));
  w.writeFieldEnd();
}

export function writeLog(w: ProtocolWriter, log: LogRecord): void {
  w.writeStructBegin('Log');
  writeI64Field(w, 'timestamp', 1, log.timestamp);
  writeTagList(w, 'fields', 2, log.fields);
  w.writeFieldStop();
  w.writeStructEnd();
}

export function writeSpanRef(w: ProtocolWriter, ref: SpanReference): void {
  const traceId = ref.context.traceId;
  w.writeStructBegin('SpanRef');
  w.writeFieldBegin('refType', TType.I32, 1);
  w.writeI32(ref.type === 'follows_from' ? SpanRefType.FOLLOWS_FROM : SpanRefType.CHILD_OF);
  w.writeFieldEnd();
  writeIdField(w, 'traceIdLow', 2, traceId, traceId.length);
  writeIdField(w, 'traceIdHigh', 3, traceId, traceId.length - 16);
  writeIdField(w, 'spanId', 4, ref.context.spanId, ref.context.spanId.length);
  w.writeFieldStop();
  w.writeStructEnd();
}

export function writeSpan(w: ProtocolWriter, span: FinishedSpan): void {
  const ctx = span.spanContext;
  const traceId = ctx.traceId;
  w.writeStructBegin('Span');
  writeIdField(w, 'traceIdLow', 1, traceId, traceId.length);
  writeIdField(w, 'traceIdHigh', 2, traceId, traceId.length - 16);
  writeIdField(w, 'spanId', 3, ctx.spanId, ctx.spanId.length);
  writeIdField(w, 'parentSpanId', 4, ctx.parentId, ctx.parentId.length);
  w.writeFieldBegin('operationName', TType.STRING, 5);
  w.writeString(span.operationName);
  w.writeFieldEnd();
  const refs = span.references;
  if (refs.length > 0) {
    w.writeFieldBegin('references', TType.LIST, 6);
    w.writeListBegin(TType.STRUCT, refs.length);
    for (let i = 0; i < refs.length; i++) writeSpanRef(w, refs[i]);
    w.writeListEnd();
    w.writeFieldEnd();
  }
  w.writeFieldBegin('flags', TType.I32, 7);
  w.writeI32(ctx.flags);
  w.writeFieldEnd();
  writeI64Field(w, 'startTime', 8, span.startTime);
  writeI64Field(w, 'duration', 9, span.duration);
  if (span.tags.length > 0) writeTagList(w, 'tags', 10, span.tags);
  const logs = span.logs;
  if (logs.length > 0) {
    w.writeFieldBegin('logs', TType.LIST, 11);
    w.writeListBegin(TType.STRUCT, logs.length);
    for (let i = 0; i < logs.length; i++) writeLog(w, logs[i]);
    w.writeListEnd();
    w.writeFieldEnd();
  }
  w.writeFieldStop();
  w.writeStructEnd();
}

export function writeProcess(w: ProtocolWriter, process: ProcessInfo): void {
  w.writeStructBegin('Process');
  w.writeFieldBegin('serviceName', TType.STRING, 1);
  w.writeString(process.serviceName);
  w.writeFieldEnd();
  if (process.tags.length > 0) writeTagList(w, 'tags', 2, process.tags);
  w.writeFieldStop();
  w.writeStructEnd();
}

export function writeClientStats(w: ProtocolWriter, stats: ClientStats): void {
  w.writeStructBegin('ClientStats');
  writeI64Field(w, 'fullQueueDroppedSpans', 1, stats.fullQueueDroppedSpans);
  writeI64Field(w, 'tooLargeDroppedSpans', 2, stats.tooLargeDroppedSpans);
  writeI64Field(w, 'failedToEmitSpans', 3, stats.failedToEmitSpans);
  w.writeFieldStop();
  w.writeStructEnd();
}

/** A Batch struct: what the collector's HTTP endpoint takes as the whole body. */
export function writeBatch(w: ProtocolWriter, batch: BatchContent): void {
  w.writeStructBegin('Batch');
  w.writeFieldBegin('process', TType.STRUCT, 1);
  writeProcess(w, batch.process);
  w.writeFieldEnd();
  const spans = batch.spans;
  w.writeFieldBegin('spans', TType.LIST, 2);
  if (isSpanArray(spans)) {
    w.writeListBegin(TType.STRUCT, spans.length);
    for (let i = 0; i < spans.length; i++) writeSpan(w, spans[i]);
  } else {
    w.writeListBegin(TType.STRUCT, spans.count);
    spans.write(w);
  }
  w.writeListEnd();
  w.writeFieldEnd();
  if (batch.seqNo !== undefined) writeI64Field(w, 'seqNo', 3, batch.seqNo);
  if (batch.stats !== undefined) {
    w.writeFieldBegin('stats', TType.STRUCT, 4);
    writeClientStats(w, batch.stats);
    w.writeFieldEnd();
  }
  w.writeFieldStop();
  w.writeStructEnd();
}

/** The Agent.emitBatch oneway message: what one UDP datagram to the agent holds. */
export function writeEmitBatch(w: ProtocolWriter, seqid: number, batch: BatchContent): void {
  w.writeMessageBegin('emitBatch', MessageType.ONEWAY, seqid);
  w.writeStructBegin('emitBatch_args');
  w.writeFieldBegin('batch', TType.STRUCT, 1);
  writeBatch(w, batch);
  w.writeFieldEnd();
  w.writeFieldStop();
  w.writeStructEnd();
  w.writeMessageEnd();
}

function isSpanArray(spans: readonly FinishedSpan[] | EncodedSpans): spans is readonly FinishedSpan[] {
  return Array.isArray(spans);
}
