import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactWriter } from '../../src/thrift/compact-writer';
import { writeSpan } from '../../src/thrift/encode';
import { writeSpanCompact } from '../../src/thrift/compact-span';
import { JaegerTracer } from '../../src/tracer/tracer';
import { ConstSampler } from '../../src/samplers/const';
import { InMemoryReporter } from '../../src/reporters/in-memory';
import type { FinishedSpan } from '../../src/tracer/finished-span';
import { ALL_TAGS, ctx, makeSpan, spanShapes, thriftBytes } from './thrift-shapes';
import { sharedTags } from '../../src/shim/span-helpers';
import { SharedTag } from '../../src/tracer/shared-tag';

// The specialised compact Span writer must give exactly the bytes of the generic writeSpan (which
// thrift-encode.test.ts checks against the thrift package) for every shape, and the thrift
// package's own bytes directly.

function generic(span: FinishedSpan): Buffer {
  const w = new CompactWriter(64);
  writeSpan(w, span);
  return w.copy();
}

function special(span: FinishedSpan, prefix = 0): Buffer {
  const w = new CompactWriter(16); // small: the buffer has to grow mid-span
  w.reset(w.buf, 0);
  for (let i = 0; i < prefix; i++) w.writeFieldStop(); // the span does not start at offset 0
  writeSpanCompact(w, span);
  return w.copy(prefix);
}

function shapes(): FinishedSpan[] {
  const extra = [
    makeSpan({ tags: ALL_TAGS }),
    makeSpan({ tags: ALL_TAGS, logs: [{ timestamp: 1_700_000_000_000_001, fields: ALL_TAGS.slice(0, 9) }] }),
    makeSpan({ logs: [{ timestamp: 5, fields: [{ key: 'event', value: 'x' }] }] }),
    makeSpan({ references: [{ type: 'follows_from', context: ctx('1', '2') }], tags: [{ key: 'a', value: true }] }),
    makeSpan({ references: [{ type: 'child_of', context: ctx('0123456789abcdef0123456789abcdef', 'ffffffffffffffff') }] }),
    makeSpan({ traceId: 'ffffffffffffffff0000000000000001', spanId: '8000000000000000', parentId: '7fffffffffffffff', flags: 3 }),
    // References within the span's own trace (their bytes are copied from the span's id fields
    // when trace or span id match): the parent itself, another span, several, and no parentId.
    makeSpan({
      traceId: 'ffffffffffffffff0000000000000001', parentId: '7fffffffffffffff',
      references: [{ type: 'child_of', context: ctx('ffffffffffffffff0000000000000001', '7fffffffffffffff') }],
    }),
    makeSpan({
      parentId: '00000000000000aa',
      references: [
        { type: 'child_of', context: ctx('5b8aa5a2d2c872e8', '00000000000000aa') },
        { type: 'follows_from', context: ctx('5b8aa5a2d2c872e8', '00000000000000bb') },
        { type: 'follows_from', context: ctx('0000000000000001', '00000000000000aa') },
      ],
    }),
    makeSpan({ references: [{ type: 'follows_from', context: ctx('5b8aa5a2d2c872e8', '8000000000000001') }] }),
    makeSpan({ startTime: NaN, duration: -Infinity, operationName: '' }),
    makeSpan({ startTime: 0, duration: 0, operationName: 'ü'.repeat(600) }),
    makeSpan({ tags: [{ key: 42 as unknown as string, value: 'non-string key' }, { key: 'k', value: 'v'.repeat(70_000) }] }),
  ];
  // And spans as the tracer makes them: sampler tags, a child, a finished log.
  const reporter = new InMemoryReporter();
  const tracer = new JaegerTracer({ serviceName: 's', sampler: new ConstSampler(true), reporter });
  const root = tracer.startSpan('root', { tags: { 'http.method': 'GET', n: 200, ok: false, r: 0.25 } });
  const child = tracer.startSpan('child', { childOf: root });
  child.log({ event: 'x', n: 1 });
  child.finish();
  root.finish();
  return [...spanShapes(), ...extra, ...reporter.spans];
}

