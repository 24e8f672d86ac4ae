import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import * as opentracing from 'opentracing';
import { PrometheusMetricsFactory, sanitizeMetricName } from '../../src/metrics/prometheus';
import { Metrics } from '../../src/metrics/metrics';
import { initTracerFromEnv } from '../../src/config/build';
import { InMemoryReporter } from '../../src/reporters/in-memory';
import type { JaegerTracer } from '../../src/tracer/tracer';
import { recordingLogger } from '../helpers/tracer';

const tracers: JaegerTracer[] = [];
after(async () => {
  await Promise.all(tracers.map((t) => t.close()));
});

/** The value of one series in the text exposition, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('PrometheusMetricsFactory', () => {
  test('a tracer counts spans started and finished, and traces, under the namespace', async () => {
    const registry = new Registry();
    const tracer = initTracerFromEnv(
      { metricsFactory: new PrometheusMetricsFactory('my_app', registry), reporter: new InMemoryReporter(), logger: recordingLogger() },
      { JAEGER_SERVICE_NAME: 'svc' },
    );
    tracers.push(tracer);
    const root = tracer.startSpan('root');
    tracer.startSpan('child', { childOf: root }).finish();
    root.finish();
    tracer.startSpan('forced-off', { tags: { [opentracing.Tags.SAMPLING_PRIORITY]: 0 } }).finish();

    const text = await registry.metrics();
    assert.equal(sample(text, 'my_app_started_spans_total{sampled="y"}'), 3);
    assert.equal(sample(text, 'my_app_started_spans_total{sampled="n"}'), 0);
    assert.equal(sample(text, 'my_app_finished_spans_total'), 3);
    assert.equal(sample(text, 'my_app_traces_total{state="started",sampled="y"}'), 2);
    assert.equal(sample(text, 'my_app_traces_total{state="joined",sampled="n"}'), 0);
    assert.match(text, /# TYPE my_app_traces_total counter/);
    assert.match(text, /# TYPE my_app_reporter_queue_length gauge/);
    assert.match(text, /# HELP my_app_reporter_spans_total Spans handed to the sender/);
  });

  test('one prom metric per name, shared by label sets and by a second tracer on the registry', async () => {
    const registry = new Registry();
    const a = new Metrics(new PrometheusMetricsFactory('shared', registry));
    const b = new Metrics(new PrometheusMetricsFactory('shared', registry));
    a.tracesStartedSampled.increment();
    b.tracesStartedSampled.increment(2);
    b.tracesJoinedNotSampled.increment();
    const json = await registry.getMetricsAsJSON();
    assert.equal(json.filter((m) => m.name === 'shared_traces_total').length, 1);
    const text = await registry.metrics();
    assert.equal(sample(text, 'shared_traces_total{state="started",sampled="y"}'), 3);
    assert.equal(sample(text, 'shared_traces_total{state="joined",sampled="n"}'), 1);
  });

  test('label names are the union; a later, wider label set keeps earlier counts', async () => {
    const registry = new Registry();
    const f = new PrometheusMetricsFactory('u', registry);
    const plain = f.createCounter('things');
    plain.increment(5);
    const labelled = f.createCounter('things', { kind: 'a' });
    labelled.increment();
    plain.increment();
    const text = await registry.metrics();
    assert.equal(sample(text, 'u_things_total'), 6);
    assert.equal(sample(text, 'u_things_total{kind="a"}'), 1);
  });

  test('gauges set; counters ignore negative or non-finite deltas instead of throwing', async () => {
    const registry = new Registry();
    const f = new PrometheusMetricsFactory('g', registry);
    const gauge = f.createGauge('queue');
    gauge.update(7);
    gauge.update(4);
    const counter = f.createCounter('c');
    counter.increment(-1);
    counter.increment(Number.NaN);
    const text = await registry.metrics();
    assert.equal(sample(text, 'g_queue'), 4);
    assert.equal(sample(text, 'g_c_total'), 0);
  });

  test('names and labels are sanitized', async () => {
    assert.equal(sanitizeMetricName('my-app.v2_traces'), 'my_app_v2_traces');
    assert.equal(sanitizeMetricName('9lives'), '_9lives');
    const registry = new Registry();
    new PrometheusMetricsFactory('my-app', registry).createCounter('hits', { 'http.method': 'GET' }).increment();
    assert.equal(sample(await registry.metrics(), 'my_app_hits_total{http_method="GET"}'), 1);
  });

  test('a name registered by someone else is left alone with a noop metric', async () => {
    const registry = new Registry();
    const { Counter } = await import('prom-client');
    new Counter({ name: 'x_hits_total', help: 'theirs', registers: [registry] });
    const c = new PrometheusMetricsFactory('x', registry).createCounter('hits');
    assert.doesNotThrow(() => c.increment());
    assert.match(await registry.metrics(), /# HELP x_hits_total theirs/);
  });

  test('uses the default registry when none is given, and survives registry.clear()', async () => {
    const { register } = await import('prom-client');
    const f = new PrometheusMetricsFactory('dflt', undefined);
    assert.equal(f.registry, register);
    f.createCounter('n').increment();
    assert.equal(sample(await register.metrics(), 'dflt_n_total'), 1);
    register.clear();
    const again = new PrometheusMetricsFactory('dflt').createCounter('n');
    again.increment();
    assert.equal(sample(await register.metrics(), 'dflt_n_total'), 2);
    register.clear();
  });

  test('without prom-client installed, the constructor throws an Error naming the package', () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const Module = require('node:module') as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
    const original = Module._resolveFilename;
    Module._resolveFilename = function (request: string, ...rest: unknown[]) {
      if (request === 'prom-client') throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' });
      return original.call(this, request, ...rest);
    };
    try {
      assert.throws(() => new PrometheusMetricsFactory('x'), /npm install prom-client/);
    } finally {
      Module._resolveFilename = original;
    }
  });
});
