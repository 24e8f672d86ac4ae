// The real servers the instrumentation tests talk to, on loopback. In CI (CI=true) a server that
// cannot be reached fails the test; elsewhere the test is skipped with a message naming the server.
import net from 'node:net';
import type { TestContext } from 'node:test';

export const SERVICES = {
  postgres: { port: 5432, name: 'PostgreSQL 127.0.0.1:5432 (db test, user postgres, trust auth)' },
  mysql: { port: 3306, name: 'MariaDB 127.0.0.1:3306 (db test, user root, empty password)' },
  redis: { port: 6379, name: 'Redis 127.0.0.1:6379' },
  rabbitmq: { port: 5672, name: 'RabbitMQ 127.0.0.1:5672 (guest/guest)' },
} as const;

export type ServiceName = keyof typeof SERVICES;

const reachable = new Map<number, Promise<boolean>>();

function probe(port: number): Promise<boolean> {
  let p = reachable.get(port);
  if (p === undefined) {
    p = new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
      socket.setTimeout(2000, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
    reachable.set(port, p);
  }
  return p;
}

/**
 * Resolves true when the service answers. Otherwise: in CI, throws (the test fails); elsewhere,
 * marks the test skipped with the server's name and resolves false (the test should return).
 */
export async function needService(t: TestContext, service: ServiceName): Promise<boolean> {
  const s = SERVICES[service];
  if (await probe(s.port)) return true;
  const message = `${s.name} is not reachable`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI requires it; .ci/run starts it)`);
  t.skip(message);
  return false;
}
