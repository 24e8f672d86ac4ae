// Tag keys and values of the OpenTracing semantic conventions, plus the few we add. Shims use these
// names instead of string literals; kept here so the preload does not have to load `opentracing`.

export const SPAN_KIND = 'span.kind';
export const SPAN_KIND_RPC_SERVER = 'server';
export const SPAN_KIND_RPC_CLIENT = 'client';
export const SPAN_KIND_MESSAGING_PRODUCER = 'producer';
export const SPAN_KIND_MESSAGING_CONSUMER = 'consumer';
export const COMPONENT = 'component';
export const ERROR = 'error';
export const SAMPLING_PRIORITY = 'sampling.priority';

export const HTTP_METHOD = 'http.method';
export const HTTP_URL = 'http.url';
export const HTTP_STATUS_CODE = 'http.status_code';
/** The route template a framework matched (`/users/:id`). */
export const HTTP_ROUTE = 'http.route';

export const PEER_SERVICE = 'peer.service';
export const PEER_HOSTNAME = 'peer.hostname';
export const PEER_ADDRESS = 'peer.address';
export const PEER_HOST_IPV4 = 'peer.ipv4';
export const PEER_HOST_IPV6 = 'peer.ipv6';
export const PEER_PORT = 'peer.port';

export const DB_TYPE = 'db.type';
export const DB_INSTANCE = 'db.instance';
export const DB_USER = 'db.user';
export const DB_STATEMENT = 'db.statement';

export const MESSAGE_BUS_DESTINATION = 'message_bus.destination';
