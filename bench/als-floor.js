'use strict';
// The context floor of any tracer built on AsyncLocalStorage (`npm run bench` config `als-floor`):
// each incoming request runs inside its own store, nothing else. Whatever jaeger-auto's unsampled
// configuration costs beyond this is ours; this much is Node's.
const { AsyncLocalStorage } = require('node:async_hooks');
const http = require('node:http');
const storage = new AsyncLocalStorage();
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, req, res) {
  if (event !== 'request') return emit.apply(this, arguments);
  return storage.run({ req }, () => emit.apply(this, arguments));
};
