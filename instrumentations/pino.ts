// Instrumentation of 'pino' 7–10 (https://github.com/pinojs/pino): every record written while a span
// is active gets `trace_id` and `span_id`. Patched: the write method of pino's shared logger
// prototype (lib/proto.js), which every logger and child logger calls for each record. While a span
// is active, the record goes through pino's own mixin mechanism with the app's mixin composed in, so
// the app's fields (call site, mixin, child bindings) win and pino's merge strategy applies as usual.
import { defineInstrumentation, type InstrumentationDefinition } from '../src/loader/definition';
import { activeLogIds, SPAN_ID_FIELD, TRACE_ID_FIELD, type LogIds } from '../src/shim/logs';

interface PinoSymbols { writeSym?: unknown; mixinSym?: unknown; chindingsSym?: unknown }
type Mixin = (this: unknown, mergeObject: unknown, level: unknown, logger?: unknown) => unknown;
type Write = (this: Record<symbol, unknown>, obj: unknown, msg: unknown, num: unknown) => unknown;

// lib/symbols.js is loaded by lib/proto.js just before its own body runs: the symbols seen last are
// the ones of the pino copy whose prototype is patched next (checked: its write key must match).
let lastSymbols: PinoSymbols | undefined;

function wrapWrite(mixinSym: symbol, chindingsSym: symbol | undefined) {
  return function (original: Write): Write {
    return function write(this: Record<symbol, unknown>, obj: unknown, msg: unknown, num: unknown) {
      const ids = activeLogIds();
      if (ids === undefined) return original.apply(this, arguments as unknown as [unknown, unknown, unknown]);
      let restore: (() => void) | undefined;
      try {
        restore = installMixin(this, mixinSym, chindingsSym, ids);
      } catch {
        restore = undefined;
      }
      try {
        return original.apply(this, arguments as unknown as [unknown, unknown, unknown]);
      } finally {
        if (restore !== undefined) {
          try {
            restore();
          } catch {
            // the logger keeps our one-shot mixin; it only adds ids while a span is active.
          }
        }
      }
    };
  };
}

/** Sets a mixin adding the ids for this one record; returns how to put the logger back. */
function installMixin(logger: Record<symbol, unknown>, mixinSym: symbol, chindingsSym: symbol | undefined, ids: LogIds): (() => void) | undefined {
  // Child bindings are already-serialized JSON; a binding of the same name is the app's and wins.
  const chindings = chindingsSym === undefined ? undefined : logger[chindingsSym];
  const bound = typeof chindings === 'string' && chindings.length > 0;
  const hasTrace = bound && chindings.includes(`"${TRACE_ID_FIELD}":`);
  const hasSpan = bound && chindings.includes(`"${SPAN_ID_FIELD}":`);
  if (hasTrace && hasSpan) return undefined;
  const own = Object.prototype.hasOwnProperty.call(logger, mixinSym);
  const appMixin = logger[mixinSym];
  if (appMixin != null && typeof appMixin !== 'function') return undefined; // pino would have thrown
  logger[mixinSym] = composeMixin(appMixin as Mixin | undefined, ids, hasTrace, hasSpan);
  return own
    ? () => { logger[mixinSym] = appMixin; }
    : () => { delete logger[mixinSym]; };
}

function composeMixin(appMixin: Mixin | undefined, ids: LogIds, skipTrace: boolean, skipSpan: boolean): Mixin {
  return function mixin(this: unknown) {
    // The app's mixin runs exactly as it would without us. Its result may be an object the app
    // keeps and returns again: copy it rather than add our fields to it.
    const base = appMixin === undefined ? undefined : appMixin.apply(this, arguments as unknown as [unknown, unknown, unknown]);
    if (appMixin !== undefined && (base === null || typeof base !== 'object')) return base;
    const fields: Record<string, unknown> = base === undefined ? {} : Object.assign({}, base);
    // A field of the record itself (pino's merge object) is the app's: pino would keep its value
    // anyway, but ours first would move it to our place in the line.
    const merge = arguments[0] as unknown;
    const own = merge !== null && typeof merge === 'object' ? merge as Record<string, unknown> : undefined;
    if (!skipTrace && !(TRACE_ID_FIELD in fields) && !(own !== undefined && TRACE_ID_FIELD in own)) fields[TRACE_ID_FIELD] = ids.traceId;
    if (!skipSpan && !(SPAN_ID_FIELD in fields) && !(own !== undefined && SPAN_ID_FIELD in own)) fields[SPAN_ID_FIELD] = ids.spanId;
    return fields;
  };
}

function isSymbol(v: unknown): v is symbol {
  return typeof v === 'symbol';
}

const definitions: InstrumentationDefinition[] = [
  defineInstrumentation<PinoSymbols>({
    name: 'pino',
    versions: '>=7 <11',
    file: 'lib/symbols.js',
    patch(symbols) {
      lastSymbols = symbols !== null && typeof symbols === 'object' ? symbols : undefined;
    },
  }),
  // lib/proto.js exports a function returning Object.create(prototype): one call (no side effect)
  // reaches the prototype every logger shares.
  defineInstrumentation<() => object>({
    name: 'pino',
    versions: '>=7 <11',
    file: 'lib/proto.js',
    patch(makeProto, ctx) {
      const symbols = lastSymbols;
      lastSymbols = undefined;
      if (typeof makeProto !== 'function' || symbols === undefined) return;
      const { writeSym, mixinSym, chindingsSym } = symbols;
      if (!isSymbol(writeSym) || !isSymbol(mixinSym)) return;
      const proto = Object.getPrototypeOf(makeProto()) as Record<symbol, Write> | null;
      if (proto === null || !Object.prototype.hasOwnProperty.call(proto, writeSym)) return;
      ctx.wrap(proto, writeSym, wrapWrite(mixinSym, isSymbol(chindingsSym) ? chindingsSym : undefined));
    },
  }),
];

export default definitions;
