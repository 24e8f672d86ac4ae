// Instrumentation of 'amqplib' (RabbitMQ client, promise and callback APIs) —
// https://github.com/amqp-node/amqplib. Patched are the channel classes of both models
// (lib/channel_model.js, lib/callback_model.js): publish → producer span with the context injected
// into the message headers; consume/get → consumer spans that follow_from it (amqplib/*.ts).
import { defineInstrumentation, type InstrumentationDefinition, type PatchContext } from '../src/loader/definition';
import { lazy } from '../src/loader/lazy';

// Loaded on the first require of amqplib (src/loader/lazy.ts).
const publish = lazy(() => require('./amqplib/publish') as typeof import('./amqplib/publish'));
const consume = lazy(() => require('./amqplib/consume') as typeof import('./amqplib/consume'));
const connect = lazy(() => require('./amqplib/connect') as typeof import('./amqplib/connect'));

/** 0.8 to 2.x keep the same files and methods (functions on prototypes until 0.10, classes since). */
export const AMQPLIB_VERSIONS = '>=0.8 <3';

type Fn = (...args: any[]) => any;
type Proto = Record<string, Fn>;
interface Model { Channel?: { prototype?: Proto }; ConfirmChannel?: { prototype?: Proto } }

function patchModel(model: Model, ctx: PatchContext, getWrapper: (original: Fn) => Fn): void {
  const channel = model?.Channel?.prototype;
  if (channel !== undefined) {
    ctx.wrap(channel, 'publish', (original) => publish().wrapPublish(original, false));
    ctx.wrap(channel, 'consume', consume().wrapConsume);
    ctx.wrap(channel, 'get', getWrapper);
  }
  // ConfirmChannel's own publish (it takes the confirm callback) calls Channel's; sendToQueue of
  // either calls its own class's publish.
  const confirm = model?.ConfirmChannel?.prototype;
  if (confirm !== undefined && Object.prototype.hasOwnProperty.call(confirm, 'publish')) {
    ctx.wrap(confirm, 'publish', (original) => publish().wrapPublish(original, true));
  }
}

const definitions: InstrumentationDefinition[] = [
  defineInstrumentation<Model>({
    name: 'amqplib',
    versions: AMQPLIB_VERSIONS,
    file: 'lib/channel_model.js',
    patch(model, ctx) {
      patchModel(model, ctx, consume().wrapGetPromise);
    },
  }),
  defineInstrumentation<Model>({
    name: 'amqplib',
    versions: AMQPLIB_VERSIONS,
    file: 'lib/callback_model.js',
    patch(model, ctx) {
      patchModel(model, ctx, consume().wrapGetCallback);
    },
  }),
  // The low-level channel both models extend: every RPC's reply passes through sendOrEnqueue.
  defineInstrumentation<{ Channel?: { prototype?: Proto } }>({
    name: 'amqplib',
    versions: AMQPLIB_VERSIONS,
    file: 'lib/channel.js',
    patch(exports, ctx) {
      const proto = exports?.Channel?.prototype;
      if (proto !== undefined) ctx.wrap(proto, 'sendOrEnqueue', consume().wrapSendOrEnqueue);
    },
  }),
  // Where the connection's host and port are known (the URL itself is never kept: credentials).
  defineInstrumentation<{ connect?: Fn }>({
    name: 'amqplib',
    versions: AMQPLIB_VERSIONS,
    file: 'lib/connect.js',
    patch(exports, ctx) {
      if (exports !== null && typeof exports === 'object') ctx.wrap(exports as { connect: Fn }, 'connect', connect().wrapConnect);
    },
  }),
];

export default definitions;
