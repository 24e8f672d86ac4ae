// Tees the demo's span traffic: every UDP datagram or HTTP body the services send is passed on
// verbatim to the demo's own receiver (which decodes it to print the trees) and to the user's
// Jaeger, so what Jaeger shows is byte for byte what the terminal shows. Only used when the user
// names a Jaeger with JAEGER_AGENT_HOST or JAEGER_ENDPOINT.
import * as dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';

/** What was passed on to the user's Jaeger, for the closing summary. */
abstract class Relay {
  /** Datagrams or bodies received from the services. */
  received = 0;
  bytes = 0;
  /** Delivered upstream: datagrams handed to the kernel, or bodies answered with a 2xx. */
  delivered = 0;
  readonly failures = new Map<string, number>();
  readonly #pending = new Set<Promise<void>>();

  /** Where the spans go, credentials left out. */
  abstract readonly target: string;
  /** The host whose Jaeger UI (port 16686, all-in-one) should show the traces. */
  uiHost = 'localhost';

  protected track(send: Promise<void>): void {
    const p = send.then(() => { this.delivered++; }, (err: Error) => {
      this.failures.set(err.message, (this.failures.get(err.message) ?? 0) + 1);
    }).finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  /** Resolves once every upstream send has succeeded or failed (each is bounded). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** What one transmission is called, singular and plural. */
  protected abstract readonly unit: readonly [string, string];
  protected abstract readonly verb: string;

  /** `<target>: 3 of 3 datagrams sent (6451 bytes)`, then one line per kind of failure. */
  summary(): string {
    const units = this.unit[this.received === 1 ? 0 : 1];
    const line = `${this.target}: ${this.delivered} of ${this.received} ${units} ${this.verb} (${this.bytes} bytes)`;
    return line + [...this.failures].map(([m, n]) => `\n  ${n} failed: ${m}`).join('');
  }
}

/** UDP: services → this socket → the demo's agent and the user's agent. */
export class UdpRelay extends Relay {
  readonly target: string;
  protected readonly unit = ['datagram', 'datagrams'] as const;
  // Handed to the kernel: UDP has no acknowledgement, so an agent that is down goes unnoticed.
  protected readonly verb = 'sent';
  port = 0;
  readonly #in = dgram.createSocket('udp4');
  #out: dgram.Socket | undefined;

  private constructor(readonly localPort: number, readonly host: string, readonly upstreamPort: number) {
    super();
    this.target = `the Jaeger agent at ${host}:${upstreamPort} (UDP)`;
    this.uiHost = host;
  }

  static async start(localPort: number, host: string, upstreamPort: number): Promise<UdpRelay> {
    const relay = new UdpRelay(localPort, host, upstreamPort);
    // Resolved once, like the tracer's UDP sender; if it fails every datagram counts as failed.
    const address = await lookup(host).catch((err: Error) => err);
    if (!(address instanceof Error)) {
      relay.#out = dgram.createSocket(address.family === 6 ? 'udp6' : 'udp4');
      relay.#out.on('error', () => {}); // per-send errors arrive through the send callbacks
    }
    relay.#in.on('message', (msg) => {
      relay.received++;
      relay.bytes += msg.length;
      relay.#in.send(msg, localPort, '127.0.0.1');
      relay.track(new Promise((resolve, reject) => {
        if (address instanceof Error) return reject(new Error(`cannot resolve ${host}: ${address.message}`));
        relay.#out!.send(msg, upstreamPort, address.address, (err) => (err ? reject(err) : resolve()));
      }));
    });
    await new Promise<void>((resolve, reject) => {
      relay.#in.once('error', reject);
      relay.#in.bind(0, '127.0.0.1', () => resolve());
    });
    relay.port = (relay.#in.address() as AddressInfo).port;
    return relay;
  }

  async close(): Promise<void> {
    await this.settled();
    await new Promise<void>((resolve) => this.#in.close(() => resolve()));
    if (this.#out) await new Promise<void>((resolve) => this.#out!.close(() => resolve()));
  }
}

// What a collector needs to read and authorise a batch; everything else stays behind.
const FORWARDED = ['content-type', 'authorization'];
const UPSTREAM_TIMEOUT_MS = 5000;

/** HTTP: services POST here → the demo's collector (whose answer they get) and the user's collector. */
export class HttpRelay extends Relay {
  readonly target: string;
  protected readonly unit = ['batch', 'batches'] as const;
  protected readonly verb = 'accepted';
  port = 0;
  readonly #server: http.Server;
  readonly #upstream: URL;

  private constructor(readonly localUrl: string, upstream: string) {
    super();
    this.#upstream = new URL(upstream);
    this.target = `the Jaeger collector at ${this.#upstream.origin}${this.#upstream.pathname} (HTTP)`;
    this.uiHost = this.#upstream.hostname;
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        this.received++;
        this.bytes += body.length;
        const headers: Record<string, string> = {};
        for (const h of FORWARDED) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h] as string;
        this.track(post(this.#upstream, body, headers));
        post(new URL(localUrl), body, headers).then(
          () => res.writeHead(202).end(),
          () => res.writeHead(502).end(),
        );
      });
    });
  }

  static async start(localUrl: string, upstream: string): Promise<HttpRelay> {
    const relay = new HttpRelay(localUrl, upstream);
    await new Promise<void>((resolve, reject) => {
      relay.#server.once('error', reject);
      relay.#server.listen(0, '127.0.0.1', () => resolve());
    });
    relay.port = (relay.#server.address() as AddressInfo).port;
    return relay;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/api/traces`;
  }

  async close(): Promise<void> {
    await this.settled();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** One POST; resolves on a 2xx answer, rejects with a short reason otherwise (bounded in time). */
function post(url: URL, body: Buffer, headers: Record<string, string>): Promise<void> {
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    // agent: false: no keep-alive socket outlives the demo.
    const req = request(url, { method: 'POST', agent: false, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`HTTP ${status} ${res.statusMessage ?? ''}`.trim()));
      });
    });
    req.setTimeout(UPSTREAM_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${UPSTREAM_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
