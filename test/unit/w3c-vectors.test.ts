import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as opentracing from 'opentracing';
import type { JaegerSpanContext } from '../../src/tracer/span-context';
import { propagationTracer } from '../helpers/propagation';

// W3C Trace Context, level 1: the rules the W3C conformance suite checks, written here as cases of
// our own from the spec's grammar. Every case goes through the tracer as an app would use it:
// extract from incoming headers, start the server span, inject into an outgoing request.

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const VALID = `00-${TRACE}-${PARENT}-01`;

function hop(headers: Record<string, unknown>): { ctx: JaegerSpanContext | null; out: Record<string, string> } {
  const { tracer } = propagationTracer({ propagation: ['w3c'], sampled: false });
  const ctx = tracer.extract(opentracing.FORMAT_HTTP_HEADERS, headers) as JaegerSpanContext | null;
  const span = tracer.startSpan('server', ctx === null ? {} : { childOf: ctx });
  const out: Record<string, string> = {};
  tracer.inject(span, opentracing.FORMAT_HTTP_HEADERS, out);
  return { ctx, out };
}

/** The trace id downstream sees: the incoming one when the header was accepted. */
function joined(traceparent: unknown): boolean {
  const { out } = hop({ traceparent });
  return out.traceparent.slice(3, 35) === TRACE;
}

