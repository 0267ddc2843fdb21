/**
 * Benchmark 4's client, in its own process: sequential `PUT /api/v1/instruments/dmm/signals/range`
 * on one keep-alive connection, alternating 10 and 100 V, each timed from request to the
 * parsed response (the server answers when the DMM has taken the setting, its error queue is
 * clear and the range has been read back).
 *
 *   node bench/children/http-put-client.ts URL REQUESTS WARMUP
 *
 * Prints {"n", "p50_ms", "p99_ms", "max_ms", "mean_ms"}.
 */
import { Agent, request } from 'node:http';
import { percentile } from '../lib/stats.ts';

const [url, requestsArg, warmupArg] = process.argv.slice(2);
const [requests, warmup] = [requestsArg, warmupArg].map(Number) as [number, number];
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const target = new URL('/api/v1/instruments/dmm/signals/range', url);

function put(value: number): Promise<void> {
  const body = JSON.stringify({ value });
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: 'PUT',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          // The read-back value is not compared: a MEAS:VOLT:DC? poll in between legitimately
          // puts the DMM back on autorange, as MEASure does on a real one.
          if (res.statusCode !== 200 || (JSON.parse(text) as { ok?: boolean }).ok !== true)
            reject(new Error(`PUT ${value}: HTTP ${res.statusCode} ${text}`));
          else resolve();
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

for (let i = 0; i < warmup; i++) await put(i % 2 ? 10 : 100);
const latencies: number[] = [];
for (let i = 0; i < requests; i++) {
  const started = performance.now();
  await put(i % 2 ? 10 : 100);
  latencies.push(performance.now() - started);
}
agent.destroy();
console.log(
  JSON.stringify({
    n: requests,
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
    max_ms: Math.max(...latencies),
    mean_ms: latencies.reduce((a, b) => a + b, 0) / latencies.length,
  }),
);
