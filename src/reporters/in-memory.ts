import type { Reporter } from './reporter';
import type { FinishedSpan, ProcessInfo } from '../tracer/finished-span';

/** Keeps finished spans in memory, for users' tests. */
export class InMemoryReporter implements Reporter {
  readonly spans: FinishedSpan[] = [];
  process: ProcessInfo | undefined;

  setProcess(process: ProcessInfo): void {
    this.process = process;
  }

  report(span: FinishedSpan): void {
    this.spans.push(span);
  }

  clear(): void {
    this.spans.length = 0;
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}
