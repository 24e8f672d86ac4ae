import type { Reporter, ReporterStats } from './reporter';
import { DROP_REASONS, type DropReason, type Sender, type SenderEvents } from '../senders/sender';
import type { FinishedSpan, ProcessInfo } from '../tracer/finished-span';
import { Metrics } from '../metrics/metrics';
import { createRateLimitedWarn, log, type Logger } from '../log';

export type { ReporterStats } from './reporter';

export interface RemoteReporterOptions {
  /** How often buffered spans are sent (JAEGER_REPORTER_FLUSH_INTERVAL). Default 1000 ms. */
  flushIntervalMs?: number;
  /** Spans held (buffered, in flight or awaiting a retry) before new ones are dropped. Default 2048. */
  maxQueueSize?: number;
  metrics?: Metrics;
  logger?: Logger;
}

/** Drops are warned about at most once per reason per this interval. */
export const DROP_WARN_INTERVAL_MS = 60_000;

/** A zeroed per-reason record. */
export function emptyDropCounts(): Record<DropReason, number> {
  const counts = {} as Record<DropReason, number>;
  for (const reason of DROP_REASONS) counts[reason] = 0;
  return counts;
}

/**
 * Hands sampled spans to a sender (which encodes each one at once) under a bounded queue, and
 * flushes on an unref'd timer so the tracer never keeps the process alive. Counts what becomes of
 * every span (see ReporterStats for the identity), in stats() and in the metrics.
 */
export class RemoteReporter implements Reporter {
  readonly #sender: Sender;
  readonly #maxQueueSize: number;
  readonly #metrics: Metrics;
  readonly #logger: Logger;
  readonly #warn: (key: string, msg: string, ...args: unknown[]) => void;
  readonly #timer: NodeJS.Timeout;
  readonly #dropped = emptyDropCounts();
  #reported = 0;
  #sent = 0;
  #closed: Promise<void> | undefined;

  constructor(sender: Sender, options: RemoteReporterOptions = {}) {
    this.#sender = sender;
    this.#maxQueueSize = positive(options.maxQueueSize, 2048);
    this.#metrics = options.metrics ?? new Metrics();
    this.#logger = options.logger ?? log;
    this.#warn = createRateLimitedWarn(this.#logger, DROP_WARN_INTERVAL_MS);
    const events: SenderEvents = {
      onSent: (count) => {
        this.#sent += count;
        this.#metrics.reporterSuccess.increment(count);
        this.#updateQueueLength();
      },
      onDropped: (count, reason, error) => this.#drop(count, reason, error),
    };
    sender.setEvents(events);
    this.#timer = setInterval(() => this.#flushQuietly(), positive(options.flushIntervalMs, 1000));
    this.#timer.unref();
  }

  /** The most spans held at once; further spans are dropped as 'queue_full'. */
  get maxQueueSize(): number {
    return this.#maxQueueSize;
  }

  setProcess(process: ProcessInfo): void {
    this.#sender.setProcess(process);
  }

  report(span: FinishedSpan): void {
    this.#reported++;
    this.#metrics.reporterReceived.increment();
    if (this.#closed !== undefined) {
      this.#drop(1, 'shutdown');
      return;
    }
    if (this.#sender.queued >= this.#maxQueueSize) {
      this.#drop(1, 'queue_full');
      this.#sender.noteDropped?.(1, 'queue_full'); // so the agent's ClientStats see it too
      return;
    }
    try {
      this.#sender.append(span);
    } catch (err) {
      // An encoder fault must cost one span, never the caller's finish().
      this.#drop(1, 'send_error', err as Error);
    }
    this.#updateQueueLength();
  }

  /** A snapshot of what became of every reported span: reported = sent + Σ dropped + queued. */
  stats(): ReporterStats {
    return {
      reported: this.#reported,
      sent: this.#sent,
      dropped: { ...this.#dropped },
      queued: this.#sender.queued,
      inFlight: this.#sender.inFlight ?? 0,
    };
  }

  flush(): Promise<void> {
    this.#updateQueueLength();
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

  #updateQueueLength(): void {
    this.#metrics.reporterQueueLength.update(this.#sender.queued);
  }

  #drop(count: number, reason: DropReason, error?: Error): void {
    this.#dropped[reason] += count;
    const m = this.#metrics;
    m.reporterDroppedByReason[reason].increment(count);
    if (reason === 'send_error' || reason === 'rejected') m.reporterFailure.increment(count);
    else m.reporterDropped.increment(count);
    this.#updateQueueLength();
    // Spans finished after close() are a normal part of shutting down; a warning then would change
    // the stderr of every process that ends while serving. They are counted all the same.
    if (reason === 'shutdown') return;
    this.#warn(reason, 'dropped %d span(s): %s%s', count, reason, error ? ` (${error.message})` : '');
  }
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}
