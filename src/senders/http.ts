import * as http from 'node:http';
import type * as https from 'node:https';
import { BatchingSender } from './batching-sender';
import { runUntraced } from '../context/suppress';
import { log, type Logger } from '../log';

export interface HttpSenderOptions {
  /** Collector URL, e.g. http://localhost:14268/api/traces (http or https). */
  endpoint: string;
  /** Basic auth user (with `password`); credentials in the URL are used when these are unset. */
  user?: string;
  password?: string;
  /** Bearer token; wins over user/password. */
  authToken?: string;
  /** Whole-request deadline. Default 5000 ms. */
  timeoutMs?: number;
  /** Largest request body. Default 1 MiB. */
  maxBatchBytes?: number;
  /** Extra request headers (ours win for Content-Type, Content-Length and a configured auth). */
  headers?: Record<string, string>;
  logger?: Logger;
}

// 5 s: what the reference Go client allows an HTTP send; longer only delays shutdown behind a
// collector that hangs, shorter fails batches on a slow but healthy one.
export const DEFAULT_HTTP_TIMEOUT_MS = 5000;
// 1 MiB: nginx's default client_max_body_size, the proxy most often in front of a collector. A
// 1 s flush interval rarely gets near it, and it bounds the memory one batch can hold.
export const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;
// Two requests in flight at most; idle sockets are closed before the usual 5 s server keep-alive
// timeout (Node's default) can close them under a request.
const MAX_SOCKETS = 2;
const IDLE_SOCKET_TIMEOUT_MS = 4000;

type Done = (err?: Error | null) => void;

/**
 * Sends spans straight to a Jaeger collector: one binary-Thrift Batch per POST. Idle keep-alive
 * sockets and timers never hold the process open; credentials never appear in logs or errors.
 */
export class HttpSender extends BatchingSender {
  /** The endpoint without credentials or query: what logs and errors may show. */
  readonly endpoint: string;
  readonly timeoutMs: number;
  readonly maxBatchBytes: number;
  readonly #url: URL;
  readonly #request: typeof http.request;
  readonly #agent: http.Agent;
  readonly #headers: Record<string, string>;

  constructor(options: HttpSenderOptions) {
    let url: URL;
    try {
      url = new URL(options.endpoint);
    } catch {
      throw new Error('the collector endpoint is not a valid URL'); // never echo: it may hold credentials
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`the collector endpoint must be http or https, not ${url.protocol}`);
    }
    const user = options.user ?? (url.username !== '' ? decodeURIComponent(url.username) : undefined);
    const password = options.password ?? decodeURIComponent(url.password);
    url.username = '';
    url.password = '';

    const headers: Record<string, string> = { ...options.headers };
    headers['Content-Type'] = 'application/x-thrift';
    if (options.authToken) headers.Authorization = `Bearer ${options.authToken}`;
    else if (user !== undefined && user !== '') {
      headers.Authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    }
    for (const [name, value] of Object.entries(headers)) {
      try {
        http.validateHeaderName(name);
        http.validateHeaderValue(name, value);
      } catch {
        throw new Error(`invalid value for the collector request header ${JSON.stringify(name)}`);
      }
    }

    const maxBatchBytes = Math.max(4096, positive(options.maxBatchBytes, DEFAULT_MAX_BATCH_BYTES));
    super({
      protocol: 'binary',
      envelope: false,
      maxFrameBytes: maxBatchBytes,
      capacity: Math.min(maxBatchBytes + 8192, 64 * 1024),
      // The socket may still read a body after the response (early answers, timeouts): no reuse.
      recycle: false,
      logger: options.logger ?? log,
    });
    this.#url = url;
    this.endpoint = url.origin + url.pathname;
    this.timeoutMs = positive(options.timeoutMs, DEFAULT_HTTP_TIMEOUT_MS);
    this.maxBatchBytes = maxBatchBytes;
    this.#headers = headers;

    // https (and tls) load only when a collector actually uses it.
    const transport: typeof http | typeof https = url.protocol === 'https:' ? require('node:https') : http;
    this.#request = transport.request as typeof http.request;
    this.#agent = new transport.Agent({
      keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS, timeout: IDLE_SOCKET_TIMEOUT_MS,
    });
  }

  protected transmit(frame: Buffer, done: Done): void {
    this.#post(frame, done, false);
  }

  protected release(): void {
    this.#agent.destroy();
  }

  #post(body: Buffer, done: Done, retried: boolean): void {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done(err);
    };
    const options: http.RequestOptions = {
      method: 'POST',
      agent: this.#agent,
      headers: { ...this.#headers, 'Content-Length': String(body.length) },
    };
    // Our own request must never become a span of the instrumented http module.
    const req = runUntraced(() => {
      const r = this.#request(this.#url, options);
      r.end(body);
      return r;
    });
    // The deadline covers the whole exchange; the in-flight request keeps the process alive until
    // it ends (so an exit flush is delivered), but this timer never does.
    timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    timer.unref();

    req.on('error', (err: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed meanwhile: retry once on a fresh one (Node's advice).
      if (!settled && !retried && req.reusedSocket && err.code === 'ECONNRESET') {
        settled = true;
        clearTimeout(timer);
        this.#post(body, done, true);
        return;
      }
      settle(new Error(`POST ${this.endpoint} failed: ${err.message}`));
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        res.resume();
        settle();
        return;
      }
      // Keep a little of the answer: the collector says why it refused (e.g. a malformed body).
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (text.length < 200) text += chunk;
      });
      res.on('close', () => {
        const detail = text.trim().slice(0, 200);
        settle(new Error(`POST ${this.endpoint}: HTTP ${status} ${res.statusMessage ?? ''}${detail ? ` (${detail})` : ''}`));
      });
    });
  }
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}
