// lib/connect.js connect(url, socketOptions, openCallback): the Connection handed to openCallback
// is marked with the host and port dialled, for the peer.* tags of its channels' spans.
import { shouldTrace } from '../../src/shim/span-helpers';
import { PEER, peerOf, type Peer } from './common';

type Fn = (...args: any[]) => any;

export function wrapConnect(original: Fn): Fn {
  return function connect(this: unknown, url: unknown, socketOptions: unknown, openCallback: unknown) {
    if (typeof openCallback !== 'function' || !shouldTrace()) return original.apply(this, arguments as any);
    let peer: Peer | undefined;
    try {
      peer = peerOf(url);
    } catch {
      peer = undefined; // amqplib reports a bad URL its own way
    }
    if (peer === undefined) return original.apply(this, arguments as any);
    const args = Array.prototype.slice.call(arguments);
    args[2] = function opened(this: unknown, err: unknown, connection: unknown) {
      try {
        if (connection !== null && typeof connection === 'object') {
          Object.defineProperty(connection, PEER, { value: peer, configurable: true });
        }
      } catch {
        // a frozen connection: no peer tags
      }
      return (openCallback as Fn).apply(this, arguments as any);
    };
    return original.apply(this, args);
  };
}
