// Route templates. Express keeps a route's path on the Route (`route.path`), but a use() layer only
// keeps its compiled matcher, so router.use() is wrapped to remember each new layer's mount path as
// the app wrote it. The same code serves express 4 (lib/router) and the `router` package 2.x that
// express 5 uses: both push their layers onto `this.stack` and name the methods use/route/handle.

/** The mount path of a use() layer, rendered ('' for '/', which adds nothing to a template). */
export const MOUNT = Symbol('jaeger-auto:express.mount');

export interface Layer {
  handle?: unknown;
  route?: { path?: unknown; stack?: unknown } | null;
  method?: unknown;
  [MOUNT]?: string;
}

export interface Router { stack?: Layer[] }

type Use = (this: Router, ...args: unknown[]) => unknown;

/**
 * router.use(path?, ...handlers): remembers `path` on every layer the call added. The path is the
 * first argument when it is not a function (nor an array whose first leaf is one), as in express.
 */
export function wrapUse(original: Use): Use {
  return function use(this: Router) {
    const stack = this?.stack;
    const before = Array.isArray(stack) ? stack.length : -1;
    const result = original.apply(this, arguments as unknown as unknown[]);
    if (before >= 0 && Array.isArray(this.stack) && this.stack === stack && stack.length > before) {
      try {
        const mount = renderMount(mountArgument(arguments[0]));
        for (let i = before; i < stack.length; i++) {
          const layer = stack[i];
          if (layer !== null && typeof layer === 'object' && !layer.route) {
            Object.defineProperty(layer, MOUNT, { value: mount, configurable: true, enumerable: false, writable: true });
          }
        }
      } catch {
        // an unnamed mount only makes templates shorter.
      }
    }
    return result;
  };
}

function mountArgument(first: unknown): unknown {
  if (typeof first === 'function') return '/';
  let leaf = first;
  while (Array.isArray(leaf) && leaf.length !== 0) leaf = leaf[0];
  return typeof leaf === 'function' ? '/' : first;
}

/** A path as written: strings as they are, regular expressions as /source/flags, arrays as [a,b]. */
export function renderPath(path: unknown): string {
  if (typeof path === 'string') return path;
  if (path instanceof RegExp) return String(path);
  if (Array.isArray(path)) return `[${path.map(renderPath).join(',')}]`;
  return String(path);
}

function renderMount(path: unknown): string {
  const text = renderPath(path);
  // A trailing slash on a mount path matches as if absent; '/' mounts add nothing.
  return typeof path === 'string' ? text.replace(/\/+$/, '') : text;
}

/**
 * The template of a route reached through `mounts` (`['/api', '/v1']` + '/users/:id' →
 * '/api/v1/users/:id'). A route '/' inside a mount is the mount itself ('/api', not '/api/').
 */
export function routeTemplate(mounts: readonly string[], routePath: unknown): string {
  const path = renderPath(routePath);
  if (mounts.length === 0) return path;
  const prefix = mounts.join('');
  if (prefix === '') return path;
  return path === '/' ? prefix : prefix + path;
}
