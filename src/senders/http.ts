import * as http from 'node:http';
import type * as https from 'node:https';
import { BatchingSender } from './batching-sender';
import { SendError } from './sender';
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
  /** Largest request body; a batch this full is sent at once. Default 128 KiB. */
  maxBatchBytes?: number;
  /** First retry delay and its cap (before jitter). Defaults RETRY_BASE_MS, RETRY_MAX_MS. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Bytes of batches kept for a retry while the collector is failing. Default 8 MiB. */
  maxRetainedBytes?: number;
  /** Extra request headers (ours win for Content-Type, Content-Length and a configured auth). */
  headers?: Record<string, string>;
  logger?: Logger;
}

// 5 s: what the reference Go client allows an HTTP send; longer only delays shutdown behind a
// collector that hangs, shorter fails batches on a slow but healthy one.
export const DEFAULT_HTTP_TIMEOUT_MS = 5000;
// 128 KiB (~450 spans): a batch goes out as soon as it is this full, not only at the flush
// interval. With 1 MiB batches a busy service (9,000 spans/s) filled the reporter's 2048-span queue
// between flushes and lost three spans in four; well under nginx's 1 MiB client_max_body_size.
export const DEFAULT_MAX_BATCH_BYTES = 128 * 1024;
// Two requests in flight at most (one while the collector is failing); idle sockets are closed
// before the usual 5 s server keep-alive timeout (Node's default) can close them under a request.
const MAX_IN_FLIGHT = 2;
const IDLE_SOCKET_TIMEOUT_MS = 4000;
// Retry pacing for 502/503/504/408/429 and connection failures: exponential from 250 ms, capped at
// 5 s, each delay jittered to 50–100 % of its value so that many processes do not retry in step. A
// collector back after an outage sees spans again within one flush interval plus at most 5 s.
export const RETRY_BASE_MS = 250;
export const RETRY_MAX_MS = 5000;
// Retry-After is honoured up to this: a collector asking for an hour must not freeze reporting.
export const RETRY_AFTER_MAX_MS = 30_000;
// Batches awaiting a retry are kept (their spans stay queued: an outage shorter than the queue's
// capacity loses nothing) within the reporter's span limit and this many bytes.
export const DEFAULT_MAX_RETAINED_BYTES = 8 * 1024 * 1024;
const RETRYABLE_STATUS = new Set([408, 429, 502, 503, 504]);

type Done = (err?: Error | null) => void;

/** What one POST came to; `retry` says the batch may be sent again (after `retryAfterMs`). */
interface Outcome {
  error?: Error;
  retry?: boolean;
  retryAfterMs?: number;
}

