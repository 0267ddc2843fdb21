import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { ManualClock } from '../core/clock.ts';
import type { RunStart } from '../core/documents.ts';
import { RunCatalog } from './catalog/run-catalog.ts';
import { Retention, type RetentionReport } from './retention.ts';
import { SqliteTimeSeriesStore } from './timeseries/sqlite-timeseries-store.ts';

const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 3, 1);

function setUp(t: TestContext, days: { parameterLogDays: number; runDataDays: number }) {
  const outputDir = mkdtempSync(join(tmpdir(), 'benchtop-retention-'));
  const clock = new ManualClock(NOW);
  const store = SqliteTimeSeriesStore.inOutputDir(outputDir);
  const catalog = RunCatalog.inOutputDir(outputDir);
  const reports: RetentionReport[] = [];
  const retention = new Retention({
    clock,
    store,
    catalog,
    outputDir,
    ...days,
    onSweep: (r) => reports.push(r),
  });
  t.after(async () => {
    await retention.stop();
    await store.close();
    catalog.close();
    rmSync(outputDir, { recursive: true, force: true });
  });

  /** A finished run whose files exist on disk; times in seconds. */
  const addRun = (
    uid: string,
    startTime: number,
    endTime: number | null,
    files = [`runs/${uid}/${uid}.h5`],
  ) => {
    const start: RunStart = {
      uid,
      time: startTime,
      plan_name: 'count',
      plan_args: {},
      metadata: {},
      config: {},
      instruments: {},
      versions: {},
    };
    catalog.recordStart(start, 'hdf5');
    for (const file of files) {
      mkdirSync(join(outputDir, file, '..'), { recursive: true });
      writeFileSync(join(outputDir, file), 'data');
    }
    if (endTime === null) {
      catalog.addFiles(uid, files);
    } else {
      catalog.recordStop(
        {
          uid: `${uid}-stop`,
          run_start: uid,
          time: endTime,
          exit_status: 'success',
          reason: '',
          num_events: {},
        },
        files,
      );
    }
  };
  return { outputDir, clock, store, catalog, retention, reports, addRun };
}

const timesOf = async (store: SqliteTimeSeriesStore, signal: string) => {
  const [series] = await store.query({ signals: [signal], from: 0, to: NOW + DAY_MS, buckets: 100 });
  return series?.kind === 'raw' ? series.points.map((p) => p.time) : [];
};

