import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEnv, type TracerConfig } from '../../src/config/from-env';
import { SCHEMA, SAMPLER_PARAM_DEFAULTS } from '../../src/config/schema';

function parse(env: Record<string, string>): { config: TracerConfig; warnings: string[] } {
  const warnings: string[] = [];
  const config = parseEnv(env, (m) => warnings.push(m));
  return { config, warnings };
}

describe('parseEnv: defaults', () => {
  test('an empty env gives every schema default, no warnings, and a frozen result', () => {
    const { config, warnings } = parse({});
    assert.deepEqual(warnings, []);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.tags) && Object.isFrozen(config.propagation));
    assert.equal(config.serviceName, undefined);
    assert.equal(config.disabled, false);
    assert.equal(config.agentHost, 'localhost');
    assert.equal(config.agentPort, 6831);
    assert.equal(config.agentSocketType, undefined);
    assert.equal(config.endpoint, undefined);
    assert.equal(config.samplerType, 'const');
    assert.equal(config.samplerParam, 1);
    assert.equal(config.samplingUrl, 'http://localhost:5778/sampling');
    assert.equal(config.samplerRefreshIntervalMs, 60000);
    assert.equal(config.flushIntervalMs, 1000);
    assert.equal(config.timeoutMs, 5000);
    assert.equal(config.maxQueueSize, 2048);
    assert.equal(config.logSpans, false);
    assert.deepEqual(config.tags, {});
    assert.equal(config.traceId128bit, false);
    assert.deepEqual(config.propagation, ['jaeger', 'w3c']);
    assert.equal(config.logLevel, 'warn');
  });

  test('process.env is read when no env is passed', () => {
    const saved = process.env.JAEGER_SERVICE_NAME;
    process.env.JAEGER_SERVICE_NAME = 'from-process-env';
    try {
      assert.equal(parseEnv(undefined, () => {}).serviceName, 'from-process-env');
    } finally {
      if (saved === undefined) delete process.env.JAEGER_SERVICE_NAME;
      else process.env.JAEGER_SERVICE_NAME = saved;
    }
  });

  test('the sampler param default follows the sampler type', () => {
    for (const [type, param] of Object.entries(SAMPLER_PARAM_DEFAULTS)) {
      assert.equal(parse({ JAEGER_SAMPLER_TYPE: type }).config.samplerParam, param, type);
    }
  });
});

