// Instrumentation of 'fastify' 4 and 5 — https://fastify.dev
// The http layer already makes the server span and runs fastify's whole request pipeline in its
// scope, so downstream calls from hooks and handlers are its children. Fastify only adds what http
// cannot know: the route template (operation `GET /users/:id`, tag http.route, plugin prefixes
// included) and the error a hook or handler failed with. Both come from two hooks added through
// fastify's own addHook on every root instance, first in line: nothing of fastify is patched, so
// encapsulation, fastify-plugin, the user's hooks, error handlers and responses stay as they were.
import { defineInstrumentation, type InstrumentationDefinition } from '../src/loader/definition';
import { lazy } from '../src/loader/lazy';
import type { FastifyFactory } from './fastify/factory';

// The factory wrapper, loaded on the first require of fastify (src/loader/lazy.ts).
const impl = lazy(() => require('./fastify/factory') as typeof import('./fastify/factory'));

const definitions: InstrumentationDefinition[] = [
  defineInstrumentation<FastifyFactory>({
    name: 'fastify',
    versions: '>=4 <6',
    patch(exports) {
      if (typeof exports !== 'function') return;
      return impl().tracedFactory(exports);
    },
  }),
];

export default definitions;
