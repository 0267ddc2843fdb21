/**
 * The hub side of the bus ingest benchmark: the hub's LogWriter (durable pull consumer on the
 * site's LOG stream, one insert per fetch with ON CONFLICT DO NOTHING, then ack) into a
 * PostgreSQL table of this process's own, until EXPECTED rows are in it.
 *
 *   node bench/children/bus-ingest-hub.ts NATS_URL POSTGRES_URL EXPECTED
 *
 * Prints {"t": "ready"} once consuming, then {"t": "stored", "at", "rows", "distinct"}: `at` is
 * the epoch ms when the table reached EXPECTED rows. The table is dropped afterwards.
 */
import pg from 'pg';
import { silentLogger } from '../../src/core/logger.ts';
import { connectBus } from '../../src/distributed/bus-connection.ts';
import { LogWriter } from '../../src/distributed/log-writer.ts';
import { PostgresTimeSeriesStore } from '../../src/storage/timeseries/postgres-timeseries-store.ts';

const [url, postgresUrl, expectedArg] = process.argv.slice(2) as [string, string, string];
const expected = Number(expectedArg);
const table = `bench_bus_ingest_${process.pid}`;
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
const store = await PostgresTimeSeriesStore.connect({ url: postgresUrl, table, timescaledb: 'auto' });
const nc = await connectBus(bus, 'hub:bench');
const writer = new LogWriter({ nc, store, site: 'bench', bus, logger: silentLogger() });
writer.start();
console.log(JSON.stringify({ t: 'ready' }));
const client = new pg.Client({ connectionString: postgresUrl });
await client.connect();
try {
  // The writer counts what it inserted; the table is the judge of loss and duplicates.
  while (writer.written < expected) await new Promise((r) => setTimeout(r, 5));
  const at = Date.now();
  const { rows } = await client.query(
    `SELECT count(*) AS n, count(DISTINCT (signal, time)) AS d FROM "${table}"`,
  );
  await writer.stop();
  console.log(
    JSON.stringify({
      t: 'stored',
      at,
      rows: Number(rows[0].n),
      distinct: Number(rows[0].d),
      written: writer.written,
    }),
  );
} finally {
  await store.close();
  await client.query(`DROP TABLE IF EXISTS "${table}" CASCADE`);
  await client.end();
  await nc.drain();
}