describe('parseEnv: every variable', () => {
  const cases: Array<[Record<string, string>, Partial<Record<keyof TracerConfig, unknown>>]> = [
    [{ JAEGER_SERVICE_NAME: ' checkout ' }, { serviceName: 'checkout' }],
    [{ JAEGER_DISABLED: 'TRUE' }, { disabled: true }],
    [{ JAEGER_DISABLED: 'no' }, { disabled: false }],
    [{ JAEGER_AGENT_HOST: 'agent.local' }, { agentHost: 'agent.local', samplingUrl: 'http://agent.local:5778/sampling' }],
    [{ JAEGER_AGENT_PORT: '6832' }, { agentPort: 6832 }],
    [{ JAEGER_AGENT_SOCKET_TYPE: 'UDP6' }, { agentSocketType: 'udp6' }],
    [{ JAEGER_ENDPOINT: 'http://c:14268/api/traces' }, { endpoint: 'http://c:14268/api/traces' }],
    [{ JAEGER_USER: 'u', JAEGER_PASSWORD: ' p w ' }, { user: 'u', password: ' p w ' }],
    [{ JAEGER_AUTH_TOKEN: 'tok' }, { authToken: 'tok' }],
    [{ JAEGER_REPORTER_TIMEOUT: '250' }, { timeoutMs: 250 }],
    [{ JAEGER_REPORTER_FLUSH_INTERVAL: '50' }, { flushIntervalMs: 50 }],
    [{ JAEGER_REPORTER_MAX_QUEUE_SIZE: '10' }, { maxQueueSize: 10 }],
    [{ JAEGER_REPORTER_LOG_SPANS: 'yes' }, { logSpans: true, logLevel: 'info' }],
    [{ JAEGER_REPORTER_LOG_SPANS: '1', JAEGER_LOG_LEVEL: 'error' }, { logSpans: true, logLevel: 'error' }],
    [{ JAEGER_SAMPLER_TYPE: 'probabilistic', JAEGER_SAMPLER_PARAM: '0.25' }, { samplerType: 'probabilistic', samplerParam: 0.25 }],
    [{ JAEGER_SAMPLER_TYPE: 'rate_limiting', JAEGER_SAMPLER_PARAM: '7' }, { samplerType: 'ratelimiting', samplerParam: 7 }],
    [{ JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '0' }, { samplerParam: 0 }],
    [{ JAEGER_SAMPLER_TYPE: 'remote', JAEGER_SAMPLER_PARAM: '0.5' }, { samplerType: 'remote', samplerParam: 0.5 }],
    [{ JAEGER_SAMPLER_MANAGER_HOST_PORT: 'sm:6000' }, { samplingUrl: 'http://sm:6000/sampling' }],
    [{ JAEGER_SAMPLER_MANAGER_HOST_PORT: '[::1]:6000' }, { samplingUrl: 'http://[::1]:6000/sampling' }],
    [{ JAEGER_SAMPLER_HOST: 'old', JAEGER_SAMPLER_PORT: '7000' }, { samplingUrl: 'http://old:7000/sampling' }],
    [{ JAEGER_SAMPLER_SAMPLING_PATH: 'api/sampling' }, { samplingUrl: 'http://localhost:5778/api/sampling' }],
    [
      { JAEGER_SAMPLING_ENDPOINT: 'https://c/api/sampling', JAEGER_SAMPLER_MANAGER_HOST_PORT: 'sm:6000' },
      { samplingUrl: 'https://c/api/sampling' },
    ],
    [{ JAEGER_SAMPLER_REFRESH_INTERVAL: '1500' }, { samplerRefreshIntervalMs: 1500 }],
    [{ JAEGER_TAGS: 'a=1, b = two ,c=x=y' }, { tags: { a: '1', b: 'two', c: 'x=y' } }],
    [{ JAEGER_TRACEID_128BIT: 'true' }, { traceId128bit: true }],
    [{ JAEGER_PROPAGATION: 'B3-single, w3c,b3-single' }, { propagation: ['b3-single', 'w3c'] }],
    [{ JAEGER_LOG_LEVEL: 'DEBUG' }, { logLevel: 'debug' }],
  ];
  for (const [env, expected] of cases) {
    test(JSON.stringify(env), () => {
      const { config, warnings } = parse(env);
      assert.deepEqual(warnings, []);
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(config[key as keyof TracerConfig], value, key);
      }
    });
  }

  test('empty and blank values count as unset', () => {
    const { config, warnings } = parse({ JAEGER_AGENT_PORT: '', JAEGER_SERVICE_NAME: '   ' });
    assert.deepEqual(warnings, []);
    assert.equal(config.agentPort, 6831);
    assert.equal(config.serviceName, undefined);
  });
});

describe('parseEnv: aliases', () => {
  const aliases: Array<[string, string, keyof TracerConfig, unknown]> = [
    ['JAEGER_REPORTER_AGENT_HOST', 'h2', 'agentHost', 'h2'],
    ['JAEGER_REPORTER_AGENT_PORT', '7777', 'agentPort', 7777],
    ['JAEGER_REPORTER_ENDPOINT', 'http://alias/api/traces', 'endpoint', 'http://alias/api/traces'],
    ['JAEGER_REPORTER_USER', 'alias-user', 'user', 'alias-user'],
    ['JAEGER_DISABLE', 'true', 'disabled', true],
  ];
  for (const [alias, value, key, expected] of aliases) {
    test(`${alias} sets ${key}`, () => {
      assert.deepEqual(parse({ [alias]: value }).config[key], expected);
    });
  }

  test('JAEGER_REPORTER_PASSWORD sets the password (with a user)', () => {
    assert.equal(parse({ JAEGER_USER: 'u', JAEGER_REPORTER_PASSWORD: 'pw' }).config.password, 'pw');
  });

  test('the schema lists exactly the aliases the reference client accepts', () => {
    const aliases = SCHEMA.flatMap((e) => e.aliases ?? []).sort();
    assert.deepEqual(aliases, [
      'JAEGER_DISABLE', 'JAEGER_REPORTER_AGENT_HOST', 'JAEGER_REPORTER_AGENT_PORT', 'JAEGER_REPORTER_ENDPOINT',
      'JAEGER_REPORTER_PASSWORD', 'JAEGER_REPORTER_USER',
    ]);
  });

  test('the primary name wins over its alias', () => {
    const { config } = parse({
      JAEGER_AGENT_HOST: 'primary', JAEGER_REPORTER_AGENT_HOST: 'alias',
      JAEGER_AGENT_PORT: '1111', JAEGER_REPORTER_AGENT_PORT: '2222',
      JAEGER_ENDPOINT: 'http://primary/api/traces', JAEGER_REPORTER_ENDPOINT: 'http://alias/api/traces',
    });
    assert.equal(config.agentHost, 'primary');
    assert.equal(config.agentPort, 1111);
    assert.equal(config.endpoint, 'http://primary/api/traces');
  });

  test('a bad primary is warned about and falls back to the default, not to the alias', () => {
    const { config, warnings } = parse({ JAEGER_AGENT_PORT: 'x', JAEGER_REPORTER_AGENT_PORT: '2222' });
    assert.equal(config.agentPort, 6831);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^JAEGER_AGENT_PORT="x"/);
  });
});

