/**
 * Load generator for the fan-out benchmarks: CLIENTS WebSocket clients on /api/v1/stream, each
 * subscribed to SIGNALS at RATE Hz, recording reading timestamp → receipt latency (both
 * Date.now() on this machine's clock) in a histogram. Runs in its own process so the load
 * never shares the server's event loop. Driven over IPC by the harness:
 *
 *   → {t: 'window'}  reply {t: 'window', histogram, messages, closed, errors} and start a new window
 *   → {t: 'stop'}    close every socket and exit
 *   ← {t: 'ready', connected}  once every client has its `subscribed` reply
 *
 *   node bench/children/ws-clients.ts URL CLIENTS SIGNALS RATE
 */
import WebSocket from 'ws';
import { LatencyHistogram } from '../lib/latency-histogram.ts';

const [url, clientsArg, signalsArg, rateArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const signals = signalsArg!.split(',');
const rate = Number(rateArg);
const streamUrl = `${url!.replace(/^http/, 'ws')}/api/v1/stream`;

let histogram = new LatencyHistogram();
let messages = 0;
let closed = 0;
let errors = 0;
const sockets: WebSocket[] = [];

function open(): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(streamUrl, { perMessageDeflate: false });
    sockets.push(ws);
    let subscribed = false;
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', signals, max_rate_hz: rate })));
    ws.on('message', (data: Buffer) => {
      const receivedAt = Date.now();
      const message = JSON.parse(data.toString('utf8')) as { type: string; timestamp?: number };
      if (message.type === 'reading') {
        histogram.record(receivedAt - message.timestamp!);
        messages++;
      } else if (message.type === 'subscribed' && !subscribed) {
        subscribed = true;
        resolve();
      }
    });
    ws.on('error', (error) => {
      errors++;
      if (!subscribed) reject(error);
    });
    ws.on('close', () => {
      closed++;
      if (!subscribed) reject(new Error('closed before subscribing'));
    });
  });
}

// Connect in batches so the server's accept backlog is never the bottleneck being measured.
for (let i = 0; i < clients; i += 50) {
  await Promise.all(Array.from({ length: Math.min(50, clients - i) }, open));
}
process.send!({ t: 'ready', connected: sockets.length });

process.on('message', (m: { t: string }) => {
  if (m.t === 'window') {
    process.send!({ t: 'window', histogram: histogram.toJSON(), messages, closed, errors });
    histogram = new LatencyHistogram();
    messages = 0;
  } else if (m.t === 'stop') {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});
