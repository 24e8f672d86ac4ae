// Verification preload (not used for measuring): reports on stderr every DNS lookup and connection
// the process makes to anything other than loopback, so a run can prove that no agent phones home
// (telemetry, remote config, cloud metadata). It only reports; it never changes what happens.
import dns from 'node:dns';
import dgram from 'node:dgram';
import net from 'node:net';

const LOCAL = new Set(['127.0.0.1', 'localhost', '::1', '::ffff:127.0.0.1', '0.0.0.0', '::', '']);
function report(what: string, host: unknown): void {
  if (typeof host !== 'string' || LOCAL.has(host)) return;
  process.stderr.write(`[net-guard] ${what} ${host}\n`);
}

const lookup = dns.lookup;
(dns as any).lookup = function (host: unknown, ...rest: unknown[]) {
  report('dns.lookup', host);
  return (lookup as any).call(this, host, ...rest);
};
const plookup = dns.promises.lookup;
(dns.promises as any).lookup = function (host: unknown, ...rest: unknown[]) {
  report('dns.promises.lookup', host);
  return (plookup as any).call(this, host, ...rest);
};

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: any[]) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first && typeof first === 'object') {
    if (!first.path) report('connect', first.host ?? 'localhost');
  } else if (typeof first === 'number' || /^\d+$/.test(String(first))) {
    report('connect', typeof args[1] === 'string' ? args[1] : 'localhost');
  }
  return (connect as any).apply(this, args);
} as typeof connect;

const send = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function (this: dgram.Socket, ...args: any[]) {
  // send(msg, [offset, length,] port, address, cb): the address is the first string after the message.
  const address = args.slice(1).find((a) => typeof a === 'string');
  report('udp send', address ?? 'localhost');
  return (send as any).apply(this, args);
} as typeof send;
