// The fastify definition applied in-process to every version in test/versions/fastify.json (as the
// loader does): what the preload fixture cannot see from outside — the replaced factory looks like
// fastify's own, the route template is read from the route context (not the slow public getters)
// and a factory or instance that misbehaves is passed through untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import definitions from '../../instrumentations/fastify';
import { contextKey, routeReader } from '../../instrumentations/fastify/factory';
import type { PatchContext } from '../../src/loader/definition';
import { recordingLogger } from '../helpers/tracer';
import { requireVersion, versionSet } from '../helpers/versions';

const [definition] = definitions;

function patch(exports: unknown, version = '5.0.0'): any {
  const ctx: PatchContext = { name: 'fastify', version, log: recordingLogger(), wrap: () => false };
  return definition.patch(exports, ctx) ?? exports;
}

for (const version of versionSet('fastify').versions) {
  test(`fastify@${version}: the replaced factory keeps name, length, own properties and aliases`, () => {
    const original = requireVersion('fastify', version);
    const traced = patch(original, version);
    assert.notEqual(traced, original);
    assert.equal(traced.name, original.name);
    assert.equal(traced.length, original.length);
    assert.deepEqual(Reflect.ownKeys(traced).sort(), Reflect.ownKeys(original).sort());
    assert.equal(traced.fastify, traced, '.fastify');
    assert.equal(traced.default, traced, '.default');
    for (const key of Object.keys(original)) {
      if (original[key] !== original) assert.equal(traced[key], original[key], key);
    }
  });

  test(`fastify@${version}: the route template comes from the route context, prefixes included; none for 404s`, async () => {
    const app = patch(requireVersion('fastify', version), version)();
    const seen: Array<[string, unknown]> = [];
    const read = routeReader();
    app.addHook('onRequest', (request: any, _reply: unknown, done: () => void) => {
      assert.notEqual(contextKey(request), null, 'the fast path is found');
      seen.push([request.raw.url, read(request)]);
      done();
    });
    app.get('/users/:id', async () => 'user');
    app.register(async (api: any) => {
      api.register(async (v1: any) => { v1.get('/orders/:orderId', async () => 'order'); }, { prefix: '/v1' });
    }, { prefix: '/api' });
    try {
      for (const url of ['/users/7', '/api/v1/orders/9?x=1', '/nope']) await app.inject({ method: 'GET', url });
    } finally {
      await app.close();
    }
    assert.deepEqual(seen, [['/users/7', '/users/:id'], ['/api/v1/orders/9?x=1', '/api/v1/orders/:orderId'], ['/nope', undefined]]);
  });
}

test('without the route context the public getters are used: routeOptions, else routerPath', () => {
  const read = routeReader();
  assert.equal(read({ raw: {}, routeOptions: { url: '/a/:b' } }), '/a/:b');
  const old = routeReader();
  assert.equal(old({ raw: {}, routerPath: '/c/:d' }), '/c/:d');
  assert.equal(old({ raw: {}, routerPath: undefined }), undefined);
});

test('a factory that throws throws the same; an instance that refuses hooks is returned as it is', () => {
  const boom = new Error('bad options');
  const throwing = patch(Object.assign(function fastify() { throw boom; }, {}));
  assert.throws(() => throwing({ bad: true }), (err) => err === boom);

  const instance = { addHook() { throw new Error('after ready'); } };
  assert.equal(patch(function fastify() { return instance; })(), instance);
  const odd = patch(function fastify() { return 42; });
  assert.equal(odd(), 42);
  assert.equal(patch({ notAFunction: true }).notAFunction, true, 'non-function exports left alone');
});
