import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { SqliteTimeSeriesStore, TIMESERIES_FILE } from './sqlite-timeseries-store.ts';
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
