import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { SqliteTimeSeriesStore, STEP_ROWS, TIMESERIES_FILE } from './sqlite-timeseries-store.ts';
import { timeSeriesStoreContract } from './timeseries-store-contract.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-ts-'));
  dirs.push(dir);
  return dir;
}

timeSeriesStoreContract('SqliteTimeSeriesStore', async () => SqliteTimeSeriesStore.inOutputDir(tempDir()));

describe('SqliteTimeSeriesStore', () => {
  it('keeps samples and signal ids across reopening', async () => {
    const dir = tempDir();
    const first = SqliteTimeSeriesStore.inOutputDir(dir);
    await first.insert([{ signal: 'laser.power', time: 1000, value: 1 }]);
    await first.close();
    const second = SqliteTimeSeriesStore.inOutputDir(dir);
    await second.insert([
      { signal: 'stage.x', time: 1000, value: 2 },
      { signal: 'laser.power', time: 2000, value: 3 },
    ]);
    const series = await second.query({
      signals: ['laser.power', 'stage.x'],
      from: 0,
      to: 10_000,
      buckets: 10,
    });
    assert.deepEqual(series, [
      {
        signal: 'laser.power',
        kind: 'raw',
        points: [
          { time: 1000, value: 1 },
          { time: 2000, value: 3 },
        ],
      },
      { signal: 'stage.x', kind: 'raw', points: [{ time: 1000, value: 2 }] },
    ]);
    await second.close();

    const db = new DatabaseSync(join(dir, TIMESERIES_FILE), { readOnly: true });
    assert.deepEqual(
      db
        .prepare('SELECT name FROM signals ORDER BY id')
        .all()
        .map((r) => r.name),
      ['laser.power', 'stage.x'],
    );
    // The range query is served by the primary key, not a scan.
    const plan = db
      .prepare('EXPLAIN QUERY PLAN SELECT time FROM samples WHERE signal_id = 1 AND time >= 0 AND time < 5')
      .all()
      .map((r) => String(r.detail));
    assert.ok(
      plan.some((d) => d.includes('USING PRIMARY KEY (signal_id=? AND time>? AND time<?)')),
      plan.join('; '),
    );
    db.close();
  });
});

describe('SqliteTimeSeriesStore on a full disk', () => {
  it('reports the real cause (database or disk is full), not "cannot rollback", and keeps working after', async () => {
    const store = SqliteTimeSeriesStore.inOutputDir(tempDir());
    await store.insert([{ signal: 'a.b', time: 0, value: 0 }]);
    // SQLite's page limit fails writes with SQLITE_FULL exactly as a full disk does.
    const db = (store as unknown as { db: DatabaseSync }).db;
    const pages = (db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count;
    db.exec(`PRAGMA max_page_count = ${pages + 1}`);
    const many = Array.from({ length: 20_000 }, (_, i) => ({ signal: 'a.b', time: i + 1, value: i }));
    await assert.rejects(store.insert(many), (e: Error & { cause?: { errcode?: number } }) => {
      assert.match(e.message, /database or disk is full/);
      assert.doesNotMatch(e.message, /cannot rollback/);
      assert.equal(e.cause?.errcode, 13, 'SQLITE_FULL');
      return true;
    });
    db.exec('PRAGMA max_page_count = 1073741823');
    await store.insert(many);
    assert.equal((db.prepare('SELECT count(*) AS n FROM samples').get() as { n: number }).n, 20_001);
    await store.close();
  });
});

describe('SqliteTimeSeriesStore: long ranges', () => {
  it('downsamples STEP_ROWS samples per statement, yielding between, with buckets split across steps merged', async () => {
    const store = SqliteTimeSeriesStore.inOutputDir(tempDir());
    const n = STEP_ROWS * 2 + 123;
    const samples = Array.from({ length: n }, (_, i) => ({
      signal: 'a.b',
      time: 1000 + i,
      value: i % 7 === 0 ? null : (i % 1000) - 500,
    }));
    for (let i = 0; i < n; i += 5000) await store.insert(samples.slice(i, i + 5000));
    const valued = samples.filter((s) => s.value !== null).map((s) => s.value as number);
    let done = false;
    const query = store.query({ signals: ['a.b'], from: 0, to: 1000 + n, buckets: 1 }).then((r) => {
      done = true;
      return r;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(done, false, 'the event loop ran while the query was in progress');
    const [series] = await query;
    assert.equal(series!.kind, 'buckets');
    const [bucket] = (series as Extract<typeof series, { kind: 'buckets' }>).buckets;
    assert.deepEqual(
      { ...bucket, mean: Number(bucket!.mean!.toFixed(9)) },
      {
        time: 0,
        min: Math.min(...valued),
        max: Math.max(...valued),
        mean: Number((valued.reduce((a, b) => a + b, 0) / valued.length).toFixed(9)),
        count: valued.length,
        nulls: n - valued.length,
      },
    );
    // Many buckets: each sample lands in exactly one, whatever the step boundaries.
    const [fine] = await store.query({ signals: ['a.b'], from: 1000, to: 1000 + n, buckets: 9_999 });
    const buckets = (fine as Extract<typeof fine, { kind: 'buckets' }>).buckets;
    assert.equal(
      buckets.reduce((sum, b) => sum + b.count + b.nulls, 0),
      n,
    );
    assert.equal(new Set(buckets.map((b) => b.time)).size, buckets.length, 'no bucket twice');
    await store.close();
  });
});
