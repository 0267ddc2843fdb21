/**
 * Anchor for the PostgreSQL ingest benchmark: `psql \copy` of the same samples the store takes
 * (100 signals, each sample 1 ms after the last of its signal, value sin(i)) into a table made
 * by the store itself, so it has the same columns, primary key (signal, time) and time index.
 *
 *   node bench/children/psql-copy-anchor.ts URL SAMPLES
 *
 * The rows are written to a text file before the clock starts; the clock covers the psql
 * process from start to exit. Prints {"samples_per_s", …}.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresTimeSeriesStore } from '../../src/storage/timeseries/postgres-timeseries-store.ts';

const [url, samplesArg] = process.argv.slice(2) as [string, string];
const total = Number(samplesArg);
const SIGNALS = 100;
const table = `bench_copy_anchor_${process.pid}`;
const t0 = Date.UTC(2026, 0, 1);

const dir = mkdtempSync(join(tmpdir(), 'benchtop-psql-copy-'));
const file = join(dir, 'rows.tsv');
const lines: string[] = [];
for (let i = 0; i < total; i++) {
  const time = new Date(t0 + Math.floor(i / SIGNALS)).toISOString();
  lines.push(`bench.signal_${i % SIGNALS}\t${time}\t${Math.sin(i)}`);
}
writeFileSync(file, `${lines.join('\n')}\n`);

const store = await PostgresTimeSeriesStore.connect({ url, table, timescaledb: 'auto' });
await store.close();
try {
  const started = performance.now();
  const psql = spawn(
    'psql',
    [url, '-v', 'ON_ERROR_STOP=1', '-qc', `\\copy ${table} (signal, time, value) FROM '${file}'`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  psql.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const [code] = await once(psql, 'exit');
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`psql exited with ${code}: ${stderr.trim()}`);
  console.log(JSON.stringify({ samples: total, seconds, samples_per_s: total / seconds }));
} finally {
  rmSync(dir, { recursive: true, force: true });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP TABLE IF EXISTS "${table}" CASCADE`);
  await client.end();
}
