import { activeScope, runInScope, type Scope } from '../../src/context/scope-manager';
import { isTracing } from '../../src/tracer/global';
import { sharedTags } from '../../src/shim/span-helpers';
import type { Tag } from '../../src/tracer/finished-span';
import { PEER_ADDRESS, PEER_HOSTNAME, PEER_PORT, PEER_SERVICE } from '../../src/tracer/tags';

// Which connection a RedisCommandsQueue serves. The queue knows nothing about its client, so the
// link is made where both are built: RedisClient's constructor creates its queue and then, in the
// same synchronous run, its RedisSocket (true from @redis/client 1.1 to 6.3: `#initiateQueue()`
// then `#initiateSocket()`). The socket's options give the peer; the database and user are read
// from the commands themselves (SELECT, AUTH, HELLO), so they are right after a reconnect too.

/** What the spans of one client connection are tagged with. Shared by its queue and its socket. */
export interface Connection {
  /** peer.* tags, computed once from the socket options. */
  readonly peer: Readonly<Record<string, string | number>>;
  /** The same as tags shared by the connection's spans. */
  readonly peerTags: readonly Tag[];
  /** The selected database, as last confirmed by the server. */
  db: number;
  /** The user of the last AUTH / HELLO AUTH sent (never the password). */
  user: string | undefined;
  /**
   * The scope the socket's connect() runs its work in. Everything the client does on its own later
   * (reconnecting and its handshake, ping timers) inherits it, so a command added in exactly this
   * scope after the first connect settled is the library's, not the caller's.
   */
  scope: Scope | undefined;
  /** True until the socket's connect() settles: its handshake belongs to whoever connected. */
  connecting: boolean;
}

export const kConnection = Symbol('jaeger-auto:redis-connection');

interface Linked {
  [kConnection]?: Connection;
  readonly isOpen?: boolean;
}

type Class = new (...args: any[]) => object;

// The queue a RedisClient constructor has just built; its socket is built next.
let builtQueue: Linked | undefined;

function forget(queue: Linked): void {
  if (builtQueue === queue) builtQueue = undefined;
}

/** RedisCommandsQueue's constructor, remembering the new queue for the socket built next. */
export function wrapQueueClass<C extends Class>(Queue: C): C {
  return function RedisCommandsQueue(this: unknown) {
    if (new.target === undefined) return Reflect.apply(Queue, this, arguments); // throws as the class does
    const queue = Reflect.construct(Queue, arguments, new.target) as Linked;
    builtQueue = queue;
    queueMicrotask(() => forget(queue)); // never pair it with a socket built later for another reason
    return queue;
  } as unknown as C;
}

/** RedisSocket's constructor: links the socket and the queue built just before it. */
export function wrapSocketClass<C extends Class>(Socket: C): C {
  return function RedisSocket(this: unknown) {
    if (new.target === undefined) return Reflect.apply(Socket, this, arguments);
    const socket = Reflect.construct(Socket, arguments, new.target) as Linked;
    const queue = builtQueue;
    builtQueue = undefined;
    // (initiator, options) up to 5.x, (initiator, clientId, options) since: the options come last.
    if (queue !== undefined) {
      const connection = newConnection(arguments[arguments.length - 1]);
      queue[kConnection] = connection;
      socket[kConnection] = connection;
    }
    return socket;
  } as unknown as C;
}

function newConnection(options: unknown): Connection {
  const o = (typeof options === 'object' && options !== null ? options : {}) as { host?: unknown; port?: unknown; path?: unknown };
  const peer: Record<string, string | number> = { [PEER_SERVICE]: 'redis' };
  if (typeof o.path === 'string') {
    peer[PEER_ADDRESS] = o.path;
  } else {
    // RedisSocket's own defaults.
    peer[PEER_HOSTNAME] = typeof o.host === 'string' && o.host !== '' ? o.host : 'localhost';
    const port = Number(o.port ?? 6379);
    peer[PEER_PORT] = Number.isInteger(port) ? port : 6379;
  }
  return { peer: Object.freeze(peer), peerTags: sharedTags(peer), db: 0, user: undefined, scope: undefined, connecting: false };
}

/** The connection a queue serves, when it was built by a RedisClient. */
export function connectionOf(queue: object): Connection | undefined {
  return (queue as Linked)[kConnection];
}

type Connect = (this: Linked, ...args: unknown[]) => Promise<unknown>;

/**
 * RedisSocket.prototype.connect: runs in a scope object of its own, carrying the caller's span, so
 * the commands the client issues by itself later on (see Connection.scope) can be recognised.
 */
export function wrapConnect(original: Connect): Connect {
  return function connect(this: Linked) {
    if (!isTracing()) return original.apply(this, arguments as unknown as unknown[]);
    const connection = this[kConnection];
    // Already open: connect() only rejects, and the connection's work keeps its scope.
    if (connection === undefined || this.isOpen === true) return original.apply(this, arguments as unknown as unknown[]);
    const args = arguments as unknown as unknown[];
    const scope: Scope = { ...activeScope() };
    connection.scope = scope;
    connection.connecting = true;
    const promise = runInScope(scope, () => original.apply(this, args));
    const settled = (): void => {
      if (connection.scope === scope) connection.connecting = false;
    };
    // The client awaits this promise itself (RedisClient.connect), so observing it changes nothing.
    if (typeof promise?.then === 'function') promise.then(settled, settled);
    else settled();
    return promise;
  };
}
