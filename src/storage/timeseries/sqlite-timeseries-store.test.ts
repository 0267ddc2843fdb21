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
