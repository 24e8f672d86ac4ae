// Node's core http and https modules (https://nodejs.org/api/http.html). Patched: Server.prototype
// .emit for incoming requests (server spans) and request/get for outgoing ones (client spans with
// injected context). Core modules load before any app code, so one patch covers every server and
// every client the app creates, including those of frameworks and HTTP client libraries.
import type * as httpModule from 'node:http';
import { defineInstrumentation, type InstrumentationDefinition, type PatchContext } from '../src/loader/definition';
import { lazy } from '../src/loader/lazy';

// Loaded on the first require of http or https (src/loader/lazy.ts).
const server = lazy(() => require('./http/server') as typeof import('./http/server'));
const client = lazy(() => require('./http/client') as typeof import('./http/client'));
const common = lazy(() => require('./http/common') as typeof import('./http/common'));

type Emitting = { prototype: { emit: (...a: any[]) => boolean } };
type HttpLike = Pick<typeof httpModule, 'request' | 'get'> & {
  Server: Emitting; IncomingMessage?: Emitting; ServerResponse?: Emitting; ClientRequest?: Emitting;
};

function patchModule(exports: HttpLike, ctx: PatchContext, protocol: string): void {
  if (exports.Server?.prototype) server().patchServer(exports.Server.prototype, ctx);
  ctx.wrap(exports, 'request', (original) => client().wrapClient(original, protocol) as typeof original);
  ctx.wrap(exports, 'get', (original) => client().wrapClient(original, protocol) as typeof original);
  // One emit per class that reads a per-object binding, instead of a closure and an own `emit` on
  // every request and response (https uses these same classes; only the http module exports them,
  // and until it is loaded the shims fall back to per-object emits). Unguarded: a request and its
  // response emit a dozen events or more, the emit starts no span and reads only bindings made
  // while http was enabled, and the guard cost more per event than the emit's own fast path.
  for (const cls of [exports.IncomingMessage, exports.ServerResponse, exports.ClientRequest]) {
    if (cls?.prototype) ctx.wrap(cls.prototype, 'emit', common().bindingEmit, { unguarded: true });
  }
}

const definitions: InstrumentationDefinition[] = [
  defineInstrumentation<HttpLike>({
    name: 'http',
    versions: '*',
    patch(exports, ctx) {
      patchModule(exports, ctx, 'http:');
    },
  }),
  defineInstrumentation<HttpLike>({
    name: 'https',
    versions: '*',
    patch(exports, ctx) {
      patchModule(exports, ctx, 'https:');
    },
  }),
];

export default definitions;
