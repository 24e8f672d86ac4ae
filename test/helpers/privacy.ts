// What the privacy tests look at: every string a decoded span carries.
import type { DecodedSpan, DecodedTag } from './thrift-decode';

function valueText(t: DecodedTag): string {
  if (t.vBinary !== undefined) return Buffer.from(t.vBinary).toString('latin1');
  return String(t.vStr ?? t.vLong ?? t.vDouble ?? t.vBool ?? '');
}

/** Operation name, every tag key and value, every log field key and value. */
export function spanText(span: DecodedSpan): string[] {
  const out = [span.operationName];
  for (const t of span.tags ?? []) out.push(t.key, valueText(t));
  for (const l of span.logs ?? []) for (const f of l.fields) out.push(f.key, valueText(f));
  return out;
}

/** `<operation>: <text>` for every string of `spans` matching `re`. */
export function leaks(spans: readonly DecodedSpan[], re: RegExp): string[] {
  const found: string[] = [];
  for (const span of spans) for (const text of spanText(span)) if (re.test(text)) found.push(`${span.operationName}: ${text}`);
  return found;
}
