// Instrumentation of 'ioredis' — https://github.com/redis/ioredis (v4, v5, v6). Patched:
// Redis.prototype.sendCommand and Cluster.prototype.sendCommand (every command passes through them
// in the caller's call; the command's own resolve/reject end the span), Pipeline.prototype.exec
// (one span per pipeline or MULTI), Pipeline.prototype.sendCommand (auto-pipelined commands keep a
// span each), and the connection set-up paths whose commands get no span.
// The patch targets are the same in all three majors (checked in 4.31.0, 5.11.1, 6.0.0). v5.11+ also
// publishes to diagnostics_channel ('ioredis:command'), but only when a command is written: a command
// queued while connecting would be seen from the ready handler, in the wrong context.
import { defineInstrumentation, type InstrumentationDefinition } from '../src/loader/definition';
import { lazy } from '../src/loader/lazy';
import type { Fn } from './ioredis/common';

// Loaded on the first require of ioredis (src/loader/lazy.ts).
const batch = lazy(() => require('./ioredis/batch') as typeof import('./ioredis/batch'));
const command = lazy(() => require('./ioredis/command') as typeof import('./ioredis/command'));
const common = lazy(() => require('./ioredis/common') as typeof import('./ioredis/common'));

interface Proto { prototype?: Record<string, unknown> }

/** module.exports of ioredis: the Redis class, with Cluster and Pipeline hung on it. */
type IORedisModule = Fn & Proto & { Cluster?: Proto; Pipeline?: Proto };

/** ioredis/built/redis/event_handler.js: factories of the connection's event handlers. */
interface EventHandlers { readyHandler?: Fn }

const definitions: InstrumentationDefinition[] = [
  defineInstrumentation<IORedisModule>({
    name: 'ioredis',
    versions: '>=4 <7',
    patch(Redis, { wrap }) {
      const redis = Redis?.prototype;
      if (redis === undefined || redis === null) return;
      wrap(redis, 'sendCommand', (original) => command().wrapRedisSendCommand(original as Fn));
      const pipeline = Redis.Pipeline?.prototype;
      if (pipeline) {
        wrap(pipeline, 'exec', (original) => batch().wrapExec(original as Fn));
        wrap(pipeline, 'sendCommand', (original) => batch().wrapPipelineSendCommand(original as Fn));
      }
      const cluster = Redis.Cluster?.prototype;
      if (cluster) {
        wrap(cluster, 'sendCommand', (original) => command().wrapClusterSendCommand(original as Fn));
        wrap(cluster, 'getInfoFromNode', (original) => command().wrapClusterSetup(original as Fn));
        wrap(cluster, 'readyCheck', (original) => command().wrapClusterSetup(original as Fn));
      }
    },
  }),
  // The ready handler re-selects the db, re-subscribes and enters MONITOR mode on every (re)connect.
  // event_handler.js calls it as exports.readyHandler(self)(), so the exported factory is patched.
  defineInstrumentation<EventHandlers>({
    name: 'ioredis',
    versions: '>=4 <7',
    file: 'built/redis/event_handler.js',
    patch(handlers, { wrap }) {
      wrap(handlers, 'readyHandler', (original) => function readyHandler(this: unknown) {
        const handler = (original as Fn).apply(this, arguments as any);
        return typeof handler === 'function' ? common().asSetup(handler) : handler;
      } as typeof original);
    },
  }),
];

export default definitions;
