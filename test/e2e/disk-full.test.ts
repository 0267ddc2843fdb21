import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Benchtop } from '../../src/app/benchtop.ts';
import { loadBenchtopConfig } from '../../src/app/load-benchtop-config.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { RunCatalog } from '../../src/storage/catalog/run-catalog.ts';
import { hasH5py, PYTHON, RunFileReader } from '../../src/storage/hdf5/test-support/run-file-reader.ts';

/** A 64 MiB tmpfs (root only): the disk that fills mid-run. */
function mountSmallDisk(): { dir: string; unmount: () => void } | string {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-disk-full-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a 64 MiB tmpfs (needs root): ${mounted.stderr.trim() || mounted.error?.message}`;
  }
  return {
    dir,
    unmount: () => {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits for `ready()` between turns of the event loop (no timing threshold: the test timeout bounds it). */
async function until(ready: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await ready())) await new Promise((resolve) => setTimeout(resolve, 50));
}

const disk = mountSmallDisk();

type HealthBody = { checks: { name: string; status: string; details: Record<string, unknown> }[] };

describe('disk full in the middle of a camera run', { skip: typeof disk === 'string' ? disk : false }, () => {
  let bt: Benchtop;
  let url: string;
  let dir: string;
  const ballast = () => join(dir, 'ballast.bin');
  before(async () => {
    dir = (disk as Exclude<typeof disk, string>).dir;
    // 16 MiB the test frees later, so "space returns" can be shown without deleting run data.
    writeFileSync(ballast(), Buffer.alloc(16 * 1024 * 1024));
    const toml = `
[server]
port = 0
health_cache_s = 0
[simulation]
enabled = true
warmup_s = 0
[storage]
output_dir = "${dir}"
[[instruments]]
id = "camera"
type = "PVCAMInstrument"
config = { camera_name = "PrimeBSI" }
[[instruments]]
id = "meter"
type = "Newport1830C"
config = { serial_port = "/dev/ttyUSB2" }
[[logging.groups]]
name = "lab"
signals = ["meter.power"]
interval_s = 1
`;
    bt = new Benchtop(loadBenchtopConfig({ text: toml }), silentLogger());
    ({ url } = await bt.start());
  });
  after(async () => {
    await bt?.stop();
    if (typeof disk !== 'string') disk.unmount();
  });

  it('fails the run naming ENOSPC, raises the storage alarm, holds the parameter log, and recovers', async () => {
    const diskFull = bt.bus.once('storage.disk', (d) => d.full);
    const { uid } = bt.engine.submit(
      'camera_acquire',
      { camera: 'camera', frames: 200, exposure_ms: 10 },
      {},
    );
    await bt.engine.whenFinished(uid);
    const run = bt.engine.get(uid)!;
    assert.equal(run.exit_status, 'fail');
    assert.equal(run.error?.code, 'STORAGE_FULL');
    assert.match(run.reason ?? '', /ENOSPC/);
    assert.ok(run.reason?.includes(dir), `the reason names the directory: ${run.reason}`);
    assert.match(run.reason ?? '', /\d+(\.\d)? (B|KiB|MiB) free of 64\.0 MiB/);
    assert.ok((run.progress?.done ?? 0) < 200, 'the disk filled before the end');
    await diskFull;

    const health = (await (await fetch(`${url}/health`)).json()) as HealthBody;
    const storage = health.checks.find((c) => c.name === 'storage')!;
    assert.equal(storage.status, 'unhealthy');
    assert.equal(storage.details.disk_full, true);
    assert.match(String(storage.details.reason), /ENOSPC/);
    const alarm = bt.alarms.get('storage');
    assert.deepEqual([alarm.active, alarm.condition, alarm.kind], [true, 'DISK_FULL', 'storage']);

    // The parameter log keeps its samples in memory while the disk is full.
    const logger = (
      bt as unknown as {
        parameterLogger: import('../../src/storage/timeseries/parameter-logger.ts').ParameterLogger;
      }
    ).parameterLogger;
    await until(() => logger.backlog().diskFull && logger.backlog().queued > 0);
    const heldTicks = logger.stats()[0]!.ticks;

    const spaceBack = bt.bus.once('storage.disk', (d) => !d.full);
    rmSync(ballast());
    await spaceBack;
    await until(() => !logger.backlog().diskFull && logger.backlog().queued === 0);
    const [stats] = logger.stats();
    assert.ok(stats!.ticks >= heldTicks);
    assert.deepEqual([stats!.dropped, stats!.writeErrors], [0, 0], 'nothing held was lost');
    assert.equal(stats!.samplesWritten, stats!.ticks, 'one sample per tick, all written');
    assert.equal(bt.alarms.get('storage').active, false, 'the alarm clears when space returns');
    const healthy = (await (await fetch(`${url}/health`)).json()) as HealthBody;
    assert.notEqual(healthy.checks.find((c) => c.name === 'storage')!.details.disk_full, true);

    await bt.stop();
    // The catalog wrote what it was holding: the run is recorded as failed, with its file.
    const catalog = RunCatalog.inOutputDir(dir);
    try {
      const record = catalog.get(uid)!;
      assert.equal(record.status, 'fail');
      assert.match(record.reason ?? '', /ENOSPC/);
      const [file] = record.files;
      assert.ok(file, 'the run file is recorded');
      const [resource] = catalog.documents(uid, { name: 'stream_resource' });
      const dataset = (resource?.doc as unknown as { parameters: { dataset: string } }).parameters.dataset;
      const reader = await RunFileReader.open(join(dir, file));
      try {
        // Readable as of the writer's last flush: every row it holds is a whole frame.
        const frames = reader.dataset(dataset);
        assert.deepEqual(frames.shape!.slice(1), [2048, 2048]);
        assert.ok(frames.shape![0]! <= (run.progress?.done ?? 0), `rows ${frames.shape}`);
      } finally {
        reader.close();
      }
      if (hasH5py()) {
        const check = spawnSync(
          PYTHON,
          [
            '-c',
            'import sys, h5py; print(h5py.File(sys.argv[1], "r")[sys.argv[2]].shape[0])',
            join(dir, file),
            dataset,
          ],
          { encoding: 'utf8' },
        );
        assert.equal(check.status, 0, check.stderr);
      }
    } finally {
      catalog.close();
    }
  });
});
