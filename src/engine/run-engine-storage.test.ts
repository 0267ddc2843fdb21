import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { loadBenchtopConfig } from '../app/load-benchtop-config.ts';
import { runWriterFactory } from '../app/run-writer-factory.ts';
import type { StreamResource } from '../core/documents.ts';
import { openArrowRun } from '../storage/arrow/arrow-run-reader.ts';
import { RunCatalog } from '../storage/catalog/run-catalog.ts';
import { openHdf5Run } from '../storage/export/hdf5-run-reader.ts';
import { openRunDataReader } from '../storage/export/run-data-reader.ts';
import { RunFileReader } from '../storage/hdf5/test-support/run-file-reader.ts';
import type { RunEngine } from './run-engine.ts';
import { type FakeLab, fakeLab, labEngine, runClockUntil } from './testing/fake-lab.ts';

/** The engine with the app's real writers (chosen by default_backend) and the real catalog. */
describe('runs through the real writers and catalog', () => {
  let lab: FakeLab;
  let dir: string;
  let catalog: RunCatalog;

  beforeEach(async () => {
    lab = await fakeLab();
    dir = mkdtempSync(join(tmpdir(), 'benchtop-engine-storage-'));
    catalog = RunCatalog.inOutputDir(dir);
  });

  afterEach(async () => {
    catalog.close();
    await lab.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function engineFor(
    backend: 'hdf5' | 'arrow',
    options: { onInstrumentUnavailable?: 'suspend' } = {},
  ): Promise<RunEngine> {
    const { storage } = loadBenchtopConfig({
      text: `[storage]\noutput_dir = "${dir}"\ndefault_backend = "${backend}"\n`,
    }).config;
    return labEngine(lab, {
      writerFactory: await runWriterFactory(storage, lab.clock),
      recorder: catalog,
      ...options,
    });
  }

  it('HDF5: the scan and the camera frames are in the file the catalog lists', async () => {
    const engine = await engineFor('hdf5');
    const scan = await engine.whenFinished(
      engine.submit('scan', {
        detectors: ['meter.power'],
        motor: 'stage.axis1.position',
        start: -1,
        stop: 1,
        num: 5,
      }).uid,
    );
    const resources: StreamResource[] = [];
    lab.bus.on('run.document', ({ document }) => {
      if (document.name === 'stream_resource') resources.push(document.doc);
    });
    const camera = await engine.whenFinished(
      engine.submit('camera_acquire', { camera: 'camera', frames: 40, exposure_ms: 1 }).uid,
    );
    await engine.shutdown();

    const scanRecord = catalog.get(scan.uid)!;
    assert.equal(scanRecord.status, 'success');
    assert.equal(scanRecord.format, 'hdf5');
    assert.deepEqual(scanRecord.num_events, { primary: 5 });
    const scanFile = await RunFileReader.open(join(dir, scanRecord.files[0]!));
    try {
      assert.deepEqual(scanFile.values('/entry/data/stage.axis1.position'), [-1, -0.5, 0, 0.5, 1]);
      assert.equal(scanFile.scalar('/entry/exit_status'), 'success');
    } finally {
      scanFile.close();
    }

    const cameraRecord = catalog.get(camera.uid)!;
    assert.equal(cameraRecord.status, 'success');
    assert.equal(resources[0]?.parameters.dataset, '/entry/data/camera');
    const cameraFile = await RunFileReader.open(join(dir, cameraRecord.files[0]!));
    try {
      assert.deepEqual(cameraFile.dataset('/entry/data/camera').shape, [40, 3, 4]);
      assert.deepEqual(
        cameraFile.values('/entry/data/camera_frame_number'),
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
    } finally {
      cameraFile.close();
    }
    const documents = catalog.documents(camera.uid, { name: 'stream_datum' });
    assert.equal(documents.length, 2);
  });

  it('Arrow: the run directory the catalog lists reads back event by event', async () => {
    const engine = await engineFor('arrow');
    const info = await engine.whenFinished(
      engine.submit('count', { detectors: ['meter.power', 'stage.axis1.position'], num: 4 }).uid,
    );
    await engine.shutdown();
    const record = catalog.get(info.uid)!;
    assert.equal(record.status, 'success');
    assert.equal(record.format, 'arrow');
    assert.ok(record.files.every((f) => existsSync(join(dir, f))));
    const reader = await openArrowRun(record, dir);
    try {
      const streams = await reader.streams();
      assert.deepEqual(
        streams.map((s) => [s.name, s.rows]),
        [['primary', 4]],
      );
    } finally {
      await reader.close();
    }
  });

  for (const backend of ['hdf5', 'arrow'] as const) {
    it(`${backend}: a time_series gap (meter away) is stored and read back as missing values, not repeats`, async () => {
      const engine = await engineFor(backend, { onInstrumentUnavailable: 'suspend' });
      const warned: string[] = [];
      lab.bus.on('run.warning', (w) => {
        // Only what the writer says about the values (a loaded machine may add backpressure).
        if (w.kind === 'writer_warning' || w.kind === 'writer_dropped') warned.push(w.message);
      });
      const { uid } = engine.submit('time_series', {
        signals: ['meter.power'],
        interval_s: 2,
        duration_s: 18,
      });
      // The writers do real I/O while the lab clock runs ahead, so the outage follows the run:
      // out after the third point, back 5 s after the run suspended.
      lab.bus.on('run.progress', (p) => {
        if (p.uid === uid && p.done === 3 && p.state === 'running') lab.meter.unplugged = true;
      });
      lab.bus.on('run.state', (s) => {
        if (s.uid !== uid || s.state !== 'suspended') return;
        lab.clock.setTimeout(() => {
          lab.meter.unplugged = false;
        }, 5_000);
      });
      const info = await runClockUntil(lab.clock, engine.whenFinished(uid), 20);
      await engine.shutdown();
      assert.equal(info.exit_status, 'success', info.reason ?? '');
      assert.deepEqual(warned, [], 'a missing value is not an invalid one');
      const record = catalog.get(uid)!;
      assert.deepEqual(record.num_events, { primary: 10 });
      const stored = catalog
        .documents(uid, { name: 'event' })
        .map((d) => (d.doc as { data: Record<string, unknown> }).data['meter.power']);
      assert.deepEqual(stored.slice(0, 3), [1, 1, 1]);
      assert.ok(stored.includes(null), `a gap: ${JSON.stringify(stored)}`);
      assert.ok(stored.every((v) => v === 1 || v === null));
      const reader = await openRunDataReader(record, dir, { hdf5: openHdf5Run, arrow: openArrowRun });
      try {
        const values: unknown[] = [];
        for await (const batch of (await reader.read('primary')).batches) {
          const column = batch.getChild('meter.power')!;
          for (let i = 0; i < batch.numRows; i++) values.push(column.get(i));
        }
        assert.deepEqual(values, stored, 'the file holds what the documents say, gaps as nulls');
      } finally {
        await reader.close();
      }
    });
  }
});