interface Job {
  frame: Buffer;
  done: Done;
  attempts: number;
}

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
  readonly #maxRetainedBytes: number;
  readonly #retryBaseMs: number;
  readonly #retryMaxMs: number;
  readonly #logger: Logger;
  /** Batches waiting for a free request slot or for the retry timer, oldest first. */
  readonly #outbox: Job[] = [];
  #outboxBytes = 0;
  #active = 0;
  /** Consecutive retryable failures; 0 while the collector is healthy. */
  #failures = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryAt = 0;
  #lastError: Error | undefined;
  #released = false;
  /** flush() callers waiting for every batch to have been tried once (see flush). */
  readonly #flushWaiters = new Set<() => void>();

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
      // flush() waits no longer than one request may take; a batch still awaiting a retry then
      // stays queued, and close() counts it as 'shutdown'.
      flushTimeoutMs: positive(options.timeoutMs, DEFAULT_HTTP_TIMEOUT_MS),
    });
    this.#url = url;
    this.endpoint = url.origin + url.pathname;
    this.timeoutMs = positive(options.timeoutMs, DEFAULT_HTTP_TIMEOUT_MS);
    this.maxBatchBytes = maxBatchBytes;
    this.#headers = headers;
    this.#logger = options.logger ?? log;
    this.#retryBaseMs = positive(options.retryBaseMs, RETRY_BASE_MS);
    this.#retryMaxMs = Math.max(this.#retryBaseMs, positive(options.retryMaxMs, RETRY_MAX_MS));
    this.#maxRetainedBytes = positive(options.maxRetainedBytes, DEFAULT_MAX_RETAINED_BYTES);

    // https (and tls) load only when a collector actually uses it.
    const transport: typeof http | typeof https = url.protocol === 'https:' ? require('node:https') : http;
    this.#request = transport.request as typeof http.request;
    this.#agent = new transport.Agent({
      keepAlive: true, maxSockets: MAX_IN_FLIGHT, maxFreeSockets: MAX_IN_FLIGHT, timeout: IDLE_SOCKET_TIMEOUT_MS,
    });
  }

  /**
   * Sends what is buffered and resolves once every batch was sent or has failed an attempt and
   * waits for its retry: a collector that is down must not hold an app's `await flush()` for the
   * whole backoff (the retry timers are unref'd, so a script awaiting that would silently end).
   */
  override flush(): Promise<void> {
    const all = super.flush();
    if (this.#active === 0 && this.#outbox.length === 0) return all;
    if (this.#tried()) return Promise.resolve(); // already parked behind a retry delay
    return new Promise<void>((resolve) => {
      const check = (): void => {
        if (!this.#tried()) return;
        this.#flushWaiters.delete(check);
        resolve();
      };
      this.#flushWaiters.add(check);
      all.then(() => {
        this.#flushWaiters.delete(check);
        resolve();
      });
    });
  }

  /** Nothing on the wire, and what waits is parked behind the retry timer (or nothing waits). */
  #tried(): boolean {
    return this.#active === 0 && (this.#outbox.length === 0 || this.#retryTimer !== undefined);
  }

  /** Requests on the wire now (never more than two). */
  get activeRequests(): number {
    return this.#active;
  }

  /** Batches waiting for a request slot or a retry. */
  get waitingBatches(): number {
    return this.#outbox.length;
  }

  protected transmit(frame: Buffer, done: Done): void {
    if (this.#released) {
      process.nextTick(done, new SendError('the sender is closed', 'shutdown'));
      return;
    }
    if (this.#outboxBytes + frame.length > this.#maxRetainedBytes && this.#outbox.length > 0) {
      // Keep the oldest batches, as the reporter's queue does: the new one has no room.
      process.nextTick(done, new SendError(
        `${this.#outboxBytes} bytes of batches already await a retry (limit ${this.#maxRetainedBytes})`, 'queue_full'));
      return;
    }
    const job: Job = { frame, done, attempts: 0 };
    this.#outbox.push(job);
    this.#outboxBytes += frame.length;
    this.#pump();
    if (this.#outbox.includes(job)) job.frame = compact(frame);
  }

  protected release(): void {
    this.#released = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const left = this.#outbox.splice(0);
    this.#outboxBytes = 0;
    const why = this.#lastError ? ` (last error: ${this.#lastError.message})` : '';
    for (const job of left) job.done(new SendError(`the sender closed before the batch could be sent${why}`, 'shutdown'));
    this.#agent.destroy(); // requests still on the wire end now, counted as 'shutdown'
  }

  // Starts as many waiting batches as the limit allows: two while healthy, one probe while the
  // collector is failing, none while a retry delay runs.
  #pump(): void {
    if (this.#retryTimer !== undefined || this.#released) return;
    const limit = this.#failures > 0 ? 1 : MAX_IN_FLIGHT;
    while (this.#active < limit && this.#outbox.length > 0) {
      const job = this.#outbox.shift()!;
      this.#outboxBytes -= job.frame.length;
      this.#active++;
      this.#post(job.frame, (outcome) => this.#settled(job, outcome), false);
    }
  }

  #settled(job: Job, outcome: Outcome): void {
    this.#active--;
    const { error } = outcome;
    if (error === undefined) {
      this.#failures = 0;
      this.#lastError = undefined;
      job.done();
    } else if (this.#released) {
      const earlier = this.#lastError ? `; before: ${this.#lastError.message}` : '';
      job.done(new SendError(`the sender closed while the batch was being sent (${error.message}${earlier})`, 'shutdown'));
    } else if (outcome.retry) {
      this.#failures++;
      this.#lastError = error;
      job.attempts++;
      job.frame = compact(job.frame);
      this.#outbox.unshift(job); // first in line again: spans keep their order
      this.#outboxBytes += job.frame.length;
      this.#logger.debug('batch of %d bytes failed (attempt %d), will retry: %s', job.frame.length, job.attempts, error.message);
      this.#scheduleRetry(outcome.retryAfterMs);
    } else {
      job.done(error);
    }
    this.#pump();
    for (const check of [...this.#flushWaiters]) check();
  }

  #scheduleRetry(retryAfterMs: number | undefined): void {
    const delay = retryDelayMs(this.#failures, retryAfterMs, Math.random, this.#retryBaseMs, this.#retryMaxMs);
    const at = Date.now() + delay;
    if (this.#retryTimer !== undefined) {
      if (at <= this.#retryAt) return; // a later retry is already set
      clearTimeout(this.#retryTimer);
    }
    this.#retryAt = at;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#pump();
    }, delay);
    this.#retryTimer.unref(); // retries never keep the process alive by themselves
  }

  #post(body: Buffer, done: (outcome: Outcome) => void, retried: boolean): void {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done(outcome);
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
      if (!settled && !retried && !this.#released && req.reusedSocket && err.code === 'ECONNRESET') {
        settled = true;
        clearTimeout(timer);
        this.#post(body, done, true);
        return;
      }
      // No answer (refused, reset, timed out): the collector may be restarting; try again later.
      settle({ error: new Error(`POST ${this.endpoint} failed: ${err.message}`), retry: true });
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        res.resume();
        settle({});
        return;
      }
      const retry = RETRYABLE_STATUS.has(status);
      const retryAfterMs = retry ? parseRetryAfter(res.headers['retry-after']) : undefined;
      // Keep a little of the answer: the collector says why it refused (e.g. a malformed body).
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (text.length < 200) text += chunk;
      });
      res.on('close', () => {
        const detail = text.trim().slice(0, 200);
        const message = `POST ${this.endpoint}: HTTP ${status} ${res.statusMessage ?? ''}${detail ? ` (${detail})` : ''}`;
        // Any other 4xx: the collector refuses this body, and would again.
        const error = !retry && status >= 400 && status < 500 ? new SendError(message, 'rejected') : new Error(message);
        settle({ error, retry, retryAfterMs });
      });
    });
  }
}

