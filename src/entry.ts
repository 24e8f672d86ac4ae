// The one file the package runs from. `npm run build` bundles it, with everything it reaches in src/
// and instrumentations/, into dist/jaeger-auto.js (esbuild; packages stay external). Loaded one by
// one, the ~90 compiled files the preload needs cost a service ~40 ms of its start on a 2-core
// machine (npm run bench:startup); from one file a fraction of that. Modules still initialise only
// when first required: JAEGER_DISABLED and an app without pg pay nothing for the tracer or pg's shims.
// register.js calls boot() from the bundle, and the package's main (index.js) hands out api() from
// the same bundle, so the app's `require('jaeger-auto')` and the preload share one tracer, one
// context and one set of hooks.
export { boot } from './boot';

/** The public API (src/index.ts), initialised on first call. */
export function api(): typeof import('./index') {
  return require('./index') as typeof import('./index');
}
