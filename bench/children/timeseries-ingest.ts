/**
 * Benchmark 5: parameter-log samples into a time-series store through its public `insert`,
 * one batch awaited after another, as the parameter logger's write queue does.
 *
 *   node bench/children/timeseries-ingest.ts sqlite DIR SAMPLES BATCH
 *   node bench/children/timeseries-ingest.ts postgres URL SAMPLES BATCH
 *
 * 100 signals, each sample 1 ms after the last of its signal. The PostgreSQL table is this
 * process's own (`bench_ingest_<pid>`) and is dropped afterwards. Prints {"samples_per_s", …}.
 */
import pg from 'pg';
import { PostgresTimeSeriesStore } from '../../src/storage/timeseries/postgres-timeseries-store.ts';
import { SqliteTimeSeriesStore } from '../../src/storage/timeseries/sqlite-timeseries-store.ts';
import type { Sample, TimeSeriesStore } from '../../src/storage/timeseries/timeseries-store.ts';

const [backend, where, samplesArg, batchArg] = process.argv.slice(2);
const [total, batchSize] = [samplesArg, batchArg].map(Number) as [number, number];
const SIGNALS = 100;
const table = `bench_ingest_${process.pid}`;

const signals = Array.from({ length: SIGNALS }, (_, i) => `bench.signal_${i}`);
const t0 = Date.UTC(2026, 0, 1);
// Batches are made before the clock starts: the figure is the store's, not the generator's.
const batches: Sample[][] = [];
for (let start = 0; start < total; start += batchSize) {
  const batch: Sample[] = [];
  for (let i = start; i < Math.min(total, start + batchSize); i++) {
    batch.push({ signal: signals[i % SIGNALS]!, time: t0 + Math.floor(i / SIGNALS), value: Math.sin(i) });
  }
  batches.push(batch);
}

let store: TimeSeriesStore;
if (backend === 'sqlite') store = SqliteTimeSeriesStore.inOutputDir(where!);
else if (backend === 'postgres')
  store = await PostgresTimeSeriesStore.connect({ url: where!, table, timescaledb: 'auto' });
else throw new Error(`backend must be sqlite or postgres; got ${backend}`);

try {
  const started = performance.now();
  for (const batch of batches) await store.insert(batch);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    JSON.stringify({
      backend: store.kind,
      samples: total,
      batch: batchSize,
      seconds,
      samples_per_s: total / seconds,
    }),
  );
} finally {
  await store.close();
  if (backend === 'postgres') {
    const client = new pg.Client({ connectionString: where });
    await client.connect();
    await client.query(`DROP TABLE IF EXISTS "${table}" CASCADE`);
    await client.end();
  }
}
