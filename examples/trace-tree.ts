// Renders spans as indented trees, one per trace, the way a Jaeger waterfall reads. The input is a
// small neutral shape so that spans from any source fit: spans decoded off the wire (the demo) or
// FinishedSpan objects from an in-process tracer (tests), through the adapters below.
import type { FinishedSpan } from '../src/tracer/finished-span';
import type { DecodedBatch, DecodedTag } from '../test/helpers/thrift-decode';

export interface TreeSpan {
  traceId: string;
  spanId: string;
  /** Undefined (or unknown to the trace) for a root. */
  parentId?: string;
  service: string;
  operation: string;
  /** Microseconds since the epoch. */
  startUs: number;
  durationUs: number;
  tags: Readonly<Record<string, unknown>>;
}

const ZERO_ID = '0000000000000000';

function tagValue(t: DecodedTag): unknown {
  return t.vStr ?? t.vDouble ?? t.vBool ?? t.vLong ?? t.vBinary;
}

/** Every span of a batch as received by an agent or collector (the process names the service). */
export function fromDecodedBatch(batch: DecodedBatch): TreeSpan[] {
  return batch.spans.map((s) => ({
    // A 64-bit trace id travels with a zero high half; show it the way the tracer logs it.
    traceId: s.traceIdHigh === ZERO_ID ? s.traceIdLow : s.traceIdHigh + s.traceIdLow,
    spanId: s.spanId,
    parentId: s.parentSpanId === ZERO_ID ? undefined : s.parentSpanId,
    service: batch.process.serviceName,
    operation: s.operationName,
    startUs: Number(s.startTime),
    durationUs: Number(s.duration),
    tags: Object.fromEntries((s.tags ?? []).map((t) => [t.key, tagValue(t)])),
  }));
}

/** A span finished by an in-process tracer. */
export function fromFinishedSpan(service: string, span: FinishedSpan): TreeSpan {
  const c = span.spanContext;
  return {
    traceId: c.traceId, spanId: c.spanId, parentId: c.parentId || undefined, service,
    operation: span.operationName, startUs: span.startTime, durationUs: span.duration,
    tags: Object.fromEntries(span.tags.map((t) => [t.key, t.value])),
  };
}

/** Groups spans by trace, in order of each trace's first start. */
export function groupTraces(spans: readonly TreeSpan[]): Map<string, TreeSpan[]> {
  const byTrace = new Map<string, TreeSpan[]>();
  for (const s of [...spans].sort((a, b) => a.startUs - b.startUs)) {
    const list = byTrace.get(s.traceId) ?? [];
    list.push(s);
    byTrace.set(s.traceId, list);
  }
  return byTrace;
}

export function ms(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${Math.round(us)} µs`;
}

export interface RenderOptions {
  /** Tags shown after the duration as key=value, in this order, when present. */
  tags?: readonly string[];
  /** Extra text after the operation name (e.g. the URL's path). */
  detail?: (span: TreeSpan) => string;
  /** Width of the waterfall bar in characters (0: none). */
  barWidth?: number;
}

/** Where the span sits within its trace, as a bar of `width` characters. */
function bar(s: TreeSpan, start: number, total: number, width: number): string {
  if (width <= 0) return '';
  const from = Math.min(width - 1, Math.floor(((s.startUs - start) / total) * width));
  const len = Math.max(1, Math.round((s.durationUs / total) * width));
  const cells = ' '.repeat(from) + '█'.repeat(Math.min(len, width - from));
  return `|${cells.padEnd(width)}| `;
}

/**
 * One block per trace: a header line `trace <id>  <n> spans  <duration>`, then one line per span,
 * `+<offset>  [bar]  <indent><service> <operation> <detail>  <duration>  <tags>`, children
 * indented under their parents and ordered by start.
 */
export function renderTraces(spans: readonly TreeSpan[], options: RenderOptions = {}): string {
  const shown = options.tags ?? [];
  const blocks: string[] = [];
  for (const [traceId, list] of groupTraces(spans)) {
    const ids = new Set(list.map((s) => s.spanId));
    const children = new Map<string, TreeSpan[]>();
    const roots: TreeSpan[] = [];
    for (const s of list) {
      // A span that names itself as parent (malformed) is shown as a root rather than looping.
      if (s.parentId !== undefined && s.parentId !== s.spanId && ids.has(s.parentId)) {
        children.set(s.parentId, [...(children.get(s.parentId) ?? []), s]);
      } else {
        roots.push(s);
      }
    }
    const start = list[0].startUs;
    const end = Math.max(...list.map((s) => s.startUs + s.durationUs));
    const total = Math.max(end - start, 1);
    const rows: [string, string][] = [];
    const walk = (s: TreeSpan, depth: number): void => {
      const detail = options.detail?.(s) ?? '';
      const label = `${'  '.repeat(depth)}${s.service} ${s.operation}${detail ? ` ${detail}` : ''}`;
      const tags = shown.filter((k) => s.tags[k] !== undefined).map((k) => `${k}=${String(s.tags[k])}`);
      const left = `${`+${ms(s.startUs - start)}`.padStart(10)}  ${bar(s, start, total, options.barWidth ?? 0)}${label}`;
      rows.push([left, [ms(s.durationUs).padStart(9), ...tags].join('  ')]);
      for (const c of children.get(s.spanId) ?? []) walk(c, depth + 1);
    };
    for (const r of roots) walk(r, 0);
    const width = Math.max(...rows.map(([l]) => l.length));
    const lines = rows.map(([l, r]) => `${l.padEnd(width)}  ${r}`);
    const note = roots.length === 1 ? '' : `  (${roots.length} roots)`;
    const count = `${list.length} span${list.length === 1 ? '' : 's'}`;
    blocks.push([`trace ${traceId}  ${count}  ${ms(total)}${note}`, ...lines].join('\n'));
  }
  return blocks.join('\n\n');
}
