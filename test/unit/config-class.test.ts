import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as opentracing from 'opentracing';
import { Config } from '../../src/config/config';
import { camelCase } from '../../src/config/dict';
import { JaegerSpan } from '../../src/tracer/span';
import { ConstSampler } from '../../src/samplers/const';
import { ProbabilisticSampler } from '../../src/samplers/probabilistic';
import { CompositeReporter } from '../../src/reporters/composite';
import type { JaegerTracer } from '../../src/tracer/tracer';
import { recordingLogger } from '../helpers/tracer';

const tracers: JaegerTracer[] = [];
after(async () => {
  await Promise.all(tracers.map((t) => t.close()));
});

function make(config: object, options: ConstructorParameters<typeof Config>[1] = {}, env: Record<string, string> = {}) {
  const logger = recordingLogger();
  const cfg = new Config(config, { logger, env, ...options });
  return { cfg, logger, warnings: () => logger.lines.filter((l) => l.startsWith('warn:')) };
}

describe('Config: keys', () => {
  test('camelCase conversion handles digits', () => {
    assert.equal(camelCase('generate_128bit_trace_id'), 'generate128bitTraceId');
    assert.equal(camelCase('local_agent'), 'localAgent');
    assert.equal(camelCase('reportingHost'), 'reportingHost');
  });

  const snake = {
    service_name: 'py-app',
    sampler: { type: 'probabilistic', param: 0.5 },
    local_agent: { reporting_host: 'agent-h', reporting_port: 6832, sampling_port: 5779 },
    logging: true,
    reporter_queue_size: 99,
    reporter_flush_interval: 0.5,
    sampling_refresh_interval: 30,
    tags: { team: 'core' },
    propagation: 'b3',
    generate_128bit_trace_id: true,
    max_operations: 42,
  };
  const camel = {
    serviceName: 'py-app',
    sampler: { type: 'probabilistic', param: 0.5 },
    localAgent: { reportingHost: 'agent-h', reportingPort: 6832, samplingPort: 5779 },
    logging: true,
    reporterQueueSize: 99,
    reporterFlushInterval: 0.5,
    samplingRefreshInterval: 30,
    tags: { team: 'core' },
    propagation: 'b3',
    generate128bitTraceId: true,
    maxOperations: 42,
  };
  for (const [name, dict] of [['snake_case', snake], ['camelCase', camel]] as const) {
    test(`${name} keys map onto the same settings`, () => {
      const { cfg, warnings } = make(dict, { validate: true });
      assert.deepEqual(warnings(), []);
      const s = cfg.settings;
      assert.equal(s.serviceName, 'py-app');
      assert.equal(s.samplerType, 'probabilistic');
      assert.equal(s.samplerParam, 0.5);
      assert.equal(s.agentHost, 'agent-h');
      assert.equal(s.agentPort, 6832);
      assert.equal(s.samplingUrl, 'http://agent-h:5779/sampling');
      assert.equal(s.logSpans, true);
      assert.equal(s.maxQueueSize, 99);
      assert.equal(s.flushIntervalMs, 500, 'seconds, as in the Python client');
      assert.equal(s.samplerRefreshIntervalMs, 30000);
      assert.deepEqual(s.tags, { team: 'core' });
      assert.deepEqual(s.propagation, ['b3']);
      assert.equal(s.traceId128bit, true);
      assert.equal(s.maxOperations, 42);
    });
  }

  test("the Node client's shape works too", () => {
    const { cfg } = make({
      serviceName: 'node-app', disable: false,
      sampler: { type: 'remote', param: 0.1, hostPort: 'sm:7000', refreshIntervalMs: 1000 },
      reporter: { collectorEndpoint: 'http://c/api/traces', username: 'u', password: 'p', logSpans: true, flushIntervalMs: 20, timeoutMs: 30 },
    }, { validate: true });
    const s = cfg.settings;
    assert.deepEqual(
      [s.samplerType, s.samplerParam, s.samplingUrl, s.samplerRefreshIntervalMs],
      ['remote', 0.1, 'http://sm:7000/sampling', 1000],
    );
    assert.deepEqual([s.endpoint, s.user, s.password, s.logSpans, s.flushIntervalMs, s.timeoutMs],
      ['http://c/api/traces', 'u', 'p', true, 20, 30]);
  });

  test('a const param may be a boolean, as in Python', () => {
    assert.equal(make({ sampler: { type: 'const', param: false } }, { serviceName: 'x' }).cfg.settings.samplerParam, 0);
  });

  test('enabled: false disables; unsupported Python keys are accepted with a warning', () => {
    const { cfg, warnings } = make(
      { enabled: false, trace_id_header: 'x-trace', reporter_batch_size: 5 }, { serviceName: 'x', validate: true },
    );
    assert.equal(cfg.settings.disabled, true);
    assert.equal(warnings().length, 2);
    assert.ok(warnings()[0].includes('trace_id_header'));
    // The standard header name changes nothing, so it draws no warning.
    assert.deepEqual(make({ trace_id_header: 'uber-trace-id' }, { serviceName: 'x' }).warnings(), []);
  });
});

