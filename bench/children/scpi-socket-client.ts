/**
 * Benchmark 1, the physical limit: a bare Node socket sending the query and waiting for the
 * reply's newline, nothing else (no parsing, no actor, no driver).
 *
 *   node bench/children/scpi-socket-client.ts PORT QUERIES WARMUP
 *   node bench/children/scpi-socket-client.ts PORT serve WARMUP     (timed blocks on request)
 *
 * Prints {"queries_per_s", "n", "seconds"}.
 */
import { connect } from 'node:net';
import { serveQueryBlocks } from './query-blocks.ts';

const [port, queries, warmup] = process.argv.slice(2).map(Number) as [number, number, number];
/** `serve` instead of QUERIES: timed blocks on request (serveQueryBlocks). */
const serving = process.argv[3] === 'serve';
const query = Buffer.from('MEAS:VOLT:DC?\n');
const socket = connect({ host: '127.0.0.1', port, noDelay: true });
await new Promise<void>((resolve, reject) => {
  socket.once('connect', resolve);
  socket.once('error', reject);
});

let waiting: (() => void) | null = null;
socket.on('data', (chunk: Buffer) => {
  // One query is in flight at a time, so a chunk ending in a newline completes the reply.
  if (chunk[chunk.length - 1] === 0x0a && waiting) {
    const done = waiting;
    waiting = null;
    done();
  }
});
const roundTrip = () =>
  new Promise<void>((resolve) => {
    waiting = resolve;
    socket.write(query);
  });

for (let i = 0; i < warmup; i++) await roundTrip();
if (serving) await serveQueryBlocks(roundTrip);
else {
  const started = performance.now();
  for (let i = 0; i < queries; i++) await roundTrip();
  const seconds = (performance.now() - started) / 1000;
  console.log(
    JSON.stringify({ client: 'node-socket', n: queries, seconds, queries_per_s: queries / seconds }),
  );
}
socket.destroy();
