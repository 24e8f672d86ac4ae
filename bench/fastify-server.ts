// The app bench:fastify measures, in a fresh process per round (argv: fastify version folder).
// Small but shaped like a real service: a parameterised route, one in a prefixed plugin, and an
// app hook. Prints its port once listening, answers each `cpu` line on stdin with the CPU time it
// has used (µs), stops when its stdin closes.
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';

const load = createRequire(path.join(process.argv[2], 'index.js'));
const Fastify = load('fastify');

const app = Fastify();
app.addHook('onRequest', (_request: unknown, reply: { header(k: string, v: string): void }, done: () => void) => {
  reply.header('x-app', 'bench');
  done();
});
app.get('/users/:id', async (request: { params: { id: string } }) => ({ id: request.params.id, name: 'bench user' }));
app.register(async (api: any) => {
  api.get('/orders/:orderId', async (request: { params: { orderId: string } }) => ({ order: request.params.orderId }));
}, { prefix: '/api' });

app.listen({ port: 0, host: '127.0.0.1' }).then(() => {
  process.stdout.write(`${app.server.address().port}\n`);
});
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.stdout.write(`${user + system}\n`);
  }
}).on('close', () => { app.close().then(() => process.exit(0)); });