describe('parseEnv: JAEGER_TAGS', () => {
  test('${VAR} and ${VAR:default} expand from the same env', () => {
    const { config, warnings } = parse({
      JAEGER_TAGS: 'pod=${POD_NAME},zone=${ZONE:eu-1},rack=${RACK:},host=${HOST_X:fallback}',
      POD_NAME: 'pod-7', HOST_X: 'real-host',
    });
    assert.deepEqual(warnings, []);
    assert.deepEqual(config.tags, { pod: 'pod-7', zone: 'eu-1', rack: '', host: 'real-host' });
  });

  test('an empty variable takes the default', () => {
    assert.deepEqual(parse({ JAEGER_TAGS: 'z=${Z:d}', Z: '' }).config.tags, { z: 'd' });
  });

  test('malformed entries are skipped with one warning naming them; good ones are kept', () => {
    const { config, warnings } = parse({ JAEGER_TAGS: 'good=1,novalue,=nokey,,also=2' });
    assert.deepEqual(config.tags, { good: '1', also: '2' });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^JAEGER_TAGS=.*"novalue", "=nokey"/);
  });
});

describe('parseEnv: bad values', () => {
  const bad: Array<[Record<string, string>, string, keyof TracerConfig, unknown]> = [
    [{ JAEGER_SAMPLER_PARAM: 'abc' }, 'JAEGER_SAMPLER_PARAM', 'samplerParam', 1],
    [{ JAEGER_AGENT_PORT: '99999' }, 'JAEGER_AGENT_PORT', 'agentPort', 6831],
    [{ JAEGER_AGENT_PORT: '0' }, 'JAEGER_AGENT_PORT', 'agentPort', 6831],
    [{ JAEGER_ENDPOINT: 'not a url' }, 'JAEGER_ENDPOINT', 'endpoint', undefined],
    [{ JAEGER_ENDPOINT: 'ftp://x/y' }, 'JAEGER_ENDPOINT', 'endpoint', undefined],
    [{ JAEGER_SAMPLER_TYPE: 'sometimes' }, 'JAEGER_SAMPLER_TYPE', 'samplerType', 'const'],
    [{ JAEGER_SAMPLER_TYPE: 'probabilistic', JAEGER_SAMPLER_PARAM: '1.5' }, 'JAEGER_SAMPLER_PARAM', 'samplerParam', 0.001],
    [{ JAEGER_SAMPLER_TYPE: 'ratelimiting', JAEGER_SAMPLER_PARAM: '-1' }, 'JAEGER_SAMPLER_PARAM', 'samplerParam', 1],
    [{ JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '0.5' }, 'JAEGER_SAMPLER_PARAM', 'samplerParam', 1],
    [{ JAEGER_REPORTER_FLUSH_INTERVAL: '0' }, 'JAEGER_REPORTER_FLUSH_INTERVAL', 'flushIntervalMs', 1000],
    [{ JAEGER_REPORTER_FLUSH_INTERVAL: '1.5' }, 'JAEGER_REPORTER_FLUSH_INTERVAL', 'flushIntervalMs', 1000],
    [{ JAEGER_SAMPLER_MANAGER_HOST_PORT: 'host-only' }, 'JAEGER_SAMPLER_MANAGER_HOST_PORT', 'samplingUrl',
      'http://localhost:5778/sampling'],
    [{ JAEGER_PROPAGATION: 'zipkin' }, 'JAEGER_PROPAGATION', 'propagation', ['jaeger', 'w3c']],
    [{ JAEGER_PROPAGATION: 'b3,zipkin' }, 'JAEGER_PROPAGATION', 'propagation', ['b3']],
    [{ JAEGER_LOG_LEVEL: 'loud' }, 'JAEGER_LOG_LEVEL', 'logLevel', 'warn'],
    [{ JAEGER_DISABLED: 'maybe' }, 'JAEGER_DISABLED', 'disabled', false],
  ];
  for (const [env, name, key, expected] of bad) {
    test(`${JSON.stringify(env)}: one warning naming ${name}, ${key} = ${JSON.stringify(expected)}`, () => {
      const { config, warnings } = parse(env);
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.ok(warnings[0].startsWith(`${name}=`), warnings[0]);
      assert.ok(warnings[0].includes(JSON.stringify(env[name]).slice(1, -1)), 'names the bad value');
      assert.deepEqual(config[key], expected);
    });
  }

  test('garbage in every variable: no throw, exactly one warning per checkable variable', () => {
    const env: Record<string, string> = { JAEGER_USER: 'u', JAEGER_PASSWORD: 'hunter2', JAEGER_AUTH_TOKEN: 'tok-123' };
    const garbage = '%%garbage%%';
    for (const entry of SCHEMA) if (env[entry.env] === undefined) env[entry.env] = garbage;
    const { config, warnings } = parse(env);
    for (const entry of SCHEMA) {
      const count = warnings.filter((w) => w.startsWith(`${entry.env}=`)).length;
      assert.equal(count, entry.type === 'string' ? 0 : 1, `${entry.env}: ${count} warnings`);
    }
    assert.equal(warnings.length, SCHEMA.filter((e) => e.type !== 'string').length);
    for (const w of warnings) assert.ok(!w.includes('hunter2') && !w.includes('tok-123'), w);
    // Defaults where the garbage was rejected.
    assert.equal(config.agentPort, 6831);
    assert.equal(config.samplerType, 'const');
    assert.equal(config.endpoint, undefined);
    assert.deepEqual(config.tags, {});
  });

  test('a password or token never appears in a warning', () => {
    const warnings: string[] = [];
    parseEnv({ JAEGER_PASSWORD: 'hunter2' }, (m) => warnings.push(m)); // password without user
    parseEnv({ JAEGER_REPORTER_PASSWORD: 'hunter2' }, (m) => warnings.push(m));
    parseEnv({ JAEGER_ENDPOINT: 'http://u:hunter2@ bad host/' }, (m) => warnings.push(m));
    assert.equal(warnings.length, 3);
    assert.match(warnings[0], /^JAEGER_PASSWORD=<redacted> is set without JAEGER_USER/);
    assert.match(warnings[1], /^JAEGER_REPORTER_PASSWORD=<redacted>/);
    for (const w of warnings) assert.ok(!w.includes('hunter2'), w);
  });

  test('a password without a user is dropped', () => {
    assert.equal(parse({ JAEGER_PASSWORD: 'pw' }).config.password, undefined);
  });
});

describe('schema coverage', () => {
  test('every JAEGER_* variable the reference client reads is in the schema', () => {
    const { readFileSync } = require('node:fs') as typeof import('node:fs');
    const src = readFileSync(require.resolve('jaeger-client/dist/src/configuration_env.js'), 'utf8');
    const read = new Set(src.match(/JAEGER_[A-Z0-9_]+/g));
    assert.ok(read.size > 15, `found ${read.size}`);
    const known = new Set(SCHEMA.flatMap((e) => [e.env, ...(e.aliases ?? [])]));
    assert.deepEqual([...read].filter((name) => !known.has(name)), []);
  });

  test('JAEGER_AUTH_TOKEN is trimmed; one with spaces inside is refused without showing it', () => {
    assert.equal(parse({ JAEGER_AUTH_TOKEN: ' tok\n' }).config.authToken, 'tok');
    const { config, warnings } = parse({ JAEGER_AUTH_TOKEN: 'to ken' });
    assert.equal(config.authToken, undefined);
    assert.deepEqual(warnings.length, 1);
    assert.match(warnings[0], /^JAEGER_AUTH_TOKEN=<redacted>/);
    assert.ok(!warnings[0].includes('to ken'));
  });
});
