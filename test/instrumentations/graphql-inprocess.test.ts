// graphql in-process, for every tested version: what the app gets back (the very result object,
// thrown error and rejection), the operation span's parent, unsampled operations, uninstall; and
// the document helpers (masking literals, finding the operation) on their own.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import definitions from '../../instrumentations/graphql';
import { findOperation, maskLiterals, MAX_DOCUMENT_LENGTH } from '../../instrumentations/graphql/document';
import { setResolverSpans } from '../../instrumentations/graphql/resolvers';
import { installHooks } from '../../src/loader/hook';
import { activate } from '../../src/context/scope-manager';
import { setTracer } from '../../src/tracer/global';
import type { FinishedSpan } from '../../src/tracer/finished-span';
import { memoryTracer, recordingLogger } from '../helpers/tracer';
import { requireVersion, versionSet } from '../helpers/versions';

const hook = installHooks({ graphql: definitions }, { logger: recordingLogger() });
const sampled = memoryTracer({ sampled: true });
const unsampled = memoryTracer({ sampled: false });
setTracer(sampled.tracer);
setResolverSpans(true);
after(() => {
  hook.uninstall();
  setTracer(undefined);
  setResolverSpans(undefined);
});

const tags = (s: FinishedSpan) => Object.fromEntries(s.tags.map((t) => [t.key, t.value]));
const parentOf = (s: FinishedSpan) => s.spanContext.parentId;

test('maskLiterals: strings, block strings, numbers and comments go; names, variables and enums stay', () => {
  assert.equal(
    maskLiterals('query Q($a: Int = 5) {\n  f(s: "x \\" y", b: """blo"ck""", n: -1.5e3, m: 0, e: RED, ok: true) { field2 _9 } # note 42\n}'),
    'query Q($a: Int = *) { f(s: "*", b: "*", n: *, m: *, e: RED, ok: true) { field2 _9 } }',
  );
  const long = maskLiterals(`{ ${'a '.repeat(MAX_DOCUMENT_LENGTH)}}`);
  assert.equal(long.length, MAX_DOCUMENT_LENGTH);
  assert.ok(long.endsWith('…'));
});

test('findOperation: named, anonymous, chosen by name, ambiguous, missing', () => {
  const op = (operation: string, name?: string) => ({ kind: 'OperationDefinition', operation, name: name === undefined ? undefined : { kind: 'Name', value: name } });
  const frag = { kind: 'FragmentDefinition', name: { value: 'F' } };
  assert.deepEqual(findOperation({ definitions: [frag, op('query', 'A')] }, undefined), { type: 'query', name: 'A' });
  assert.deepEqual(findOperation({ definitions: [op('mutation')] }, null), { type: 'mutation', name: undefined });
  assert.deepEqual(findOperation({ definitions: [op('query', 'A'), op('subscription', 'B')] }, 'B'), { type: 'subscription', name: 'B' });
  assert.deepEqual(findOperation({ definitions: [op('query', 'A'), op('query', 'B')] }, undefined), { type: undefined, name: undefined });
  assert.deepEqual(findOperation({ definitions: [op('query', 'A')] }, 'C'), { type: undefined, name: undefined });
  assert.deepEqual(findOperation(undefined, undefined), { type: undefined, name: undefined });
});

for (const version of versionSet('graphql').versions) {
  describe(`graphql@${version}`, () => {
    const gql = requireVersion('graphql', version);
    const boom = new Error('rejected by resolver');
    const schema = new gql.GraphQLSchema({
      query: new gql.GraphQLObjectType({
        name: 'Query',
        fields: {
          hello: { type: gql.GraphQLString, resolve: () => 'world' },
          later: { type: gql.GraphQLString, resolve: () => Promise.reject(boom) },
        },
      }),
    });

    test('the app gets the very result, and the span is a child of the active span', async () => {
      const from = sampled.reporter.spans.length;
      const parent = sampled.tracer.startSpan('request');
      const result = activate(parent, () => gql.execute({ schema, document: gql.parse('query Hi { hello }') }));
      assert.deepEqual(JSON.parse(JSON.stringify(await result)), { data: { hello: 'world' } });
      const spans = sampled.reporter.spans.slice(from);
      const op = spans.find((s) => s.operationName === 'query Hi')!;
      assert.ok(op, spans.map((s) => s.operationName).join());
      assert.equal(parentOf(op), parent.context().toSpanId());
      const field = spans.find((s) => s.operationName === 'resolve Query.hello')!;
      assert.equal(parentOf(field), op.spanContext.spanId);
    });

    test('a rejected resolver: the same error object in result.errors, both spans failed', async () => {
      const from = sampled.reporter.spans.length;
      const result = await gql.execute({ schema, document: gql.parse('query Later { later }') });
      assert.equal(result.errors[0].originalError, boom);
      const spans = sampled.reporter.spans.slice(from);
      const op = spans.find((s) => s.operationName === 'query Later')!;
      const field = spans.find((s) => s.operationName === 'resolve Query.later')!;
      assert.equal(tags(op).error, true);
      assert.equal(tags(field).error, true);
      assert.equal(field.logs[0].fields.find((f) => f.key === 'message')?.value, 'rejected by resolver');
    });

    test('execute throwing on bad arguments: the same error, the span failed', () => {
      const from = sampled.reporter.spans.length;
      let plain: unknown;
      let traced: unknown;
      setTracer(undefined);
      try { gql.execute({ schema: undefined, document: gql.parse('{ hello }') }); } catch (err) { plain = err; }
      setTracer(sampled.tracer);
      try { gql.execute({ schema: undefined, document: gql.parse('{ hello }') }); } catch (err) { traced = err; }
      assert.ok(traced instanceof Error);
      assert.equal((traced as Error).message, (plain as Error).message);
      const op = sampled.reporter.spans.slice(from).find((s) => s.operationName === 'query')!;
      assert.equal(tags(op).error, true);
    });

    test('an unsampled operation makes no resolver span and reports nothing', async () => {
      setTracer(unsampled.tracer);
      try {
        const result = await gql.execute({ schema, document: gql.parse('{ hello }') });
        assert.equal(result.data.hello, 'world');
        assert.equal(unsampled.reporter.spans.length, 0);
      } finally {
        setTracer(sampled.tracer);
      }
    });
  });
}

test('uninstall: execute is the original again and graphql 17 channels are left', async () => {
  const versions = versionSet('graphql').versions;
  const mods = versions.map((v) => requireVersion('graphql', v));
  hook.uninstall();
  const from = sampled.reporter.spans.length;
  for (const gql of mods) {
    const schema = gql.buildSchema('type Query { a: Int }');
    await gql.execute({ schema, document: gql.parse('query Gone { a }'), rootValue: { a: 1 } });
  }
  assert.deepEqual(sampled.reporter.spans.slice(from).map((s) => s.operationName), []);
});
