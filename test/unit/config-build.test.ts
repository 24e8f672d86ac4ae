import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as opentracing from 'opentracing';
import { createTracer, initTracerFromEnv, UNKNOWN_SERVICE_NAME } from '../../src/config/build';
import { loadEnvConfig, parseEnv } from '../../src/config/from-env';
import { isLogEnabled, setLogLevel } from '../../src/log';
import { InMemoryReporter } from '../../src/reporters/in-memory';
import { CompositeReporter } from '../../src/reporters/composite';
import { LoggingReporter } from '../../src/reporters/logging';
import { RemoteReporter } from '../../src/reporters/remote';
import { ConstSampler } from '../../src/samplers/const';
import { ProbabilisticSampler } from '../../src/samplers/probabilistic';
import { RateLimitingSampler } from '../../src/samplers/rate-limiting';
import { RemoteSampler } from '../../src/samplers/remote';
import type { JaegerTracer } from '../../src/tracer/tracer';
import type { MetricsFactory } from '../../src/metrics/metrics';
import { recordingLogger } from '../helpers/tracer';

const tracers: JaegerTracer[] = [];
after(async () => {
  await Promise.all(tracers.map((t) => t.close()));
});

/** initTracerFromEnv with a recording logger; the tracer is closed after the suite. */
function fromEnv(env: Record<string, string>, options: Parameters<typeof initTracerFromEnv>[0] = {}) {
  const logger = recordingLogger();
  const tracer = initTracerFromEnv({ logger, ...options }, { JAEGER_SERVICE_NAME: 'svc', ...env });
  tracers.push(tracer);
  return { tracer, logger };
}

async function udpListener() {
  const socket = dgram.createSocket('udp4');
  const packets: Buffer[] = [];
  socket.on('message', (msg) => packets.push(msg));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: (socket.address() as AddressInfo).port, packets, close: () => socket.close() };
}

