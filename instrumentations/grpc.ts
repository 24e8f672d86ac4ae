// Instrumentation of '@grpc/grpc-js' — https://github.com/grpc/grpc-node/tree/master/packages/grpc-js
// Client: getInterceptingCall (build/src/client-interceptors.js), one client span per call of any
// kind. Server: Server.prototype.register, one server span per incoming call around the app's
// handler. Why those two hook points: see grpc/client.ts and grpc/server.ts.
import { defineInstrumentation, type InstrumentationDefinition } from '../src/loader/definition';
import { wrapGetInterceptingCall } from './grpc/client';
import { wrapRegister } from './grpc/server';

const VERSIONS = '>=1.8 <2';

const definitions: InstrumentationDefinition[] = [
  defineInstrumentation<{ getInterceptingCall: any }>({
    name: '@grpc/grpc-js',
    versions: VERSIONS,
    file: 'build/src/client-interceptors.js',
    patch(exports, { wrap }) {
      wrap(exports, 'getInterceptingCall', wrapGetInterceptingCall);
    },
  }),
  defineInstrumentation<{ Server?: { prototype: { register: any } } }>({
    name: '@grpc/grpc-js',
    versions: VERSIONS,
    patch(exports, { wrap }) {
      const proto = exports.Server?.prototype;
      if (proto !== undefined) wrap(proto, 'register', wrapRegister);
    },
  }),
];

export default definitions;
