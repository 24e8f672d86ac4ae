import * as http from 'node:http';
import * as https from 'node:https';
import { performance } from 'node:perf_hooks';
import { boundedGet } from './bounded-get';
import type { Sampler, SamplingDecision } from './sampler';
import { ProbabilisticSampler } from './probabilistic';
import { DEFAULT_MAX_OPERATIONS } from './per-operation';
import { applyStrategy, parseStrategy, strategyProblem, type SamplingStrategy } from './strategy';
import { Metrics, type Counter } from '../metrics/metrics';
import { log, type Logger } from '../log';
import { runInScope, type Scope } from '../context/scope-manager';
import { SAMPLER_TYPE_REMOTE } from '../tracer/constants';

export interface RemoteSamplerOptions {
  /** Sent as the `service` query parameter. */
  serviceName: string;
  /** The sampling endpoint without the query. Default: the local agent, 'http://localhost:5778/sampling'. */
  samplingUrl?: string;
  /** Time between polls. Default 60000 (the reference clients' default). */
  refreshIntervalMs?: number;
  /** Decides until the first strategy arrives, and for as long as none does. Default: probabilistic 0.001. */
  initialSampler?: Sampler;
  /** Cap for per-operation strategies. Default 2000. */
  maxOperations?: number;
  /** Deadline for a whole poll (connect, answer and body). Default 5000, never above refreshIntervalMs. */
  requestTimeoutMs?: number;
  /** Milliseconds from a monotonic clock, for rate-limiting warnings; injectable for tests. */
  now?: () => number;
  metrics?: Metrics;
  logger?: Logger;
  /** Called after every poll, successful or not; for tests and diagnostics. */
  onUpdate?: (sampler: RemoteSampler) => void;
}

export const DEFAULT_SAMPLING_URL = 'http://localhost:5778/sampling';
export const DEFAULT_REFRESH_INTERVAL_MS = 60_000;
export const MIN_REFRESH_INTERVAL_MS = 100;
/** Jaeger's own default strategy. */
export const DEFAULT_INITIAL_SAMPLING_RATE = 0.001;

export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
// A per-operation answer for 2,000 operations is about 200 kB; anything far larger is not a
// strategy, and reading it would only cost memory.
export const MAX_BODY_BYTES = 1024 * 1024;
/** A kind of failure is warned about at most this often; repeats in between go to debug. */
export const WARN_INTERVAL_MS = 60_000;
// setTimeout fires at once for delays beyond a signed 32-bit number of milliseconds.
const MAX_TIMER_MS = 2 ** 31 - 1;

type FailureKind = 'url' | 'query' | 'parse' | 'update' | 'operations';

const positive = (v: unknown): v is number => typeof v === 'number' && v > 0;
// Polls run in a scope of their own: a tracer created lazily inside a request would otherwise chain
// that request's span through every later timer and socket callback, for the life of the process.
const POLL_SCOPE: Scope = Object.freeze({ untraced: true as const });

