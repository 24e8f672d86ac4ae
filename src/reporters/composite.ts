import type { Reporter } from './reporter';
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

  async flush(): Promise<void> {
    await Promise.allSettled(this.reporters.map((r) => r.flush()));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.reporters.map((r) => r.close()));
  }
}