test('writeSpanCompact is byte-identical to writeSpan on a CompactWriter, for every shape', () => {
  const all = shapes();
  assert.ok(all.length > 20);
  for (const [i, span] of all.entries()) {
    const expected = generic(span);
    assert.deepEqual(special(span), expected, `shape ${i}`);
    assert.deepEqual(special(span, 5), expected, `shape ${i} at an offset`);
  }
});

test('writeSpanCompact matches the thrift package byte for byte', () => {
  for (const [i, span] of shapes().entries()) {
    assert.deepEqual(special(span), thriftBytes('compact', (w) => writeSpan(w, span)), `shape ${i}`);
  }
});

test('shared tags: the bytes copied from the first encoding equal a fresh encoding, in every position', () => {
  const shared = sharedTags({
    'span.kind': 'client', component: 'pg', 'db.instance': 'tëst-ü', 'peer.port': 5432, ratio: 0.5,
    big: 2 ** 60, negative: -7, yes: true, no: false, empty: '', long: 'x'.repeat(300),
  });
  assert.ok(shared.every((t) => t instanceof SharedTag));
  // The same tag objects in spans of different shapes, mixed with plain tags, twice over: the
  // second time every shared tag comes from its cache.
  // The whole list in a row is copied as one run once every member has its own bytes; a broken
  // run (a member missing, another order) falls back to tag by tag.
  const spans = [
    makeSpan({ tags: [...shared] }),
    makeSpan({ tags: [{ key: 'first', value: 'plain' }, ...shared.slice(3), { key: 'n', value: 1 }, ...shared.slice(0, 3)] }),
    makeSpan({ tags: shared.slice(5, 8), logs: [{ timestamp: 9, fields: [...shared.slice(0, 2)] }] }),
    makeSpan({ tags: [{ key: 'before', value: 1 }, ...shared, { key: 'after', value: true }, ...shared] }),
    makeSpan({ tags: [...shared.slice(0, 4), ...shared.slice(5)] }),
    makeSpan({ tags: [...shared].reverse() }),
  ];
  for (let round = 0; round < 2; round++) {
    for (const [i, span] of spans.entries()) {
      const expected = thriftBytes('compact', (w) => writeSpan(w, span));
      assert.deepEqual(special(span), expected, `round ${round}, span ${i}`);
      assert.deepEqual(special(span, 3), expected, `round ${round}, span ${i} at an offset`);
    }
  }
  assert.ok(shared.every((t) => (t as SharedTag).encoded.compact !== undefined), 'every shared tag was cached');
  const run = (shared[0] as SharedTag).run!;
  assert.ok(shared.every((t) => (t as SharedTag).run === run) && run.tags.length === shared.length);
  assert.ok(run.compact !== undefined, 'the run was copied whole');
  assert.ok(shared.every((t) => Object.isFrozen(t)));
});

test('tag keys: the bytes copied from a key\'s first encoding equal a fresh encoding, in every position', () => {
  // Keys no other test in this process uses: ASCII, non-ASCII, one of 150 UTF-8 bytes in 50 units
  // (kept, with a two-byte length prefix) and one too long to be kept.
  const keys = ['fresh-key', 'schlüssel-ü', '日'.repeat(50), `long-${'k'.repeat(200)}`];
  const spans = [
    makeSpan({ tags: keys.map((key, i) => ({ key, value: i })) }),
    makeSpan({ tags: [{ key: 'other', value: 'x' }, ...keys.map((key) => ({ key, value: 'text' }))] }),
    makeSpan({ tags: [{ key: keys[2], value: true }, { key: keys[0], value: 0.5 }, { key: keys[1], value: 2n ** 40n }] }),
  ];
  for (let round = 0; round < 2; round++) {
    for (const [i, span] of spans.entries()) {
      const expected = thriftBytes('compact', (w) => writeSpan(w, span));
      assert.deepEqual(special(span), expected, `round ${round}, span ${i}`);
      assert.deepEqual(special(span, 7), expected, `round ${round}, span ${i} at an offset`);
    }
  }
});
