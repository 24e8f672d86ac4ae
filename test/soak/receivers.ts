// Fault-injecting collector for the soak scenarios (127.0.0.1 only). One port for its whole life, in
// one of three modes that can change at any time:
//   ok      answer every POST with 202 and decode its binary-Thrift Batch
//   hang    read the body, decode it, never answer (the client must give up at its timeout)
//   refuse  nothing listens on the port: connections are refused by the kernel
// It counts TCP connections open at once (the sender's concurrency) and how long each lived.
import * as http from 'node:http';
import type { Socket } from 'node:net';
import { decodeBatch } from '../helpers/thrift-decode';

export type CollectorMode = 'ok' | 'hang' | 'refuse';

export class SoakCollector {
  readonly #server = http.createServer();
  readonly #sockets = new Set<Socket>();
  #mode: CollectorMode = 'ok';
  #listening = false;
  port = 0;
  /** Spans decoded from request bodies (answered or not). */
  spans = 0;
  requests = 0;
  decodeErrors = 0;
  openConnections = 0;
  maxOpenConnections = 0;
  /** Longest a connection stayed open before the client closed it (ms), in hang mode. */
  maxHangMs = 0;
  /** Hung connections the client has closed. */
  hangsEnded = 0;
  /** Time of the first request that arrived after the last switch to 'ok'. */
  firstAfterRecovery: number | undefined;
  #recoveredAt: number | undefined;
  readonly #waiters = new Set<() => void>();
  #closing = false;

  constructor() {
    this.#server.on('connection', (socket: Socket) => {
      const opened = Date.now();
      const hanging = this.#mode === 'hang';
      this.#sockets.add(socket);
      this.openConnections++;
      if (this.openConnections > this.maxOpenConnections) this.maxOpenConnections = this.openConnections;
      socket.on('close', () => {
        this.#sockets.delete(socket);
        this.openConnections--;
        if (!hanging || this.#closing) return;
        this.hangsEnded++;
        this.maxHangMs = Math.max(this.maxHangMs, Date.now() - opened);
        this.#changed();
      });
    });
    this.#server.on('request', (req, res) => {
      this.requests++;
      if (this.#recoveredAt !== undefined && this.firstAfterRecovery === undefined) this.firstAfterRecovery = Date.now();
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          this.spans += decodeBatch(Buffer.concat(chunks)).spans.length;
        } catch {
          this.decodeErrors++;
        }
        this.#changed();
        if (this.#mode === 'hang') return;
        res.statusCode = 202;
        res.end();
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/api/traces`;
  }

  get mode(): CollectorMode {
    return this.#mode;
  }

  async start(): Promise<this> {
    await this.#listen(0);
    this.port = (this.#server.address() as { port: number }).port;
    return this;
  }

  /** Switches mode; 'refuse' closes the listening socket and every connection, 'ok' listens again. */
  async setMode(mode: CollectorMode): Promise<void> {
    const was = this.#mode;
    this.#mode = mode;
    if (mode === 'refuse' && this.#listening) {
      this.#listening = false;
      const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      for (const s of this.#sockets) s.destroy();
      await closed;
    } else if (mode !== 'refuse' && !this.#listening) {
      await this.#listen(this.port);
    }
    if (mode === 'ok' && was !== 'ok') {
      this.#recoveredAt = Date.now();
      this.firstAfterRecovery = undefined;
    }
  }

  /** Resolves with true once `predicate` holds (checked on every arrival and close), or false after `timeoutMs`. */
  waitUntil(predicate: (c: this) => boolean, timeoutMs: number): Promise<boolean> {
    if (predicate(this)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!predicate(this)) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => { this.#waiters.delete(check); resolve(false); }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  waitForSpans(n: number, timeoutMs: number): Promise<boolean> {
    return this.waitUntil((c) => c.spans >= n, timeoutMs);
  }

  #changed(): void {
    for (const w of [...this.#waiters]) w();
  }

  async close(): Promise<void> {
    this.#closing = true; // our own teardown is not the client giving up
    for (const s of this.#sockets) s.destroy();
    if (this.#listening) {
      this.#listening = false;
      await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    }
  }

  #listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        this.#listening = true;
        resolve();
      });
    });
  }
}
