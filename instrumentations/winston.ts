// Instrumentation of 'winston' 3 (https://github.com/winstonjs/winston): every record written while
// a span is active gets `trace_id` and `span_id`. Patched: Logger.prototype.write (lib/winston/
// logger.js), which every level method, log(), child logger and profiler calls synchronously with
// the record (`info`) at the call site, in the caller's context, before the app's formats run. Later
// stages (formats, transports) may run after buffering, when the caller's span is gone.
import { defineInstrumentation, type InstrumentationDefinition } from '../src/loader/definition';
import { activeLogIds, SPAN_ID_FIELD, TRACE_ID_FIELD } from '../src/shim/logs';

type Write = (this: unknown, chunk: unknown, ...rest: unknown[]) => unknown;
interface LoggerClass { prototype?: { write?: Write } }

function wrapWrite(original: Write): Write {
  return function write(this: unknown, info: unknown) {
    const ids = activeLogIds();
    if (ids !== undefined && info !== null && typeof info === 'object') {
      try {
        // winston adds level, defaultMeta and child metadata to the same object before this point;
        // a field the app set itself is kept.
        const record = info as Record<string, unknown>;
        if (!(TRACE_ID_FIELD in record)) record[TRACE_ID_FIELD] = ids.traceId;
        if (!(SPAN_ID_FIELD in record)) record[SPAN_ID_FIELD] = ids.spanId;
      } catch {
        // a frozen record: winston logs it as it is.
      }
    }
    return original.apply(this, arguments as unknown as [unknown]);
  };
}

const definitions: InstrumentationDefinition[] = [
  defineInstrumentation<LoggerClass>({
    name: 'winston',
    versions: '>=3 <4',
    file: 'lib/winston/logger.js',
    patch(Logger, ctx) {
      const proto = Logger?.prototype;
      if (proto === undefined || proto === null || typeof proto.write !== 'function') return;
      // write is inherited from the stream Transform; the wrapper goes on Logger.prototype only.
      ctx.wrap(proto as { write: Write }, 'write', wrapWrite);
    },
  }),
];

export default definitions;
