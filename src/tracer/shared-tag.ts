import type { Tag } from './finished-span';

/**
 * A tag many spans carry alike: an instrumentation's constants (span.kind, component), what a
 * long-lived connection says (db.instance, peer.*), the sampler's decision. Made once and added to
 * each span as it is; the compact encoder keeps its encoded bytes here on first use, so a shared
 * tag is copied into each batch instead of encoded again.
 */
export class SharedTag implements Tag {
  /** The Tag struct in Thrift compact protocol, set by the encoder (see writeTagCompact). */
  readonly encoded: { compact: Uint8Array | undefined } = { compact: undefined };
  /**
   * What the tag counts against a span's byte limit, set by the first span it is added to: 0 not
   * yet known, -1 when the span's limits cut it (then every span checks it again).
   */
  readonly kept: { size: number } = { size: 0 };

  constructor(
    readonly key: string,
    readonly value: string | number | boolean,
    /** The tags it was made with (sharedTagList), when there were others. */
    readonly run: SharedTagRun | undefined = undefined,
  ) {
    Object.freeze(this); // like every other shared tag: nobody changes what thousands of spans hold
  }
}

/**
 * Shared tags made together (an instrumentation's constants, a connection's peer tags, a sampler's
 * decision) and added to spans together. Where a span holds them in a row, in order, the compact
 * encoder copies the row's bytes at once: one copy instead of one per tag.
 */
export class SharedTagRun {
  readonly tags: SharedTag[] = [];
  /** The tags' compact encodings one after another, put together by the encoder once each has its own. */
  compact: Uint8Array | undefined = undefined;
}

// A mark on the prototype, read by isSharedTag: `tag instanceof SharedTag` in another module is a
// call into V8's generic instanceof (~100–150 instructions, callgrind), paid for every tag a span gets.
const SHARED_BRAND = Symbol('jaeger-auto:shared-tag');
Object.defineProperty(SharedTag.prototype, 'jaeger-auto:brand', { value: SHARED_BRAND });

/** `tag instanceof SharedTag`, at the cost of a property load. */
export function isSharedTag(tag: Tag | undefined): tag is SharedTag {
  return tag !== undefined && (tag as unknown as Record<string, unknown>)['jaeger-auto:brand'] === SHARED_BRAND;
}

/**
 * A tag to share between spans: a SharedTag for a string, number or boolean (encoded once), else a
 * frozen plain tag (encoded with each span as usual).
 */
export function sharedTag(key: string, value: unknown): Tag {
  return isPrimitive(value) ? new SharedTag(key, value) : Object.freeze({ key, value });
}

/** sharedTag for each entry; the SharedTags among them form one SharedTagRun when there are two or more. */
export function sharedTagList(entries: ReadonlyArray<readonly [string, unknown]>): Tag[] {
  let primitives = 0;
  for (const [, value] of entries) if (isPrimitive(value)) primitives++;
  const run = primitives >= 2 ? new SharedTagRun() : undefined;
  // Built by push: a version built with Array#map (which may leave the array holey) counted ~0.2k
  // more instructions per span in the span target, a little above its noise.
  const list: Tag[] = [];
  for (const [key, value] of entries) {
    if (run === undefined || !isPrimitive(value)) {
      list.push(sharedTag(key, value));
      continue;
    }
    const tag = new SharedTag(key, value, run);
    run.tags.push(tag);
    list.push(tag);
  }
  return list;
}

function isPrimitive(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
