import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { isBenchtopError } from '../../core/errors.ts';
import { PostgresTimeSeriesStore } from './postgres-timeseries-store.ts';
import { timeSeriesStoreContract } from './timeseries-store-contract.ts';

const url = process.env.BENCHTOP_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const suffix = () => randomBytes(4).toString('hex');
/** Every table this file creates lives in this schema, dropped at the end. */
const schema = `benchtop_test_${suffix()}`;

async function probe(): Promise<{ skip: string | false; timescaleAvailable: boolean }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    const { rows } = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'");
    return { skip: false, timescaleAvailable: rows.length > 0 };
  } catch (err) {
    return {
      skip: `PostgreSQL not reachable at ${url}: ${(err as Error).message}`,
      timescaleAvailable: false,
    };
  } finally {
    await client.end().catch(() => {});
  }
}

const { skip, timescaleAvailable } = await probe();

after(async () => {
  if (skip) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

const open = (timescaledb: 'auto' | 'on' | 'off' = 'auto', table = `log_${suffix()}`) =>
  PostgresTimeSeriesStore.connect({ url, schema, table, timescaledb });

timeSeriesStoreContract('PostgresTimeSeriesStore', () => open(), skip);

describe('PostgresTimeSeriesStore', { skip }, () => {
  it('uses TimescaleDB when "auto" finds it, else a plain table with a time index', async () => {
    const table = `log_${suffix()}`;
    const store = await open('auto', table);
    assert.equal(store.kind, timescaleAvailable ? 'timescaledb' : 'postgres');
    if (!timescaleAvailable) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query(
        'SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2',
        [schema, table],
      );
      await client.end();
      const defs = rows.map((r: { indexdef: string }) => r.indexdef);
      assert.ok(
        defs.some((d) => d.endsWith('(signal, "time")')),
        defs.join('; '),
      );
      assert.ok(
        defs.some((d) => d.endsWith('("time")')),
        defs.join('; '),
      );
    }
    await store.close();
  });

  it(
    'fails with STORAGE_ERROR when timescaledb is "on" and the extension is missing',
    {
      skip: timescaleAvailable && 'TimescaleDB is installed here',
    },
    async () => {
      await assert.rejects(open('on'), (e) => isBenchtopError(e, 'STORAGE_ERROR'));
    },
  );

  it('opens an existing table again and keeps its samples', async () => {
    const table = `log_${suffix()}`;
    const first = await open('off', table);
    await first.insert([{ signal: 'a.b', time: 5000, value: 1 }]);
    await first.close();
    const second = await open('off', table);
    const [series] = await second.query({ signals: ['a.b'], from: 0, to: 10_000, buckets: 10 });
    assert.deepEqual(series, { signal: 'a.b', kind: 'raw', points: [{ time: 5000, value: 1 }] });
    await second.close();
  });

  it('takes redelivered batches (whole, partial, repeated within a batch) without error or duplicates', async () => {
    const store = await open('off');
    const batch = [
      { signal: 'µ.volt', time: 1000, value: 1.5 },
      { signal: 'µ.volt', time: 1001, value: null, quality: 'timeout\twith\nescapes' },
      { signal: 'b', time: 1000, value: -0 },
    ];
    await store.insert(batch);
    await store.insert(batch); // redelivered whole: every row conflicts
    // partly stored, and one new sample twice in the same batch: the first one is kept
    await store.insert([
      { signal: 'b', time: 1000, value: 99 },
      { signal: 'b', time: 1002, value: 2 },
      { signal: 'b', time: 1002, value: 3 },
    ]);
    await store.insert([{ signal: 'b', time: 1003, value: 4 }]); // after a merge: COPY again
    const series = await store.query({ signals: ['µ.volt', 'b'], from: 0, to: 10_000, buckets: 100 });
    assert.deepEqual(series, [
      {
        signal: 'µ.volt',
        kind: 'raw',
        points: [
          { time: 1000, value: 1.5 },
          { time: 1001, value: null, quality: 'timeout\twith\nescapes' },
        ],
      },
      {
        signal: 'b',
        kind: 'raw',
        points: [
          { time: 1000, value: -0 },
          { time: 1002, value: 2 },
          { time: 1003, value: 4 },
        ],
      },
    ]);
    await store.close();
  });

  it('refuses table and schema names that are not plain identifiers', async () => {
    await assert.rejects(
      PostgresTimeSeriesStore.connect({ url, table: 'log; DROP TABLE x', timescaledb: 'off' }),
      (e) => isBenchtopError(e, 'CONFIG_INVALID'),
    );
    await assert.rejects(PostgresTimeSeriesStore.connect({ url, schema: 'a"b', timescaledb: 'off' }), (e) =>
      isBenchtopError(e, 'CONFIG_INVALID'),
    );
  });
});
