// A Jaeger agent (UDP, compact emitBatch) and collector (HTTP, binary Batch) on 127.0.0.1 with
// ephemeral ports. Every datagram / body is decoded by thrift-decode.ts; decoding failures are
// kept in `errors` for tests to assert on. Tests wait on arrivals with waitFor(), never on sleeps.

import * as dgram from 'node:dgram';
import * as http from 'node:http';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import type { FinishedSpan, ProcessInfo, Tag } from '../../src/tracer/finished-span';
import {
  decodeBatch, decodeEmitBatch, type DecodedBatch, type DecodedProcess, type DecodedSpan, type DecodedTag,
} from './thrift-decode';

export interface Received {
  batch: DecodedBatch;
  /** Datagram or body size in bytes. */
  size: number;
  /** Message seqid (UDP only). */
  seqid?: number;
  /** Request headers (HTTP only). */
  headers?: http.IncomingHttpHeaders;
  method?: string;
  url?: string;
  /** Status the collector answered with (HTTP only; undefined when it never answered). */
  status?: number;
}

abstract class Receiver {
  readonly batches: Received[] = [];
  readonly errors: Error[] = [];
  protected readonly changes = new EventEmitter();

  get spans(): DecodedSpan[] {
    return this.batches.flatMap((b) => b.batch.spans);
  }

  get process(): DecodedProcess | undefined {
    return this.batches[0]?.batch.process;
  }

  protected record(r: Received | Error): void {
    if (r instanceof Error) this.errors.push(r);
    else this.batches.push(r);
    this.changes.emit('change');
  }

  /** Resolves once `predicate` holds (checked now and on every arrival); rejects after `timeoutMs`. */
  waitFor(predicate: (self: this) => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        let ok = false;
        try {
          ok = predicate(this);
        } catch (err) {
          cleanup();
          reject(err);
          return;
        }
        if (ok) {
          cleanup();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${this.batches.length} batches, ${this.spans.length} spans, errors: ${this.errors.map((e) => e.message).join('; ')}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.changes.off('change', check);
      };
      this.changes.on('change', check);
      check();
    });
  }

  /** Waits until `n` spans have arrived. */
  waitForSpans(n: number, timeoutMs = 5000): Promise<DecodedSpan[]> {
    return this.waitFor((r) => r.spans.length >= n, timeoutMs, `${n} spans`).then(() => this.spans);
  }
}

/** The agent's compact-Thrift UDP endpoint. */
export class FakeAgent extends Receiver {
  readonly #socket: dgram.Socket;
  port = 0;

  private constructor(socket: dgram.Socket) {
    super();
    this.#socket = socket;
    socket.on('message', (msg) => {
      try {
        const m = decodeEmitBatch(msg);
        this.record({ batch: m.batch, size: msg.length, seqid: m.seqid });
      } catch (err) {
        this.record(err as Error);
      }
    });
  }

  /** Listens on 127.0.0.1, or on ::1 with `ipv6` (rejects where IPv6 loopback is missing). */
  static async start(options: { ipv6?: boolean } = {}): Promise<FakeAgent> {
    const socket = dgram.createSocket({ type: options.ipv6 ? 'udp6' : 'udp4', recvBufferSize: 8 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, options.ipv6 ? '::1' : '127.0.0.1', () => resolve());
    });
    const agent = new FakeAgent(socket);
    agent.port = (socket.address() as AddressInfo).port;
    return agent;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

export interface CollectorBehaviour {
  /** Status to answer with (default 202). */
  status?: number;
  /** Never answer (to exercise client timeouts); the socket is destroyed on close(). */
  hang?: boolean;
  /** Extra response headers (e.g. Retry-After). */
  headers?: Record<string, string>;
  /**
   * Per-request override, given the request's 0-based index: a fault script such as "503 three
   * times, then 202". Whatever it leaves out comes from the fields above.
   */
  respond?: (index: number) => Omit<CollectorBehaviour, 'respond'> | undefined;
}

/** The collector's binary-Thrift HTTP endpoint (POST /api/traces). */
export class FakeCollector extends Receiver {
  readonly #server: http.Server;
  behaviour: CollectorBehaviour = {};
  port = 0;
  /** Requests seen, including refused ones (whose bodies are still decoded into `batches`). */
  requests = 0;
  /** TCP connections accepted (keep-alive makes this much smaller than `requests`). */
  connections = 0;
  /** TCP connections open now, and the most ever open at once. */
  openConnections = 0;
  maxOpenConnections = 0;
  /** Requests whose body arrived but which are not answered yet, and the most at once. */
  pendingRequests = 0;
  maxPendingRequests = 0;
  /** Unanswered requests whose connection the client closed (e.g. at its timeout). */
  abandoned = 0;
  /** Date.now() at each request's arrival. */
  readonly requestTimes: number[] = [];
  readonly #sockets = new Set<import('node:net').Socket>();

  private constructor(server: http.Server) {
    super();
    this.#server = server;
    this.#listen(server);
  }

