import type { Reporter } from './reporter';
import type { DropReason, Sender, SenderEvents } from '../senders/sender';
import type { FinishedSpan, ProcessInfo } from '../tracer/finished-span';
import { Metrics } from '../metrics/metrics';
import { createRateLimitedWarn, log, type Logger } from '../log';

export interface RemoteReporterOptions {
  /** How often buffered spans are sent (JAEGER_REPORTER_FLUSH_INTERVAL). Default 1000 ms. */
  flushIntervalMs?: number;
  /** Spans held (buffered or in flight) before new ones are dropped. Default 2048. */
  maxQueueSize?: number;
  metrics?: Metrics;
  logger?: Logger;
}

/** Per-reason drop counts plus the totals the accounting identity needs. */
export interface ReporterStats {
  reported: number;
  sent: number;
  dropped: Record<DropReason, number>;
  queued: number;
}

const DROP_WARN_INTERVAL_MS = 60_000;

/**
 * Hands sampled spans to a sender (which encodes each one at once) under a bounded queue, and
 * flushes on an unref'd timer so the tracer never keeps the process alive.
 */
export class RemoteReporter implements Reporter {
  readonly #sender: Sender;
  readonly #maxQueueSize: number;
  readonly #metrics: Metrics;
  readonly #logger: Logger;
  readonly #warn: (key: string, msg: string, ...args: unknown[]) => void;
  readonly #timer: NodeJS.Timeout;
  readonly #stats: ReporterStats = {
    reported: 0, sent: 0, queued: 0,
    dropped: { queue_full: 0, too_large: 0, send_error: 0, shutdown: 0 },
  };
  #closed: Promise<void> | undefined;

  constructor(sender: Sender, options: RemoteReporterOptions = {}) {
    this.#sender = sender;
    this.#maxQueueSize = positive(options.maxQueueSize, 2048);
    this.#metrics = options.metrics ?? new Metrics();
    this.#logger = options.logger ?? log;
    this.#warn = createRateLimitedWarn(this.#logger, DROP_WARN_INTERVAL_MS);
    const events: SenderEvents = {
      onSent: (count) => {
        this.#stats.sent += count;
        this.#metrics.reporterSuccess.increment(count);
      },
      onDropped: (count, reason, error) => this.#dropped(count, reason, error),
    };
    sender.setEvents(events);
    this.#timer = setInterval(() => this.#flushQuietly(), positive(options.flushIntervalMs, 1000));
    this.#timer.unref();
  }

  setProcess(process: ProcessInfo): void {
    this.#sender.setProcess(process);
  }

  report(span: FinishedSpan): void {
    if (this.#closed !== undefined) return;
    this.#stats.reported++;
    if (this.#sender.queued >= this.#maxQueueSize) {
      this.#dropped(1, 'queue_full');
      this.#sender.noteDropped?.(1, 'queue_full'); // so the agent's ClientStats see it too
      return;
    }
    try {
      this.#sender.append(span);
    } catch (err) {
      // An encoder fault must cost one span, never the caller's finish().
      this.#dropped(1, 'send_error', err as Error);
    }
  }

  /** A snapshot of what became of every reported span. */
  stats(): ReporterStats {
    const s = this.#stats;
    return { reported: s.reported, sent: s.sent, dropped: { ...s.dropped }, queued: this.#sender.queued };
  }

  flush(): Promise<void> {
    this.#metrics.reporterQueueLength.update(this.#sender.queued);
    return this.#sender.flush();
  }

  close(): Promise<void> {
    if (this.#closed === undefined) {
      clearInterval(this.#timer);
      this.#closed = this.#sender.close().catch((err) => {
        this.#logger.warn('closing the span sender failed: %s', err?.message ?? err);
      });
    }
    return this.#closed;
  }

  #flushQuietly(): void {
    this.flush().catch((err) => this.#logger.debug('flush failed: %s', err?.message ?? err));
  }

  #dropped(count: number, reason: DropReason, error?: Error): void {
    this.#stats.dropped[reason] += count;
    if (reason === 'send_error') this.#metrics.reporterFailure.increment(count);
    else this.#metrics.reporterDropped.increment(count);
    if (reason === 'shutdown') return; // spans after close are dropped silently
    this.#warn(reason, 'dropped %d span(s): %s%s', count, reason, error ? ` (${error.message})` : '');
  }
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}
