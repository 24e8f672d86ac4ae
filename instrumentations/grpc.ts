// Instrumentation of '@grpc/grpc-js' — https://github.com/grpc/grpc-node/tree/master/packages/grpc-js
// Client: getInterceptingCall (build/src/client-interceptors.js), one client span per call of any
// kind. Server: Server.prototype.register, one server span per incoming call around the app's
// handler. Why those two hook points: see grpc/client.ts and grpc/server.ts.
import { defineInstrumentation, type InstrumentationDefinition } from '../src/loader/definition';
import { lazy } from '../src/loader/lazy';

// Loaded on the first require of @grpc/grpc-js (src/loader/lazy.ts).
const client = lazy(() => require('./grpc/client') as typeof import('./grpc/client'));
const server = lazy(() => require('./grpc/server') as typeof import('./grpc/server'));

const VERSIONS = '>=1.8 <2';

const definitions: InstrumentationDefinition[] = [
  defineInstrumentation<{ getInterceptingCall: any }>({
    name: '@grpc/grpc-js',
    versions: VERSIONS,
    file: 'build/src/client-interceptors.js',
    patch(exports, { wrap }) {
      wrap(exports, 'getInterceptingCall', client().wrapGetInterceptingCall);
    },
  }),
  defineInstrumentation<{ Server?: { prototype: { register: any } } }>({
    name: '@grpc/grpc-js',
    versions: VERSIONS,
    patch(exports, { wrap }) {
      const proto = exports.Server?.prototype;
      if (proto !== undefined) wrap(proto, 'register', server().wrapRegister);
    },
  }),
];

export default definitions;