function queryUrl(base: string, serviceName: string): URL {
  const url = new URL(base);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported protocol ${url.protocol}`);
  url.searchParams.set('service', serviceName);
  return url;
}

/**
 * Asks a Jaeger sampling manager (the agent's /sampling or the collector's /api/sampling) for this
 * service's strategy, now and every `refreshIntervalMs`, and samples with it. Until an answer
 * arrives, and whenever the manager is unreachable or answers nonsense, the current sampler stays.
 * Never throws; one poll at a time, each bounded in time and size; nothing keeps the process alive.
 */
export class RemoteSampler implements Sampler {
  readonly type = SAMPLER_TYPE_REMOTE;
  readonly serviceName: string;
  readonly refreshIntervalMs: number;
  /** Deadline for one poll; never longer than refreshIntervalMs, so a hung manager cannot stack polls. */
  readonly requestTimeoutMs: number;
  readonly #url: URL | undefined;
  readonly #agent: http.Agent | undefined;
  readonly #maxOperations: number;
  readonly #metrics: Metrics;
  readonly #logger: Logger;
  readonly #onUpdate: ((sampler: RemoteSampler) => void) | undefined;
  readonly #now: () => number;
  // Kinds warned about since the last good poll (one warning per outage), and when each last was
  // (a manager flapping between good and bad stays quiet too).
  readonly #warned = new Set<FailureKind>();
  readonly #warnedAt = new Map<FailureKind, number>();
  #sampler: Sampler;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #cancel: (() => void) | undefined;
  #closed = false;

  constructor(options: RemoteSamplerOptions) {
    this.serviceName = String(options.serviceName);
    this.#logger = options.logger ?? log;
    const interval = options.refreshIntervalMs;
    // The floor keeps a typo (1 for 1 s) from polling the manager in a tight loop.
    this.refreshIntervalMs = positive(interval)
      ? Math.min(Math.max(interval, MIN_REFRESH_INTERVAL_MS), MAX_TIMER_MS) : DEFAULT_REFRESH_INTERVAL_MS;
    if (positive(interval) && interval < MIN_REFRESH_INTERVAL_MS) this.#guard(() => this.#logger.warn(
      'remote sampler: refresh interval %d ms is too short; polling every %d ms', interval, MIN_REFRESH_INTERVAL_MS));
    const timeout = options.requestTimeoutMs;
    this.requestTimeoutMs = Math.min(positive(timeout) ? timeout : DEFAULT_REQUEST_TIMEOUT_MS, this.refreshIntervalMs);
    this.#now = options.now ?? (() => performance.now());
    this.#sampler = options.initialSampler ?? new ProbabilisticSampler(DEFAULT_INITIAL_SAMPLING_RATE);
    this.#maxOperations = options.maxOperations ?? DEFAULT_MAX_OPERATIONS;
    this.#metrics = options.metrics ?? new Metrics();
    this.#onUpdate = options.onUpdate;
    const base = options.samplingUrl ?? DEFAULT_SAMPLING_URL;
    try {
      this.#url = queryUrl(base, this.serviceName);
      // Our own agent: no keep-alive (one request a minute gains nothing from it) and no sharing of
      // the global agent's pool with the application.
      const Agent = this.#url.protocol === 'https:' ? https.Agent : http.Agent;
      this.#agent = new Agent({ keepAlive: false, maxSockets: 1 });
    } catch (err) {
      this.#warnFailure('url', 'remote sampler: invalid sampling URL %s (%s); keeping the initial sampler', base, err);
      return;
    }
    // The first poll comes right after the caller's synchronous code, then every refreshIntervalMs.
    runInScope(POLL_SCOPE, () => this.#schedule(0));
  }

  /** The sampler deciding now: the initial one until a strategy has been applied. */
  get currentSampler(): Sampler {
    return this.#sampler;
  }

  /** The full URL polled, with the service query; undefined when the configured URL is invalid. */
  get samplingUrl(): string | undefined {
    return this.#url?.href;
  }

  sample(operationName: string): SamplingDecision {
    return this.#sampler.sample(operationName);
  }

  /**
   * Polls the sampling manager once now. Resolves when the poll has been handled (never rejects);
   * while a poll is running, returns that poll's promise.
   */
  refresh(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#inFlight !== undefined) return this.#inFlight;
    // A poll can end synchronously (no URL, a throwing http.get): then the slot stays empty, or a
    // settled promise would sit in it and every later refresh would return it without polling.
    let ended = false;
    let poll: Promise<void> | undefined = undefined;
    poll = new Promise<void>((resolve) => runInScope(POLL_SCOPE, () =>
      this.#poll(() => {
        ended = true;
        if (this.#inFlight === poll) this.#inFlight = undefined;
        resolve();
      }),
    ));
    if (!ended) this.#inFlight = poll;
    return poll;
  }

  /** Stops polling, aborts a poll in flight and closes the current sampler. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#cancel?.();
    this.#agent?.destroy();
    this.#sampler.close();
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.refresh().then(() => {
        if (!this.#closed) this.#schedule(this.refreshIntervalMs);
      });
    }, delayMs);
    this.#timer.unref();
  }

  #poll(done: () => void): void {
    const url = this.#url;
    let over = false;
    // Every path ends here exactly once; after close() the outcome is dropped unrecorded.
    const finish = (outcome?: () => void): void => {
      if (over) return;
      over = true;
      this.#cancel = undefined;
      if (!this.#closed) {
        this.#guard(outcome);
        this.#guard(this.#onUpdate === undefined ? undefined : () => this.#onUpdate?.(this));
      }
      done();
    };
    // The bad URL was warned about at construction; each poll only counts.
    if (url === undefined) return finish(() => this.#metrics.samplerQueryFailure.increment());
    const options = { agent: this.#agent, timeoutMs: this.requestTimeoutMs, maxBytes: MAX_BODY_BYTES };
    const cancel = boundedGet(url, options, (result) =>
      finish(() => result.ok ? this.#apply(result.body) : this.#fail('query', this.#metrics.samplerQueryFailure,
        'remote sampler: cannot query %s (%s); keeping the current sampler', url.href, result.reason)));
    // close() ends the request; the pending refresh resolves with nothing recorded.
    if (!over) this.#cancel = () => {
      cancel();
      finish();
    };
  }

  #apply(body: string): void {
    this.#metrics.samplerRetrieved.increment();
    let strategy: SamplingStrategy;
    try {
      strategy = parseStrategy(body);
    } catch (err) {
      return this.#fail('parse', this.#metrics.samplerParsingFailure,
        'remote sampler: cannot read the strategy from %s (%s); keeping the current sampler',
        this.#url?.href, err instanceof Error ? err.message : err);
    }
    const problem = strategyProblem(strategy);
    if (problem !== undefined) {
      return this.#fail('update', this.#metrics.samplerUpdateFailure,
        'remote sampler: cannot apply the strategy from %s (%s); keeping the current sampler', this.#url?.href, problem);
    }
    const listed = strategy.kind === 'peroperation' ? strategy.operationSampling.perOperationStrategies.length : 0;
    if (listed > this.#maxOperations) this.#warnFailure('operations', 'remote sampler: the strategy from %s lists %d '
      + 'operations; the first %d get a sampler, the default decides the rest', this.#url?.href, listed, this.#maxOperations);
    const previous = this.#sampler;
    let next: ReturnType<typeof applyStrategy>;
    try {
      next = applyStrategy(previous, strategy, this.#maxOperations);
    } catch (err) {
      return this.#fail('update', this.#metrics.samplerUpdateFailure,
        'remote sampler: cannot apply the strategy from %s (%s); keeping the current sampler', this.#url?.href, err);
    }
    const { sampler, changed } = next;
    if (sampler !== previous) {
      this.#sampler = sampler;
      previous.close();
    }
    if (changed) {
      this.#metrics.samplerUpdated.increment();
      this.#logger.debug('remote sampler: now sampling with %s strategy %j', strategy.kind, strategy);
    }
    // A good answer ends the outage; an over-long operation list is no outage and is told once.
    for (const kind of this.#warned) if (kind !== 'operations') this.#warned.delete(kind);
  }

  #fail(kind: FailureKind, counter: Counter, msg: string, ...args: unknown[]): void {
    counter.increment();
    this.#warnFailure(kind, msg, ...args);
  }

  // Once per outage and at most once per WARN_INTERVAL_MS per kind. A warning held back by the
  // interval leaves the outage unmarked, so one that outlasts the interval is still warned about.
  #warnFailure(kind: FailureKind, msg: string, ...args: unknown[]): void {
    const now = this.#now();
    const last = this.#warnedAt.get(kind);
    const loud = !this.#warned.has(kind) && (last === undefined || now - last >= WARN_INTERVAL_MS);
    if (loud) {
      this.#warned.add(kind);
      this.#warnedAt.set(kind, now);
    }
    this.#guard(() => (loud ? this.#logger.warn(msg, ...args) : this.#logger.debug(msg, ...args)));
  }

  /** Runs `fn` from a socket or timer callback, where a throw would crash the application. */
  #guard(fn: (() => void) | undefined): void {
    if (fn === undefined) return;
    try {
      fn();
    } catch (err) {
      try {
        this.#logger.debug('remote sampler: ignored error %s', err);
      } catch {
        // A logger that throws has nowhere left to report to.
      }
    }
  }
}