  #listen(server: http.Server): void {
    server.on('connection', (socket) => {
      this.connections++;
      this.openConnections++;
      this.maxOpenConnections = Math.max(this.maxOpenConnections, this.openConnections);
      this.#sockets.add(socket);
      socket.on('close', () => {
        this.openConnections--;
        this.#sockets.delete(socket);
        this.changes.emit('change');
      });
    });
    server.on('request', (req, res) => {
      const index = this.requests++;
      this.requestTimes.push(Date.now());
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const how = { ...this.behaviour, ...this.behaviour.respond?.(index) };
        const status = how.hang ? undefined : how.status ?? 202;
        const body = Buffer.concat(chunks);
        try {
          const batch = decodeBatch(body);
          this.record({ batch, size: body.length, headers: req.headers, method: req.method, url: req.url, status });
        } catch (err) {
          this.record(err as Error);
        }
        if (status === undefined) {
          this.pendingRequests++;
          this.maxPendingRequests = Math.max(this.maxPendingRequests, this.pendingRequests);
          res.on('close', () => {
            this.pendingRequests--;
            this.abandoned++;
            this.changes.emit('change');
          });
          return;
        }
        res.statusCode = status;
        for (const [k, v] of Object.entries(how.headers ?? {})) res.setHeader(k, v);
        res.end(status >= 400 ? 'refused by the fake collector' : '');
      });
    });
  }

  /** Spans in bodies answered with a 2xx: what a real collector would have stored. */
  get acceptedSpans(): DecodedSpan[] {
    return this.batches.filter((b) => b.status !== undefined && b.status >= 200 && b.status < 300).flatMap((b) => b.batch.spans);
  }

  /** Stops listening (connections to the port are refused) and drops open connections. */
  refuse(): Promise<void> {
    this.#server.closeAllConnections();
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** Listens again on the same port after refuse(). */
  async resume(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/api/traces`;
  }

  static async start(behaviour: CollectorBehaviour = {}): Promise<FakeCollector> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const collector = new FakeCollector(server);
    collector.behaviour = behaviour;
    collector.port = (server.address() as AddressInfo).port;
    return collector;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    for (const socket of this.#sockets) socket.destroy();
    if (!this.#server.listening) return Promise.resolve();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

const ZERO_ID = '0000000000000000';

/** [vType, decoded value] a JS tag value should arrive as (written from the mapping rules). */
export function expectedTag(value: unknown): [number, unknown] {
  if (typeof value === 'string') return [0, value];
  if (typeof value === 'boolean') return [2, value];
  if (typeof value === 'number') return Number.isSafeInteger(value) ? [3, BigInt(value)] : [1, value];
  if (typeof value === 'bigint') return [3, value];
  if (Buffer.isBuffer(value)) return [4, value];
  if (value instanceof Uint8Array) return [4, Buffer.from(value)];
  if (value instanceof Error) return [0, String(value)];
  return [0, JSON.stringify(value) ?? String(value)];
}

function assertTags(got: DecodedTag[] | undefined, want: readonly Tag[], what: string): void {
  assert.equal(got?.length ?? 0, want.length, `${what}: tag count`);
  want.forEach((tag, i) => {
    const g = got![i];
    const [vType, value] = expectedTag(tag.value);
    assert.equal(g.key, tag.key, `${what}: tag ${i} key`);
    assert.equal(g.vType, vType, `${what}: tag ${tag.key} vType`);
    assert.deepEqual(g.vStr ?? g.vDouble ?? g.vBool ?? g.vLong ?? g.vBinary, value, `${what}: tag ${tag.key} value`);
  });
}

/** Checks every field of a span that crossed the wire against the span as the tracer recorded it. */
export function assertWireSpan(got: DecodedSpan, span: FinishedSpan): void {
  const c = span.spanContext;
  const what = `span ${span.operationName}`;
  const traceId = c.traceId.padStart(32, '0');
  assert.equal(got.traceIdHigh, traceId.slice(0, 16), `${what}: traceIdHigh`);
  assert.equal(got.traceIdLow, traceId.slice(16), `${what}: traceIdLow`);
  assert.equal(got.spanId, c.spanId, `${what}: spanId`);
  assert.equal(got.parentSpanId, c.parentId || ZERO_ID, `${what}: parentSpanId`);
  assert.equal(got.operationName, span.operationName, `${what}: operationName`);
  assert.equal(got.flags, c.flags, `${what}: flags`);
  assert.equal(got.startTime, BigInt(Math.round(span.startTime)), `${what}: startTime`);
  assert.equal(got.duration, BigInt(Math.round(span.duration)), `${what}: duration`);
  const refs = span.references.map((r) => {
    const t = r.context.traceId.padStart(32, '0');
    return { refType: r.type === 'follows_from' ? 1 : 0, traceIdHigh: t.slice(0, 16), traceIdLow: t.slice(16), spanId: r.context.spanId };
  });
  assert.deepEqual(got.references ?? [], refs, `${what}: references`);
  assertTags(got.tags, span.tags, what);
  assert.equal(got.logs?.length ?? 0, span.logs.length, `${what}: log count`);
  span.logs.forEach((log, i) => {
    assert.equal(got.logs![i].timestamp, BigInt(Math.round(log.timestamp)), `${what}: log ${i} timestamp`);
    assertTags(got.logs![i].fields, log.fields, `${what} log ${i}`);
  });
}

/** Checks the decoded Process against the tracer's. */
export function assertWireProcess(got: DecodedProcess | undefined, process: ProcessInfo): void {
  assert.ok(got, 'a process arrived');
  assert.equal(got.serviceName, process.serviceName);
  assertTags(got.tags, process.tags, 'process');
}
