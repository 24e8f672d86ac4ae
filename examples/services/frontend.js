'use strict';
// frontend: GET /checkout?item=<id> asks inventory and pricing in parallel, retries pricing once
// when it answers 5xx, then reserves the item. A plain http service with no tracing code at all:
// the preload turns each incoming request and each outgoing call below into spans of one trace.
const http = require('node:http');

const INVENTORY = process.env.INVENTORY_URL;
const PRICING = process.env.PRICING_URL;

/** One outgoing request with an optional JSON body; resolves { status, body }. */
function call(method, url, payload) {
  return new Promise((resolve, reject) => {
    const data = payload === undefined ? undefined : JSON.stringify(payload);
    const headers = data === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) };
    const req = http.request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, body: body ? JSON.parse(body) : undefined }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function priceOf(id) {
  const first = await call('GET', `${PRICING}/price/${id}`);
  return first.status >= 500 ? call('GET', `${PRICING}/price/${id}`) : first;
}

async function checkout(id) {
  const [item, price] = await Promise.all([call('GET', `${INVENTORY}/items/${id}`), priceOf(id)]);
  if (item.status !== 200) return { status: item.status, body: item.body };
  if (price.status !== 200) return { status: 502, body: { error: 'pricing unavailable' } };
  const reservation = await call('POST', `${INVENTORY}/reservations`, { id });
  if (reservation.status !== 201) return { status: reservation.status, body: reservation.body };
  return { status: 200, body: { item: item.body.name, eur: price.body.eur, reservation: reservation.body.reservation } };
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://frontend');
  if (req.method !== 'GET' || url.pathname !== '/checkout') {
    res.writeHead(404).end();
    return;
  }
  checkout(url.searchParams.get('item')).then(
    ({ status, body }) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    },
    (err) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: err.message }));
    },
  );
});

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`frontend listening on http://127.0.0.1:${server.address().port}`);
});
