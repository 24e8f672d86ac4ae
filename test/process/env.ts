// Shared by the process-level tests: the environment that points a fixture at a fake agent.
import * as dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { FakeAgent } from '../helpers/fake-agent';
import { tagMap } from '../helpers/thrift-decode';

export const SERVICE = 'proc-test';

export function agentEnv(agent: FakeAgent, extra: Record<string, string> = {}): Record<string, string> {
  return {
    JAEGER_SERVICE_NAME: SERVICE,
    JAEGER_AGENT_HOST: '127.0.0.1',
    JAEGER_AGENT_PORT: String(agent.port),
    ...extra,
  };
}

/** Waits until a span with this operation name (and, if given, tag mode=`mode`) has arrived. */
export async function waitForSpan(agent: FakeAgent, operationName: string, mode?: string): Promise<void> {
  await agent.waitFor(
    (a) => a.spans.some((s) => s.operationName === operationName && (mode === undefined || tagMap(s.tags).mode === mode)),
    5000, `span ${operationName}${mode === undefined ? '' : ` (mode ${mode})`}`,
  );
}

/** A UDP port with nothing listening on it (bound, then released). */
export async function closedUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address() as AddressInfo;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/**
 * Positive control for "nothing arrived": sends one datagram of our own (not Thrift, so it lands in
 * agent.errors) and waits for it. Sent after the child has exited: a datagram the child sent went
 * through loopback before ours did, so once ours is in, the child's would be too.
 */
export async function drainAgent(agent: FakeAgent): Promise<void> {
  const before = agent.errors.length;
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.send(Buffer.from('control'), agent.port, '127.0.0.1', (err) => (err ? reject(err) : resolve()));
  });
  socket.close();
  await agent.waitFor((a) => a.errors.length > before, 5000, 'the control datagram');
}
