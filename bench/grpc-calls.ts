// Child of bench/grpc.ts: a gRPC server and client in one process over 127.0.0.1 (JSON messages,
// no .proto), `node [-r register.js] grpc-calls.js <@grpc/grpc-js folder> <calls>`. Makes warm-up
// calls, then <calls> sequential unary calls, and prints one JSON line: wall and CPU µs per call.
import path from 'node:path';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';

const [dirArg, callsArg] = process.argv.slice(2);
const dir = path.resolve(dirArg);
const grpc = createRequire(path.join(dir, 'index.js'))('@grpc/grpc-js');
const CALLS = Number(callsArg ?? 5000);

const ser = (o: unknown) => Buffer.from(JSON.stringify(o));
const de = (b: Buffer) => JSON.parse(b.toString('utf8'));
const service = {
  Echo: {
    path: '/bench.Echo/Echo', requestStream: false, responseStream: false,
    requestSerialize: ser, requestDeserialize: de, responseSerialize: ser, responseDeserialize: de,
  },
};

async function main(): Promise<void> {
  if (process.env.BENCH_ALS === '1') new AsyncLocalStorage<number>().enterWith(1);
  const server = new grpc.Server();
  server.addService(service, { Echo: (call: any, cb: any) => cb(null, { n: call.request.n }) });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(),
    (err: Error | null, p: number) => (err ? reject(err) : resolve(p))));
  const minor = Number(require(path.join(dir, 'node_modules/@grpc/grpc-js/package.json')).version.split('.')[1]);
  if (minor < 10) server.start();
  const Client = grpc.makeGenericClientConstructor(service, 'Bench');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = (n: number) => new Promise<void>((resolve, reject) => client.Echo({ n }, (err: Error | null) => (err ? reject(err) : resolve())));
  for (let i = 0; i < 1000; i++) await call(i);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) await call(i);
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000 / CALLS;
  const c = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ wallUs, cpuUs: (c.user + c.system) / CALLS }) + '\n');
  client.close();
  server.forceShutdown();
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exitCode = 1;
});