/**
 * The wait before retrying after `failures` consecutive failures: RETRY_BASE_MS doubling per
 * failure up to RETRY_MAX_MS, jittered to 50–100 %; a Retry-After (capped) is waited at least.
 */
export function retryDelayMs(
  failures: number, retryAfterMs?: number, random: () => number = Math.random, baseMs = RETRY_BASE_MS, maxMs = RETRY_MAX_MS,
): number {
  const backoff = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(failures, 1) - 1, 30));
  const delay = backoff * (0.5 + random() / 2);
  return retryAfterMs === undefined ? delay : Math.max(delay, Math.min(retryAfterMs, RETRY_AFTER_MAX_MS));
}

/** Retry-After as delta-seconds or an HTTP date, in ms from now; undefined when unusable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (v === undefined || v === '') return undefined;
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, RETRY_AFTER_MAX_MS);
  // HTTP dates in all three of their formats open with a day name; Date.parse alone would take
  // '-1' or '1.5' for years.
  const at = /^[A-Za-z]{3,9},? /.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(at)) return undefined;
  return Math.min(Math.max(0, at - now), RETRY_AFTER_MAX_MS);
}

// A frame kept for a retry may be a small view of a large pooled buffer: keep only its bytes.
function compact(frame: Buffer): Buffer {
  return frame.buffer.byteLength > 2 * frame.length ? Buffer.from(frame) : frame;
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}
