// A discarding UDP receiver in its own process, so receiving costs the measured process nothing.
// Prints its port, then answers every 'stats' message on stdin with datagram and byte counts.
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';

const socket = createSocket('udp4');
let datagrams = 0;
let bytes = 0;
socket.on('message', (msg) => {
  datagrams++;
  bytes += msg.length;
});
socket.bind({ address: '127.0.0.1', port: 0 }, () => {
  try {
    socket.setRecvBufferSize(8 * 1024 * 1024);
  } catch {
    // The kernel may cap the buffer; counts then show what arrived.
  }
  process.stdout.write(JSON.stringify({ port: socket.address().port }) + '\n');
});
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'stats') process.stdout.write(JSON.stringify({ datagrams, bytes }) + '\n');
  if (line === 'reset') { datagrams = 0; bytes = 0; process.stdout.write('{}\n'); }
});
process.stdin.on('end', () => process.exit(0));
