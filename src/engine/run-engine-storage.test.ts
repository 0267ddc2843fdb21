import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { loadBenchtopConfig } from '../app/load-benchtop-config.ts';
import { runWriterFactory } from '../app/run-writer-factory.ts';
import { openArrowRun } from '../storage/arrow/arrow-run-reader.ts';
import { RunCatalog } from '../storage/catalog/run-catalog.ts';
import { RunFileReader } from '../storage/hdf5/test-support/run-file-reader.ts';
import type { StreamResource } from './documents.ts';
import type { RunEngine } from './run-engine.ts';
import { type FakeLab, fakeLab, labEngine } from './testing/fake-lab.ts';

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

  async function engineFor(backend: 'hdf5' | 'arrow'): Promise<RunEngine> {
    const { storage } = loadBenchtopConfig({
      text: `[storage]\noutput_dir = "${dir}"\ndefault_backend = "${backend}"\n`,
    }).config;
    return labEngine(lab, {
      writerFactory: await runWriterFactory(storage, lab.clock),
      recorder: catalog,
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
});