describe('Retention', () => {
  it('deletes parameter-log samples older than parameter_log_days and keeps the one at the cut-off', async (t) => {
    const { store, retention } = setUp(t, { parameterLogDays: 30, runDataDays: 0 });
    const cutoff = NOW - 30 * DAY_MS;
    await store.insert(
      [cutoff - DAY_MS, cutoff - 1, cutoff, cutoff + 1, NOW].map((time) => ({
        signal: 'laser.power',
        time,
        value: 1,
      })),
    );
    const report = await retention.sweep();
    assert.equal(report.samplesDeleted, 2);
    assert.deepEqual(await timesOf(store, 'laser.power'), [cutoff, cutoff + 1, NOW]);
  });

  it('removes files of runs that ended before run_data_days and marks their entries, keeping the rows', async (t) => {
    const { outputDir, catalog, retention, addRun } = setUp(t, { parameterLogDays: 0, runDataDays: 7 });
    const cutoff = (NOW - 7 * DAY_MS) / 1000;
    addRun('old', cutoff - 3600, cutoff - 0.001);
    addRun('boundary', cutoff - 3600, cutoff);
    addRun('recent', cutoff + 10, cutoff + 20);
    addRun('crashed', cutoff - 100, null, ['runs/crashed.arrow']);
    catalog.markInterrupted();
    catalog.recordStart(
      {
        uid: 'running',
        time: cutoff - 5000,
        plan_name: 'count',
        plan_args: {},
        metadata: {},
        config: {},
        instruments: {},
        versions: {},
      },
      'hdf5',
    );

    const report = await retention.sweep();
    assert.deepEqual(report.runsCleared.sort(), ['crashed', 'old']);
    assert.deepEqual(report.failures, []);
    assert.equal(existsSync(join(outputDir, 'runs/old/old.h5')), false);
    assert.equal(existsSync(join(outputDir, 'runs/old')), false, 'the emptied run directory goes too');
    assert.equal(existsSync(join(outputDir, 'runs/crashed.arrow')), false);
    assert.equal(existsSync(join(outputDir, 'runs/boundary/boundary.h5')), true);
    assert.equal(existsSync(join(outputDir, 'runs/recent/recent.h5')), true);
    assert.equal(existsSync(join(outputDir, 'runs')), true);

    const old = catalog.get('old');
    assert.equal(old?.files_deleted_at, NOW / 1000);
    assert.deepEqual(old?.files, ['runs/old/old.h5']);
    assert.equal(old?.status, 'success');
    assert.equal(catalog.get('boundary')?.files_deleted_at, null);
    assert.equal(catalog.get('running')?.files_deleted_at, null);
    assert.equal(catalog.count(), 5);

    const again = await retention.sweep();
    assert.deepEqual(again.runsCleared, []);
  });

  it('keeps everything when both ages are 0', async (t) => {
    const { outputDir, store, retention, addRun } = setUp(t, { parameterLogDays: 0, runDataDays: 0 });
    await store.insert([{ signal: 'a.b', time: 1, value: 1 }]);
    addRun('ancient', 1, 2);
    const report = await retention.sweep();
    assert.deepEqual(report, { at: NOW, samplesDeleted: 0, runsCleared: [], failures: [] });
    assert.deepEqual(await timesOf(store, 'a.b'), [1]);
    assert.equal(existsSync(join(outputDir, 'runs/ancient/ancient.h5')), true);
  });

  it('never deletes outside the output directory, and leaves such runs unmarked', async (t) => {
    const { catalog, retention, addRun } = setUp(t, { parameterLogDays: 0, runDataDays: 1 });
    const outside = mkdtempSync(join(tmpdir(), 'benchtop-outside-'));
    t.after(() => rmSync(outside, { recursive: true, force: true }));
    writeFileSync(join(outside, 'precious.h5'), 'keep');
    addRun('fine', 10, 20);
    catalog.recordStart(
      {
        uid: 'evil',
        time: 5,
        plan_name: 'count',
        plan_args: {},
        metadata: {},
        config: {},
        instruments: {},
        versions: {},
      },
      'hdf5',
    );
    catalog.recordStop(
      { uid: 'evil-stop', run_start: 'evil', time: 6, exit_status: 'success', reason: '', num_events: {} },
      [join(outside, 'precious.h5'), '../precious.h5'],
    );

    const report = await retention.sweep();
    assert.deepEqual(report.runsCleared, ['fine']);
    assert.deepEqual(
      report.failures.map((f) => [f.uid, f.file]),
      [
        ['evil', join(outside, 'precious.h5')],
        ['evil', '../precious.h5'],
      ],
    );
    assert.equal(existsSync(join(outside, 'precious.h5')), true);
    assert.equal(catalog.get('evil')?.files_deleted_at, null);
  });

  it('sweeps at start and then every hour, catching data as it ages past the cut-off', async (t) => {
    const { clock, store, retention, reports } = setUp(t, { parameterLogDays: 1, runDataDays: 0 });
    const cutoff = NOW - DAY_MS;
    await store.insert([
      { signal: 'a.b', time: cutoff - 1, value: 1 },
      { signal: 'a.b', time: cutoff + 30 * 60_000, value: 2 },
      { signal: 'a.b', time: cutoff + 90 * 60_000, value: 3 },
    ]);
    retention.start();
    await clock.advance(0);
    assert.deepEqual(
      reports.map((r) => [r.at, r.samplesDeleted]),
      [[NOW, 1]],
    );
    await clock.advance(3_600_000 - 1);
    assert.equal(reports.length, 1);
    await clock.advance(1);
    await clock.advance(3_600_000);
    assert.deepEqual(
      reports.map((r) => [r.at - NOW, r.samplesDeleted]),
      [
        [0, 1],
        [3_600_000, 1],
        [7_200_000, 1],
      ],
    );
    assert.deepEqual(await timesOf(store, 'a.b'), []);
    await retention.stop();
    assert.equal(clock.pendingTimers(), 0);
  });
});
