import type { Reporter } from './reporter';
import type { FinishedSpan, ProcessInfo } from '../tracer/finished-span';
import { log, type Logger } from '../log';

/** Logs one line per finished span (JAEGER_REPORTER_LOG_SPANS / the Python client's `logging`). */
export class LoggingReporter implements Reporter {
  readonly #logger: Logger;

  constructor(logger: Logger = log) {
    this.#logger = logger;
  }

  setProcess(_process: ProcessInfo): void {}

  report(span: FinishedSpan): void {
    this.#logger.info('Reporting span %s %s', span.spanContext.toString(), span.operationName);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}
