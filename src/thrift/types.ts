// Thrift wire constants and the protocol-writer contract the struct encoder is written against.
// The method names and argument orders are those of the `thrift` package's TProtocol, so the same
// encoder runs over TCompactProtocol/TBinaryProtocol in tests and over our own writers at runtime.

/** Thrift field/element type ids (the binary protocol writes them as is). */
export const TType = Object.freeze({
  STOP: 0,
  BOOL: 2,
  BYTE: 3,
  DOUBLE: 4,
  I16: 6,
  I32: 8,
  I64: 10,
  STRING: 11,
  STRUCT: 12,
  MAP: 13,
  SET: 14,
  LIST: 15,
} as const);

/** Message types of a Thrift message envelope. */
export const MessageType = Object.freeze({ CALL: 1, REPLY: 2, EXCEPTION: 3, ONEWAY: 4 } as const);

/** jaeger.thrift TagType. */
export const TagType = Object.freeze({ STRING: 0, DOUBLE: 1, BOOL: 2, LONG: 3, BINARY: 4 } as const);

/** jaeger.thrift SpanRefType. */
export const SpanRefType = Object.freeze({ CHILD_OF: 0, FOLLOWS_FROM: 1 } as const);

/**
 * A 64-bit integer as two 32-bit words (any sign; only the bit patterns matter). Ids are hex
 * strings on our side, so this is how they reach a writer without BigInt or a Buffer per id.
 */
export interface I64 {
  readonly hi: number;
  readonly lo: number;
}

/**
 * The part of a Thrift TProtocol the Jaeger encoder needs. `writeI64` also takes an {@link I64};
 * an adapter turns that into the thrift package's Int64 when a TProtocol is driven instead.
 */
export interface ProtocolWriter {
  writeMessageBegin(name: string, type: number, seqid: number): void;
  writeMessageEnd(): void;
  writeStructBegin(name: string): void;
  writeStructEnd(): void;
  writeFieldBegin(name: string, type: number, id: number): void;
  writeFieldEnd(): void;
  writeFieldStop(): void;
  writeListBegin(etype: number, size: number): void;
  writeListEnd(): void;
  writeString(value: string): void;
  writeBinary(value: Uint8Array): void;
  writeBool(value: boolean): void;
  writeI32(value: number): void;
  /** `value` as a number must be a safe integer. */
  writeI64(value: number | I64): void;
  writeDouble(value: number): void;
}

/** jaeger.thrift ClientStats: cumulative counts of spans the client dropped. */
export interface ClientStats {
  readonly fullQueueDroppedSpans: number;
  readonly tooLargeDroppedSpans: number;
  readonly failedToEmitSpans: number;
}
