/**
 * The agent side of the bus ingest benchmark: fills a parameter-log outbox on disk with
 * SAMPLES samples (100 signals, each sample 1 ms after the last of its signal, value sin(i))
 * in batches of BATCH, as the agent's logger leaves them, then drains it to the site's LOG
 * stream with the agent's LogForwarder (in order, one batch at a time, each acknowledged by
 * JetStream before it leaves the outbox).
 *
 *   node bench/children/bus-ingest-agent.ts NATS_URL DIR SAMPLES BATCH
 *
 * Prints {"t": "started", "at"} (epoch ms) when forwarding starts and {"t": "sent", …} when the
 * outbox is empty.
 */
import { join } from 'node:path';
import { connectBus } from '../../src/distributed/bus-connection.ts';
import { LogForwarder } from '../../src/distributed/log-forwarder.ts';
import { LogOutbox } from '../../src/distributed/log-outbox.ts';
import type { Sample } from '../../src/storage/timeseries/timeseries-store.ts';

const [url, dir, samplesArg, batchArg] = process.argv.slice(2) as [string, string, string, string];
const [total, batchSize] = [samplesArg, batchArg].map(Number) as [number, number];
const SIGNALS = 100;
const t0 = Date.UTC(2026, 0, 1);

const outbox = new LogOutbox({
  path: join(dir, 'log-outbox.sqlite'),
  capacityBytes: 4 * 1024 ** 3,
  policy: 'drop_newest',
});
for (let start = 0; start < total; start += batchSize) {
  const batch: Sample[] = [];
  for (let i = start; i < Math.min(total, start + batchSize); i++)
    batch.push({
      signal: `bench.signal_${i % SIGNALS}`,
      time: t0 + Math.floor(i / SIGNALS),
      value: Math.sin(i),
    });
  outbox.append(batch);
}
if (outbox.stats().droppedSamples > 0) throw new Error('the outbox dropped samples while being filled');

const bus = {
  url,
  request_timeout_ms: 5_000,
  lease_ttl_ms: 15_000,
  log_stream_max_age_days: 1,
  log_stream_max_bytes: 4 * 1024 ** 3,
  doc_stream_max_age_days: 1,
  doc_stream_max_bytes: 1024 ** 3,
  clock_offset_alarm_ms: 100,
};
const nc = await connectBus(bus, 'agent:bench');
const forwarder = new LogForwarder({ nc, outbox, agentId: 'bench', site: 'bench', bus });
const started = performance.now();
console.log(JSON.stringify({ t: 'started', at: Date.now() }));
forwarder.start();
while (outbox.stats().pendingBatches > 0) {
  forwarder.wake();
  await new Promise((r) => setTimeout(r, 20));
}
const seconds = (performance.now() - started) / 1000;
await forwarder.stop();
console.log(
  JSON.stringify({
    t: 'sent',
    samples: total,
    batches: forwarder.sentBatches,
    failed: forwarder.failedSends,
    seconds,
    samples_per_s: total / seconds,
  }),
);
outbox.close();
await nc.drain();
