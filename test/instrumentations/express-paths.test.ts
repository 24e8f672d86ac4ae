// Route templates from mount paths, and router.use() remembering them, on the real routers of the
// oldest and newest tested express (no preload: the wrapper is applied by hand to one router).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MOUNT, renderPath, routeTemplate, wrapUse } from '../../instrumentations/express/router';
import { stateOf } from '../../instrumentations/express/layer';
import { requireVersion, versionSet } from '../helpers/versions';

test('paths are rendered as written: strings, regular expressions, arrays', () => {
  assert.equal(renderPath('/users/:id'), '/users/:id');
  assert.equal(renderPath(/^\/v\d+$/i), '/^\\/v\\d+$/i');
  assert.equal(renderPath(['/a', /b+/, ['/c']]), '[/a,/b+/,[/c]]');
});

test('mount paths join into one template; a route "/" under a mount is the mount', () => {
  assert.equal(routeTemplate([], '/users/:id'), '/users/:id');
  assert.equal(routeTemplate(['/api', '/v1'], '/users/:id'), '/api/v1/users/:id');
  assert.equal(routeTemplate(['/api'], '/'), '/api');
  assert.equal(routeTemplate([], '/'), '/');
  assert.equal(routeTemplate(['/orgs/:org'], ['/a', '/b']), '/orgs/:org[/a,/b]');
});

test('requests without a server span get no state (the wrappers fall through)', () => {
  assert.equal(stateOf({ url: '/' }), undefined);
  assert.equal(stateOf(null), undefined);
  assert.equal(stateOf('req'), undefined);
});

const versions = versionSet('express').versions;
for (const version of [versions[0], versions[versions.length - 1]]) {
  test(`express ${version}: router.use remembers each new layer's mount path, without changing the router`, () => {
    const express = requireVersion('express', version);
    const router = express.Router();
    const use = wrapUse(Object.getPrototypeOf(router).use);
    const mw = (req: unknown, res: unknown, next: () => void) => next();
    assert.equal(use.call(router, mw), router, 'returns what use() returns');
    use.call(router, '/api/', mw, [mw]);
    use.call(router, ['/x', '/y'], mw);
    use.call(router, [mw, mw]);
    const mounts = router.stack.map((layer: Record<symbol, unknown>) => layer[MOUNT]);
    assert.deepEqual(mounts, ['', '/api', '/api', '[/x,/y]', '', '']);
    assert.deepEqual(Object.keys(router.stack[1]), Object.keys(express.Router().use('/api', mw).stack[0]), 'no enumerable key added');
    assert.throws(() => use.call(router, '/only-a-path'), TypeError, 'express\'s own errors pass through');
  });
}
