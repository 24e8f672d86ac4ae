import type { Reporter, ReporterStats } from './reporter';
import { DROP_REASONS } from '../senders/sender';
import type { FinishedSpan, ProcessInfo } from '../tracer/finished-span';

/** Fans every span out to several reporters; one failing reporter does not stop the others. */
export class CompositeReporter implements Reporter {
  readonly reporters: readonly Reporter[];

  constructor(reporters: readonly Reporter[]) {
    this.reporters = reporters.slice();
  }

  setProcess(process: ProcessInfo): void {
    for (const r of this.reporters) r.setProcess(process);
  }

  report(span: FinishedSpan): void {
    for (const r of this.reporters) {
      try {
        r.report(span);
      } catch {
        // A user-supplied reporter that throws must not take the others (or finish()) down.
      }
    }
  }

  /** The sum over the reporters that keep stats; undefined when none does. */
  stats(): ReporterStats | undefined {
    let sum: ReporterStats | undefined;
    for (const r of this.reporters) {
      let s: ReporterStats | undefined;
      try {
        s = r.stats?.();
      } catch {
        continue;
      }
      if (s === undefined) continue;
      if (sum === undefined) {
        sum = { ...s, dropped: { ...s.dropped } };
        continue;
      }
      sum.reported += s.reported;
      sum.sent += s.sent;
      sum.queued += s.queued;
      sum.inFlight += s.inFlight;
      for (const reason of DROP_REASONS) sum.dropped[reason] += s.dropped[reason] ?? 0;
    }
    return sum;
  }

  async flush(): Promise<void> {
    await Promise.allSettled(this.reporters.map((r) => r.flush()));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.reporters.map((r) => r.close()));
  }
}
