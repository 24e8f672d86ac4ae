'use strict';
// pricing: prices in the customer's currency. A plain http service with no tracing code at all.
// The exchange-rate step is slow on purpose, and the rate feed is flaky: every third request fails
// with 503 (deterministic, so every demo run shows one error span and the caller's retry).
const http = require('node:http');

const PRICES = { 1: 14.5, 2: 89, 3: 11.25 };
let served = 0;

const exchangeRate = () => new Promise((resolve) => setTimeout(() => resolve(0.92), 15 + Math.random() * 10));

const server = http.createServer(async (req, res) => {
  const match = /^\/price\/(\d+)$/.exec(req.url);
  if (req.method !== 'GET' || !match || PRICES[match[1]] === undefined) {
    res.writeHead(404).end();
    return;
  }
  served += 1;
  if (served % 3 === 0) {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'exchange rate feed unavailable' }));
    return;
  }
  const rate = await exchangeRate();
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ id: Number(match[1]), eur: Math.round(PRICES[match[1]] * rate * 100) / 100 }));
});

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`pricing listening on http://127.0.0.1:${server.address().port}`);
});
