// Our propagation headers added to the caller's request headers, as a copy in the same shape:
// a plain object, a flat raw array [k, v, k, v], or an array of [k, v] pairs. A header of the same
// name already there (a proxy forwarding the incoming request's headers) is replaced, because the
// new client span is the parent downstream.

export type Carrier = Record<string, string>;

/** Returned when the headers have a shape Node would reject or we do not know: leave them alone. */
export const NOT_MERGED: unique symbol = Symbol('jaeger-auto:not-merged');

/** `carrier` must be fresh: with no headers given it becomes the request's headers as it is. */
export function mergeHeaders(headers: unknown, carrier: Carrier): unknown {
  if (headers === undefined || headers === null) return carrier;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      const pairs: unknown[] = [];
      for (const entry of headers) if (!(Array.isArray(entry) && ours(entry[0], carrier))) pairs.push(entry);
      for (const key of Object.keys(carrier)) pairs.push([key, carrier[key]]);
      return pairs;
    }
    if (headers.length % 2 !== 0) return NOT_MERGED; // Node throws on these: let it, unchanged
    const flat: unknown[] = [];
    for (let i = 0; i < headers.length; i += 2) {
      if (!ours(headers[i], carrier)) flat.push(headers[i], headers[i + 1]);
    }
    for (const key of Object.keys(carrier)) flat.push(key, carrier[key]);
    return flat;
  }
  if (typeof headers !== 'object') return NOT_MERGED;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(headers)) {
    if (!ours(key, carrier)) out[key] = (headers as Record<string, unknown>)[key];
  }
  return Object.assign(out, carrier);
}

function ours(name: unknown, carrier: Carrier): boolean {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(carrier, name.toLowerCase());
}