async function httpCollector() {
  const requests: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; body: Buffer }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/api/traces`, requests, close: () => server.close() };
}

const waitFor = async (cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

describe('createTracer: transport', () => {
  test('no JAEGER_ENDPOINT: spans go to the agent over UDP, not to the collector', async () => {
    const agent = await udpListener();
    const collector = await httpCollector();
    try {
      const { tracer } = fromEnv({ JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port) });
      assert.ok(tracer.reporter instanceof RemoteReporter);
      tracer.startSpan('udp-op').finish();
      await tracer.close();
      await waitFor(() => agent.packets.length > 0);
      assert.equal(agent.packets.length, 1);
      assert.ok(agent.packets[0].includes(Buffer.from('udp-op')));
      assert.ok(agent.packets[0].includes(Buffer.from('emitBatch')), 'an Agent.emitBatch message');
      assert.equal(collector.requests.length, 0);
    } finally {
      agent.close();
      collector.close();
    }
  });

  test('JAEGER_ENDPOINT: spans are POSTed to the collector with basic auth, nothing over UDP', async () => {
    const agent = await udpListener();
    const collector = await httpCollector();
    try {
      const { tracer } = fromEnv({
        JAEGER_ENDPOINT: collector.url, JAEGER_USER: 'alice', JAEGER_PASSWORD: 'pw',
        JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
      });
      tracer.startSpan('http-op').finish();
      await tracer.close();
      assert.equal(collector.requests.length, 1);
      const req = collector.requests[0];
      assert.equal(req.method, 'POST');
      assert.equal(req.url, '/api/traces');
      assert.equal(req.headers['content-type'], 'application/x-thrift');
      assert.equal(req.headers.authorization, `Basic ${Buffer.from('alice:pw').toString('base64')}`);
      assert.ok(req.body.includes(Buffer.from('http-op')));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(agent.packets.length, 0);
    } finally {
      agent.close();
      collector.close();
    }
  });

  test('JAEGER_AUTH_TOKEN is sent as a bearer token', async () => {
    const collector = await httpCollector();
    try {
      const { tracer } = fromEnv({ JAEGER_ENDPOINT: collector.url, JAEGER_AUTH_TOKEN: 'tok-1\n' });
      tracer.startSpan('op').finish();
      await tracer.close();
      assert.equal(collector.requests[0]?.headers.authorization, 'Bearer tok-1');
    } finally {
      collector.close();
    }
  });
});

describe('createTracer: samplers', () => {
  test('each JAEGER_SAMPLER_TYPE builds its sampler with the param', () => {
    const c = fromEnv({ JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '0' }).tracer;
    assert.ok(c.sampler instanceof ConstSampler && c.sampler.decision === false);
    assert.equal(c.startSpan('x').spanContext.isSampled, false);
    const p = fromEnv({ JAEGER_SAMPLER_TYPE: 'probabilistic', JAEGER_SAMPLER_PARAM: '0.5' }).tracer;
    assert.ok(p.sampler instanceof ProbabilisticSampler);
    assert.deepEqual(p.sampler.sample('x').tags.map((t) => t.value), ['probabilistic', 0.5]);
    const r = fromEnv({ JAEGER_SAMPLER_TYPE: 'ratelimiting', JAEGER_SAMPLER_PARAM: '3' }).tracer;
    assert.ok(r.sampler instanceof RateLimitingSampler);
    assert.deepEqual(r.sampler.sample('x').tags.map((t) => t.value), ['ratelimiting', 3]);
  });

  test('the default samples every trace', () => {
    const { tracer } = fromEnv({});
    assert.ok(tracer.sampler instanceof ConstSampler && tracer.sampler.decision === true);
    assert.equal(tracer.startSpan('x').spanContext.isSampled, true);
  });

  test('remote polls the configured sampling URL, starting from the param as probability', async () => {
    const { tracer } = fromEnv({
      JAEGER_SAMPLER_TYPE: 'remote', JAEGER_SAMPLER_PARAM: '0.25',
      JAEGER_SAMPLER_MANAGER_HOST_PORT: '127.0.0.1:1', JAEGER_SAMPLER_REFRESH_INTERVAL: '120000',
    });
    const sampler = tracer.sampler;
    assert.ok(sampler instanceof RemoteSampler);
    assert.equal(sampler.samplingUrl, 'http://127.0.0.1:1/sampling?service=svc');
    assert.equal(sampler.refreshIntervalMs, 120000);
    assert.deepEqual(sampler.sample('x').tags.map((t) => t.value), ['probabilistic', 0.25]);
    await tracer.close();
  });
});

describe('createTracer: reporters, tags, propagation, ids', () => {
  test('JAEGER_REPORTER_LOG_SPANS adds a LoggingReporter next to the remote one', () => {
    const { tracer, logger } = fromEnv({ JAEGER_REPORTER_LOG_SPANS: 'true' });
    const reporter = tracer.reporter;
    assert.ok(reporter instanceof CompositeReporter);
    assert.ok(reporter.reporters.some((r) => r instanceof RemoteReporter));
    assert.ok(reporter.reporters.some((r) => r instanceof LoggingReporter));
    tracer.startSpan('logged-op').finish();
    assert.ok(logger.lines.some((l) => l.startsWith('info:') && l.includes('logged-op')), logger.lines.join('\n'));
  });

  test('JAEGER_TAGS become process tags next to the standard ones', () => {
    const { tracer } = fromEnv({ JAEGER_TAGS: 'region=eu,pod=${MY_POD:none}' });
    const tags = Object.fromEntries(tracer.process.tags.map((t) => [t.key, t.value]));
    assert.equal(tags.region, 'eu');
    assert.equal(tags.pod, 'none');
    assert.ok('hostname' in tags && 'client-uuid' in tags);
    assert.equal(tracer.process.serviceName, 'svc');
  });

  test('JAEGER_PROPAGATION=b3 injects B3 headers only', () => {
    const { tracer } = fromEnv({ JAEGER_PROPAGATION: 'b3' });
    const carrier: Record<string, string> = {};
    tracer.inject(tracer.startSpan('x'), opentracing.FORMAT_HTTP_HEADERS, carrier);
    assert.ok(Object.keys(carrier).some((k) => k.toLowerCase() === 'x-b3-traceid'), JSON.stringify(carrier));
    assert.equal(carrier['uber-trace-id'], undefined);
    assert.equal(carrier.traceparent, undefined);
  });

  test('JAEGER_TRACEID_128BIT gives 32-digit trace ids', () => {
    assert.equal(fromEnv({ JAEGER_TRACEID_128BIT: 'true' }).tracer.startSpan('x').spanContext.traceId.length, 32);
    assert.equal(fromEnv({}).tracer.startSpan('x').spanContext.traceId.length, 16);
  });
});

describe('initTracerFromEnv: options over env', () => {
  test('serviceName, tags, reporter and sampler options win over the environment', () => {
    const reporter = new InMemoryReporter();
    const { tracer } = fromEnv(
      { JAEGER_SERVICE_NAME: 'env-name', JAEGER_TAGS: 'a=env,b=env', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '0' },
      { serviceName: 'opt-name', tags: { b: 'opt', c: 3 }, reporter, sampler: new ConstSampler(true) },
    );
    assert.equal(tracer.serviceName, 'opt-name');
    const tags = Object.fromEntries(tracer.process.tags.map((t) => [t.key, t.value]));
    assert.deepEqual([tags.a, tags.b, tags.c], ['env', 'opt', 3]);
    tracer.startSpan('kept').finish();
    assert.deepEqual(reporter.spans.map((s) => s.operationName), ['kept']);
  });

  test('a metrics factory receives the tracer metrics', () => {
    const counts = new Map<string, number>();
    const factory: MetricsFactory = {
      createCounter: (name, tags) => {
        const key = `${name}${JSON.stringify(tags ?? {})}`;
        return { increment: (d = 1) => counts.set(key, (counts.get(key) ?? 0) + d) };
      },
      createGauge: () => ({ update() {} }),
    };
    const { tracer } = fromEnv({}, { metricsFactory: factory, reporter: new InMemoryReporter() });
    tracer.startSpan('a').finish();
    assert.equal(counts.get('started_spans{"sampled":"y"}'), 1);
    assert.equal(counts.get('finished_spans{}'), 1);
  });

  test('bad variables are warned about through the logger, once each, and never throw', () => {
    const { tracer, logger } = fromEnv({ JAEGER_AGENT_PORT: '99999', JAEGER_SAMPLER_PARAM: 'abc' });
    const warnings = logger.lines.filter((l) => l.startsWith('warn:'));
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.ok(warnings.some((w) => w.includes('JAEGER_AGENT_PORT="99999"')));
    assert.ok(warnings.some((w) => w.includes('JAEGER_SAMPLER_PARAM="abc"')));
    assert.equal(tracer.serviceName, 'svc');
  });

  test('loadEnvConfig applies JAEGER_LOG_LEVEL, then reports each warning once', () => {
    const logger = recordingLogger();
    try {
      const config = loadEnvConfig({ JAEGER_LOG_LEVEL: 'debug', JAEGER_AGENT_PORT: 'x', JAEGER_DISABLED: '1' }, logger);
      assert.equal(config.disabled, true);
      assert.equal(isLogEnabled('debug'), true);
      assert.deepEqual(logger.lines.map((l) => l.split('=')[0]), ['warn: %s JAEGER_AGENT_PORT']);
    } finally {
      setLogLevel('warn');
    }
  });

  test('no service name anywhere: a warning and the unknown_service name', () => {
    const logger = recordingLogger();
    const tracer = createTracer(parseEnv({}, () => {}), { logger, reporter: new InMemoryReporter() });
    tracers.push(tracer);
    assert.equal(tracer.serviceName, UNKNOWN_SERVICE_NAME);
    assert.ok(logger.lines.some((l) => l.startsWith('warn:') && l.includes('JAEGER_SERVICE_NAME')));
  });
});

describe('JAEGER_DISABLED', () => {
  test('samples nothing, reports nothing, opens no socket and no timer, still propagates', async () => {
    const agent = await udpListener();
    const before = process.getActiveResourcesInfo().length;
    try {
      const { tracer } = fromEnv({
        JAEGER_DISABLED: 'true', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
        JAEGER_SAMPLER_TYPE: 'remote',
      });
      assert.equal(process.getActiveResourcesInfo().length, before, 'no new handles or timers');
      const span = tracer.startSpan('off');
      assert.equal(span.spanContext.isSampled, false);
      // Even a span forced into sampling goes nowhere.
      tracer.startSpan('forced', { tags: { [opentracing.Tags.SAMPLING_PRIORITY]: 1 } }).finish();
      span.finish();
      const carrier: Record<string, string> = {};
      tracer.inject(span, opentracing.FORMAT_TEXT_MAP, carrier);
      assert.ok(carrier['uber-trace-id'] !== undefined, 'context still propagates');
      await tracer.close();
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(agent.packets.length, 0);
    } finally {
      agent.close();
    }
  });
});
