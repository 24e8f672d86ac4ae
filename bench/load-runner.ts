// The load generator in its own process (pinned to another CPU by the harness): runs autocannon
// for each { url, connections, seconds } message and sends back the summary the harness needs.
// autocannon ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const autocannon: any = require('autocannon');

interface LoadRequest { url: string; connections: number; seconds: number }

process.on('message', (msg: LoadRequest) => {
  autocannon({ url: msg.url, connections: msg.connections, duration: msg.seconds }, (err: Error | null, result: any) => {
    if (err) {
      process.send!({ error: String(err) });
      return;
    }
    process.send!({
      requests: result.requests.total,
      reqPerSec: result.requests.total / (result.duration || msg.seconds),
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx,
    });
  });
});
process.send!({ ready: true });
