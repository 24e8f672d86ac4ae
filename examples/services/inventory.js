'use strict';
// inventory: item lookups and reservations. A plain http service with no tracing code at all; run it
// under `node -r jaeger-auto/register` and every request it serves becomes a span.
const http = require('node:http');

const ITEMS = {
  1: { id: 1, name: 'espresso beans', stock: 12 },
  2: { id: 2, name: 'grinder', stock: 3 },
  3: { id: 3, name: 'milk jug', stock: 40 },
};

// Stands in for a database query.
const lookup = (id) => new Promise((resolve) => setTimeout(() => resolve(ITEMS[id]), 2 + Math.random() * 4));

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = http.createServer(async (req, res) => {
  const item = /^\/items\/(\d+)$/.exec(req.url);
  if (req.method === 'GET' && item) {
    const found = await lookup(item[1]);
    return found ? send(res, 200, found) : send(res, 404, { error: 'no such item' });
  }
  if (req.method === 'POST' && req.url === '/reservations') {
    let body = '';
    for await (const chunk of req) body += chunk;
    const { id } = JSON.parse(body || '{}');
    const found = await lookup(id);
    if (!found || found.stock < 1) return send(res, 409, { error: 'out of stock' });
    found.stock -= 1;
    return send(res, 201, { reservation: `r-${id}-${found.stock}` });
  }
  send(res, 404, { error: 'not found' });
});

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`inventory listening on http://127.0.0.1:${server.address().port}`);
});
