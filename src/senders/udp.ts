import * as dgram from 'node:dgram';
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP } from 'node:net';
import { BatchingSender } from './batching-sender';
import { log, type Logger } from '../log';

/** dns.lookup with `{ all: true }`: the shape of a lookup a test may inject. */
export type LookupAll = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export interface UdpSenderOptions {
  /** Agent host name or IP literal. Default 'localhost' (resolved to IPv4 when it has one). */
  host?: string;
  /** Agent port for compact Thrift. Default 6831. */
  port?: number;
  /** Largest datagram sent, everything included. Default 65000 (the agent's read buffer). */
  maxPacketSize?: number;
  logger?: Logger;
  /** Resolves the host, once; defaults to dns.lookup. */
  lookup?: LookupAll;
}

export const DEFAULT_AGENT_HOST = 'localhost';
export const DEFAULT_AGENT_PORT = 6831;
export const DEFAULT_MAX_PACKET_SIZE = 65000;

type Done = (err?: Error | null) => void;

/**
 * Sends spans to a Jaeger agent as Agent.emitBatch messages in compact Thrift, one per datagram.
 * The socket is created on the first send, connected to the agent's address (resolved once) and
 * unref'd; send failures are counted as 'send_error', never thrown.
 */
export class UdpSender extends BatchingSender {
  readonly host: string;
  readonly port: number;
  readonly maxPacketSize: number;
  readonly #logger: Logger;
  readonly #lookup: LookupAll;
  #address: { address: string; family: number } | undefined;
  #socket: dgram.Socket | undefined;
  #opening = false;
  #released = false;
  #waiting: Array<{ frame: Buffer; done: Done }> = [];

  constructor(options: UdpSenderOptions = {}) {
    const max = options.maxPacketSize;
    const maxPacketSize = typeof max === 'number' && max >= 512 && max <= 65507 ? Math.floor(max) : DEFAULT_MAX_PACKET_SIZE;
    const logger = options.logger ?? log;
    super({ protocol: 'compact', envelope: true, maxFrameBytes: maxPacketSize, recycle: true, logger });
    this.host = stripBrackets(options.host || DEFAULT_AGENT_HOST);
    this.port = validPort(options.port) ? options.port : DEFAULT_AGENT_PORT;
    this.maxPacketSize = maxPacketSize;
    this.#logger = logger;
    this.#lookup = options.lookup ?? (dnsLookup as LookupAll);
    // Resolve and connect now, not at the first send: a process that calls process.exit() soon
    // after its first spans can then still hand them to the connected socket synchronously.
    this.#open();
  }

  /** The agent's resolved IP address, once the first send has looked it up. */
  get agentAddress(): string | undefined {
    return this.#address?.address;
  }

  protected release(): void {
    this.#released = true;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined) closeQuietly(socket);
  }

  protected transmit(frame: Buffer, done: Done): boolean {
    const socket = this.#socket;
    if (socket !== undefined) {
      try {
        socket.send(frame, done);
        // The socket is connected, so Node handed the datagram to libuv at once; with nothing in
        // libuv's send queue the kernel took it synchronously and the frame is no longer read.
        return typeof socket.getSendQueueCount === 'function' && socket.getSendQueueCount() === 0;
      } catch (err) {
        process.nextTick(done, err as Error); // e.g. a socket closed under us: count, never throw
      }
      return false;
    }
    this.#waiting.push({ frame, done });
    if (!this.#opening) this.#open();
    return false;
  }

  #open(): void {
    this.#opening = true;
    if (this.#address !== undefined) {
      this.#connect(this.#address.address, this.#address.family);
      return;
    }
    resolveAgent(this.host, this.#lookup, (err, address, family) => {
      if (err) {
        this.#opening = false;
        this.#failWaiting(new Error(`cannot resolve agent host '${this.host}': ${err.message}`));
        return;
      }
      this.#address = { address, family };
      this.#logger.debug('agent %s resolved to %s', this.host, address);
      this.#connect(address, family);
    });
  }

  // A connected socket: the kernel routes once, and an agent that is not listening shows up as
  // ECONNREFUSED on a later send instead of datagrams vanishing silently.
  #connect(address: string, family: number): void {
    let socket: dgram.Socket;
    try {
      socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    } catch (err) {
      this.#opening = false;
      this.#failWaiting(err as Error);
      return;
    }
    socket.unref();
    let connecting = true;
    const fail = (err: Error): void => {
      connecting = false;
      this.#opening = false;
      closeQuietly(socket);
      this.#failWaiting(err);
    };
    // Errors outside send callbacks (bind failures, late socket faults) must never go unhandled.
    socket.on('error', (err) => {
      this.#logger.debug('agent socket error: %s', err.message);
      if (connecting) return fail(err);
      if (this.#socket === socket) this.#socket = undefined; // the next send reconnects
      closeQuietly(socket);
    });
    const connected = (err?: Error): void => {
      if (!connecting) return;
      if (err) return fail(new Error(`cannot connect to agent ${address}:${this.port}: ${err.message}`));
      if (this.#released) return fail(new Error('sender closed')); // closed while connecting
      connecting = false;
      this.#opening = false;
      this.#socket = socket;
      const waiting = this.#waiting;
      this.#waiting = [];
      for (const { frame, done } of waiting) this.transmit(frame, done);
    };
    try {
      socket.connect(this.port, address, connected as () => void);
    } catch (err) {
      fail(err as Error);
    }
  }

  #failWaiting(err: Error): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const { done } of waiting) done(err);
  }
}

/** IPv4 unless the host is an IPv6 literal or has only IPv6 addresses. */
function resolveAgent(
  host: string,
  lookup: LookupAll,
  callback: (err: Error | null, address: string, family: number) => void,
): void {
  const literal = isIP(host);
  if (literal !== 0) {
    process.nextTick(callback, null, host, literal);
    return;
  }
  try {
    lookup(host, { all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = Array.isArray(addresses) ? addresses : [];
      const pick = list.find((a) => a.family === 4) ?? list.find((a) => a.family === 6);
      if (pick === undefined) return callback(new Error('no address found'), '', 0);
      callback(null, pick.address, pick.family);
    });
  } catch (err) {
    process.nextTick(callback, err as Error, '', 0);
  }
}

function closeQuietly(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function validPort(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536;
}
