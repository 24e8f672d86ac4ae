// Instrumentation of 'redis' (node-redis 4.1–6) — https://github.com/redis/node-redis. Patched is
// '@redis/client' (1.x under redis 4, 5.x/6.x under redis 5/6): RedisCommandsQueue#addCommand, the
// one funnel of every command (redis/queue.ts), plus the queue and socket constructors and the
// socket's connect() to know each queue's server and its own work (redis/connection.ts), and the
// client pool's execute() of redis 5+ so queued work keeps its caller's context (redis/pool.ts).
import { defineInstrumentation, type InstrumentationDefinition } from '../src/loader/definition';
import { lazy } from '../src/loader/lazy';

// Loaded on the first require of @redis/client (src/loader/lazy.ts).
const connection = lazy(() => require('./redis/connection') as typeof import('./redis/connection'));
const pool = lazy(() => require('./redis/pool') as typeof import('./redis/pool'));
const queue = lazy(() => require('./redis/queue') as typeof import('./redis/queue'));

// There is no @redis/client 2–4; redis 4.0 shipped '@node-redis/client' and redis 3 is another API:
// neither is instrumented.
const CLIENT_VERSIONS = '>=1.1 <2 || >=5 <7';

type Class = (new (...args: any[]) => object) & { prototype: Record<string, any> };

interface ClassModule {
  default: Class;
}

const definitions: InstrumentationDefinition[] = [
  defineInstrumentation<ClassModule>({
    name: '@redis/client',
    versions: CLIENT_VERSIONS,
    file: 'dist/lib/client/commands-queue.js',
    patch(exports, { wrap }) {
      const Queue = exports?.default;
      if (typeof Queue !== 'function' || typeof Queue.prototype?.addCommand !== 'function') return;
      wrap(Queue.prototype, 'addCommand', queue().wrapAddCommand);
      wrap(exports, 'default', connection().wrapQueueClass);
    },
  }),
  defineInstrumentation<ClassModule>({
    name: '@redis/client',
    versions: CLIENT_VERSIONS,
    file: 'dist/lib/client/socket.js',
    patch(exports, { wrap }) {
      const Socket = exports?.default;
      if (typeof Socket !== 'function' || typeof Socket.prototype?.connect !== 'function') return;
      wrap(Socket.prototype, 'connect', connection().wrapConnect);
      wrap(exports, 'default', connection().wrapSocketClass);
    },
  }),
  defineInstrumentation<{ RedisClientPool: Class }>({
    name: '@redis/client',
    versions: '>=5 <7',
    file: 'dist/lib/client/pool.js',
    patch(exports, { wrap }) {
      const proto = exports?.RedisClientPool?.prototype;
      if (typeof proto?.execute === 'function') wrap(proto, 'execute', pool().wrapExecute);
    },
  }),
];

export default definitions;
