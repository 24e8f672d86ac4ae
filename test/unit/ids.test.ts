import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomId64, randomTraceId, resetIdPool } from '../../src/tracer/ids';

test('ids are 16 lowercase hex digits, never all zero, distinct, every digit in every position', () => {
  const seen = new Set<string>();
  const digits = Array.from({ length: 16 }, () => new Set<string>());
  for (let i = 0; i < 20_000; i++) {
    if (i === 10_000) resetIdPool(); // across a refill of the pool as well
    const id = randomId64();
    assert.match(id, /^[0-9a-f]{16}$/);
    assert.notEqual(id, '0000000000000000');
    seen.add(id);
    for (let j = 0; j < 16; j++) digits[j].add(id[j]);
  }
  assert.equal(seen.size, 20_000);
  for (const d of digits) assert.equal(d.size, 16);
});

test('trace ids: 16 digits, or 32 with 128-bit ids on', () => {
  assert.match(randomTraceId(false), /^[0-9a-f]{16}$/);
  assert.match(randomTraceId(true), /^[0-9a-f]{32}$/);
});
