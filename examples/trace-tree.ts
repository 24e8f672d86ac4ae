// Renders finished spans as indented trees, one per trace, the way a Jaeger waterfall reads.
import type { FinishedSpan } from '../src/tracer/finished-span';

export interface ServiceSpan {
  service: string;
  span: FinishedSpan;
}

function ms(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${Math.round(us)} µs`;
}

/** One block per trace: `service  operation  duration  [tags]`, children indented under parents. */
export function renderTraces(spans: readonly ServiceSpan[], showTags: readonly string[] = []): string {
  const byTrace = new Map<string, ServiceSpan[]>();
  for (const s of spans) {
    const list = byTrace.get(s.span.spanContext.traceId) ?? [];
    list.push(s);
    byTrace.set(s.span.spanContext.traceId, list);
  }
  const out: string[] = [];
  for (const [traceId, list] of byTrace) {
    const ids = new Set(list.map((s) => s.span.spanContext.spanId));
    const children = new Map<string, ServiceSpan[]>();
    const roots: ServiceSpan[] = [];
    for (const s of list) {
      const parent = s.span.spanContext.parentId;
      if (parent && ids.has(parent)) {
        const c = children.get(parent) ?? [];
        c.push(s);
        children.set(parent, c);
      } else {
        roots.push(s);
      }
    }
    const sortByStart = (a: ServiceSpan, b: ServiceSpan) => a.span.startTime - b.span.startTime;
    roots.sort(sortByStart);
    const start = Math.min(...list.map((s) => s.span.startTime));
    out.push(`trace ${traceId} — ${list.length} span(s)`);
    const walk = (s: ServiceSpan, depth: number) => {
      const tags = s.span.tags
        .filter((t) => showTags.includes(t.key))
        .map((t) => `${t.key}=${String(t.value)}`)
        .join(' ');
      const offset = `+${ms(s.span.startTime - start)}`.padStart(10);
      out.push(`${offset} ${'  '.repeat(depth)}${s.service}: ${s.span.operationName}  (${ms(s.span.duration)})${tags ? `  ${tags}` : ''}`);
      for (const c of (children.get(s.span.spanContext.spanId) ?? []).sort(sortByStart)) walk(c, depth + 1);
    };
    for (const r of roots) walk(r, 1);
  }
  return out.join('\n');
}