describe('Config: validation', () => {
  test('validate: true rejects unknown keys, naming them (nested ones too)', () => {
    assert.throws(() => make({ samplr: {}, sampler: { typ: 'const' } }, { serviceName: 'x', validate: true }),
      (err: Error) => /unknown key samplr/.test(err.message) && /unknown key sampler\.typ/.test(err.message));
  });

  test('validate: true rejects a missing service name', () => {
    assert.throws(() => make({}, { validate: true }), /no service name/);
  });

  test('validate: true rejects bad values', () => {
    assert.throws(() => make({ sampler: { type: 'probabilistic', param: 2 } }, { serviceName: 'x', validate: true }),
      /sampler\.param=2 must be a probability/);
    assert.throws(() => make({ local_agent: { reporting_port: 'abc' } }, { serviceName: 'x', validate: true }),
      /local_agent\.reporting_port="abc" is not a valid port/);
  });

  test('validate: false warns once per problem and ignores it', () => {
    const { cfg, warnings } = make({ samplr: 1, sampler: { type: 'probabilistic', param: 2 } });
    assert.equal(cfg.settings.samplerParam, 0.001);
    assert.equal(warnings().length, 2, warnings().join('\n'));
  });

  test('a service name from the environment satisfies validation', () => {
    assert.equal(make({}, { validate: true }, { JAEGER_SERVICE_NAME: 'env-svc' }).cfg.settings.serviceName, 'env-svc');
  });
});

describe('Config: dict and environment', () => {
  const env = {
    JAEGER_SERVICE_NAME: 'env-svc', JAEGER_AGENT_HOST: 'env-agent', JAEGER_AGENT_PORT: '1111',
    JAEGER_SAMPLER_TYPE: 'probabilistic', JAEGER_SAMPLER_PARAM: '0.2', JAEGER_TAGS: 'a=env,b=env',
    JAEGER_ENDPOINT: 'http://env-collector/api/traces',
  };

  test('the dict wins, the environment fills what it leaves out', () => {
    const s = make({ local_agent: { reporting_port: 2222 }, tags: { b: 'dict' } }, {}, env).cfg.settings;
    assert.equal(s.agentPort, 2222);
    assert.equal(s.agentHost, 'env-agent');
    assert.equal(s.serviceName, 'env-svc');
    assert.deepEqual([s.samplerType, s.samplerParam], ['probabilistic', 0.2]);
    assert.deepEqual(s.tags, { a: 'env', b: 'dict' });
  });

  test('service name: dict over the serviceName option over JAEGER_SERVICE_NAME', () => {
    assert.equal(make({ service_name: 'dict' }, { serviceName: 'opt' }, env).cfg.settings.serviceName, 'dict');
    assert.equal(make({}, { serviceName: 'opt' }, env).cfg.settings.serviceName, 'opt');
  });

  test('a dict sampler type does not inherit the environment param; a dict agent drops JAEGER_ENDPOINT', () => {
    const s = make({ sampler: { type: 'const' } }, {}, env).cfg.settings;
    assert.deepEqual([s.samplerType, s.samplerParam], ['const', 1]);
    assert.equal(s.endpoint, 'http://env-collector/api/traces', 'no agent in the dict: the env endpoint stays');
    assert.equal(make({ local_agent: { reporting_host: 'h' } }, {}, env).cfg.settings.endpoint, undefined);
  });
});

describe('Config: tracers', () => {
  test('a Sampler instance in the dict is used as is; logging adds the logging reporter', async () => {
    const sampler = new ProbabilisticSampler(0.3);
    const tracer = make({ sampler, logging: true }, { serviceName: 'x' }).cfg.newTracer();
    tracers.push(tracer);
    assert.equal(tracer.sampler, sampler);
    assert.ok(tracer.reporter instanceof CompositeReporter);
  });

  test('initializeTracer sets the opentracing global; a second call warns and returns the first', () => {
    assert.equal(Config.initialized(), false);
    const first = make({ sampler: { type: 'const', param: 1 } }, { serviceName: 'global-svc' });
    const tracer = first.cfg.initializeTracer();
    tracers.push(tracer);
    assert.equal(Config.initialized(), true);
    const span = opentracing.globalTracer().startSpan('via-global');
    assert.ok(span instanceof JaegerSpan);
    assert.equal((span as JaegerSpan).spanContext.isSampled, true);
    span.finish();

    const second = make({}, { serviceName: 'other' });
    assert.equal(second.cfg.initializeTracer(), tracer);
    assert.equal(second.warnings().length, 1);
    assert.match(second.warnings()[0], /already initialized/);

    // newTracer builds a separate tracer and leaves the global alone.
    const extra = second.cfg.newTracer();
    tracers.push(extra);
    assert.notEqual(extra, tracer);
    assert.equal(extra.serviceName, 'other');
    const again = opentracing.globalTracer().startSpan('still-global') as JaegerSpan;
    assert.ok(again instanceof JaegerSpan);
    const globalTracerOf = (s: JaegerSpan) => s.tracer();
    assert.equal(globalTracerOf(again), tracer);
    assert.ok(extra.sampler instanceof ConstSampler);
  });
});
