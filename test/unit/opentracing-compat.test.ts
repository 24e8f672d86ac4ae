// The opentracing package's own API compatibility checks, run under node:test.
import * as nodeTest from 'node:test';
import { memoryTracer } from '../helpers/tracer';

// The suite calls mocha-style globals; node:test provides the same functions.
Object.assign(globalThis, {
  describe: nodeTest.describe,
  it: nodeTest.it,
  before: nodeTest.before,
  after: nodeTest.after,
  beforeEach: nodeTest.beforeEach,
  afterEach: nodeTest.afterEach,
});

// eslint-disable-next-line @typescript-eslint/no-var-requires
const apiCompatibilityChecks = require('opentracing/lib/test/api_compatibility').default;

// The suite logs a trace id via console.log; keep the test output clean.
const originalLog = console.log;
nodeTest.before(() => { console.log = () => {}; });
nodeTest.after(() => { console.log = originalLog; });

apiCompatibilityChecks(() => memoryTracer().tracer, { skipBaggageChecks: false, skipInjectExtractChecks: false });