test('a valid traceparent is joined; the header name matches in any case', () => {
  assert.equal(joined(VALID), true);
  const { out } = hop({ TraceParent: VALID });
  assert.match(out.traceparent, new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
  assert.notEqual(out.traceparent.slice(36, 52), PARENT, 'the hop sends its own span id');
});

test('version: 00 must be exactly 55 characters; later versions may append fields after a dash; ff is invalid', () => {
  assert.equal(joined(`${VALID}-what-the-future-will-be-like`), false);
  assert.equal(joined(`cc-${TRACE}-${PARENT}-01`), true);
  assert.equal(joined(`cc-${TRACE}-${PARENT}-01-what-the-future-will-be-like`), true);
  assert.equal(joined(`cc-${TRACE}-${PARENT}-01.what-the-future-will-be-like`), false);
  assert.equal(joined(`ff-${TRACE}-${PARENT}-01`), false);
  for (const version of ['.0', '0.', '0', '000', 'AA', 'g0', '-0']) {
    assert.equal(joined(`${version}-${TRACE}-${PARENT}-01`), false, version);
  }
  // We answer in the version we speak, whatever version arrived.
  assert.match(hop({ traceparent: `cc-${TRACE}-${PARENT}-01-x` }).out.traceparent, /^00-/);
});

test('trace id: 32 lowercase hex digits, not all zeros', () => {
  for (const id of ['0'.repeat(32), `${TRACE.slice(0, 31)}.`, TRACE.toUpperCase(), `${TRACE}0`, TRACE.slice(1), `${TRACE.slice(0, 31)}g`]) {
    assert.equal(joined(`00-${id}-${PARENT}-01`), false, id);
  }
});

test('parent id: 16 lowercase hex digits, not all zeros', () => {
  for (const id of ['0'.repeat(16), `${PARENT.slice(0, 15)}.`, 'ABCDEF0123456789', `${PARENT}0`, PARENT.slice(1)]) {
    assert.equal(joined(`00-${TRACE}-${id}-01`), false, id);
  }
});

test('trace flags: two lowercase hex digits; only bit 0 (sampled) is read', () => {
  for (const flags of ['.0', '0.', '0', '001', 'g1', 'FF', '-1']) {
    assert.equal(joined(`00-${TRACE}-${PARENT}-${flags}`), false, flags);
  }
  const sampled = (flags: string) => hop({ traceparent: `00-${TRACE}-${PARENT}-${flags}` }).out.traceparent.slice(53);
  assert.equal(sampled('01'), '01');
  assert.equal(sampled('00'), '00');
  assert.equal(sampled('02'), '00', 'bit 1 is not sampled (and not our debug bit)');
  assert.equal(sampled('03'), '01');
  assert.equal(sampled('ff'), '01');
});

test('optional whitespace (spaces and tabs) around the value is allowed; other whitespace is not', () => {
  for (const v of [` ${VALID}`, `${VALID} `, `\t${VALID}\t`, `  \t ${VALID}`]) assert.equal(joined(v), true, JSON.stringify(v));
  for (const v of [`\u00a0${VALID}`, `${VALID}\n`, `\u2028${VALID}`]) assert.equal(joined(v), false, JSON.stringify(v));
});

test('two different traceparent headers restart the trace, however they arrive', () => {
  const other = `00-${'1'.repeat(32)}-${PARENT}-01`;
  assert.equal(joined([VALID, other]), false, 'an array (headersDistinct)');
  assert.equal(joined(`${VALID}, ${other}`), false, 'joined by Node');
  assert.equal(joined([VALID, VALID]), true, 'the same value twice names one parent');
});

test('an invalid traceparent starts a new trace and drops tracestate', () => {
  const { ctx, out } = hop({ traceparent: `00-${TRACE}-${'0'.repeat(16)}-01`, tracestate: 'foo=1' });
  assert.equal(ctx, null);
  assert.match(out.traceparent, /^00-0{16}[0-9a-f]{16}-[0-9a-f]{16}-00$/);
  assert.equal(out.tracestate, undefined);
});

// ---- tracestate ----

function state(tracestate: unknown): string | undefined {
  return hop({ traceparent: VALID, tracestate }).out.tracestate;
}

test('tracestate is passed on unchanged when valid; an empty header sends none', () => {
  assert.equal(state('foo=1,bar=2'), 'foo=1,bar=2');
  assert.equal(state(''), undefined);
  assert.equal(state(' , ,'), undefined);
});

test('tracestate: at most 32 list members, empty members not counted', () => {
  const members = (n: number) => Array.from({ length: n }, (_, i) => `bar${String(i).padStart(2, '0')}=${i}`);
  assert.equal(state(members(32).join(',')), members(32).join(','));
  assert.equal(state(members(32).join(',,')), members(32).join(','));
  assert.equal(state(members(33).join(',')), undefined);
});

test('tracestate keys: lowercase simple keys up to 256, tenant@system up to 241@14', () => {
  for (const key of ['foo ', 'FOO', 'foo.bar', '1foo', '_foo', 'fOo', 'foo@', '@foo', 'a@1b', 'a@b@c', 'é']) {
    assert.equal(state(`${key}=1,bar=2`), undefined, key);
  }
  assert.equal(state(`${'z'.repeat(256)}=1`), `${'z'.repeat(256)}=1`);
  assert.equal(state(`${'z'.repeat(257)}=1`), undefined);
  const tenant = `${'t'.repeat(241)}@${'v'.repeat(14)}`;
  assert.equal(state(`${tenant}=1`), `${tenant}=1`);
  assert.equal(state(`${'t'.repeat(242)}@v=1`), undefined);
  assert.equal(state(`t@${'v'.repeat(15)}=1`), undefined);
  assert.equal(state('1tenant@vendor=1'), '1tenant@vendor=1', 'a tenant id may start with a digit');
  const allKeyChars = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/';
  assert.equal(state(`${allKeyChars}=1`), `${allKeyChars}=1`);
  assert.equal(state(`${allKeyChars}@a${allKeyChars.slice(0, 13)}=1`), `${allKeyChars}@a${allKeyChars.slice(0, 13)}=1`);
});

test('tracestate values: 1–256 printable characters without , or = and not ending in a space', () => {
  let all = '';
  for (let c = 0x20; c <= 0x7e; c++) if (c !== 0x2c && c !== 0x3d) all += String.fromCharCode(c);
  assert.equal(state(`foo=${all}`), `foo=${all}`);
  assert.equal(state(`foo=${'v'.repeat(256)}`), `foo=${'v'.repeat(256)}`);
  for (const v of ['bar=baz', '', 'a\u00e9', 'a\x7f', 'a\x01', 'v'.repeat(257)]) {
    assert.equal(state(`foo=${v},bar=2`), undefined, JSON.stringify(v));
  }
  // Trailing and leading spaces belong to the list syntax, not to the value.
  assert.equal(state('foo=1 ,  bar=2\t'), 'foo=1,bar=2');
});

test('tracestate: a key twice makes the list invalid; several headers are one list', () => {
  assert.equal(state('foo=1,foo=1'), undefined);
  assert.equal(state('foo=1,foo=2'), undefined);
  assert.equal(state(['foo=1', 'bar=2']), 'foo=1,bar=2');
  assert.equal(state(['foo=1', 'foo=2']), undefined);
});

test('tracestate longer than 512 characters is cut as the spec advises, never sent whole', () => {
  const long = `big=${'x'.repeat(200)}`;
  const small = Array.from({ length: 30 }, (_, i) => `k${String(i).padStart(2, '0')}=${'y'.repeat(20)}`);
  const got = state([long, ...small].join(',')) ?? '';
  assert.ok(got.length <= 512, `${got.length}`);
  assert.ok(!got.includes('big='), 'members over 128 characters go first');
  assert.ok(got.startsWith('k00='), 'then members are removed from the end');
  assert.equal(got, small.slice(0, got.split(',').length).join(','));
});
