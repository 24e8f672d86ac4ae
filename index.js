'use strict';
// The package's API (types: dist/src/index.d.ts). It comes from the bundle the preload runs from
// (src/entry.ts), so what the app gets here is the preload's own tracer, context and hooks.
module.exports = require('./dist/jaeger-auto.js').api();
// Never run: Node learns the names an ES module can import from a CommonJS one by reading its
// source, and this points it at the compiled index, whose exports are written out one by one.
0 && (module.exports = require('./dist/src/index.js'));
