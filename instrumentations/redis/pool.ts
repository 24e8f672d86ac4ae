import { bind } from '../../src/context/scope-manager';
import { isTracing } from '../../src/tracer/global';

// RedisClientPool (redis 5+) keeps the work of callers that find no idle client in a queue and runs
// it when another caller releases one (pool.js execute → #tasksQueue), in that caller's context: a
// command would become the child of some other request. execute's function is bound to its caller.

type Execute = (this: unknown, fn: unknown, ...rest: unknown[]) => unknown;

export function wrapExecute(original: Execute): Execute {
  return function execute(this: unknown, fn: unknown) {
    if (!isTracing() || typeof fn !== 'function') return original.apply(this, arguments as unknown as Parameters<Execute>);
    const args = Array.prototype.slice.call(arguments) as Parameters<Execute>;
    args[0] = bind(fn as (...a: unknown[]) => unknown);
    return original.apply(this, args);
  };
}
