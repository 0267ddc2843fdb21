import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { loadBenchtopConfig } from '../app/load-benchtop-config.ts';
import { runWriterFactory } from '../app/run-writer-factory.ts';
import type { InstrumentDriver } from '../core/device.ts';
import { signal } from '../core/device-builder.ts';
import type { EventDescriptor } from '../core/documents.ts';
import { spawnInstrument } from '../core/testing/instrument-harness.ts';
import { openArrowRun } from '../storage/arrow/arrow-run-reader.ts';
import { RunCatalog } from '../storage/catalog/run-catalog.ts';
import { RunFileReader } from '../storage/hdf5/test-support/run-file-reader.ts';
import { type FakeLab, fakeLab, labEngine } from './testing/fake-lab.ts';

/** A spectrometer whose `spectrum` is a 2×3 array; each read is the read count times 1..6. */
function spectrometer(): InstrumentDriver {
  let reads = 0;
  return {
    type: 'FakeSpectrometer',
    signals: {
      spectrum: signal<readonly number[]>({
        dtype: 'array',
        shape: [2, 3],
        element: 'number',
        unit: 'counts',
        description: 'Counts per bin',
        read: async () => {
          reads++;
          return [1, 2, 3, 4, 5, 6].map((v) => v * reads);
        },
      }),
    },
    actions: {},
    connect: async () => ({ model: 'FakeSpectrometer' }),
    disconnect: async () => {},
  };
}

describe('array signals in runs', () => {
  let lab: FakeLab;
  let dir: string;
  let catalog: RunCatalog;

  beforeEach(async () => {
    lab = await fakeLab();
    const { instrument } = await spawnInstrument({
      id: 'spec',
      driver: spectrometer(),
      bus: lab.bus,
      clock: lab.clock,
      supervisor: lab.supervisor,
    });
    lab.instruments.byId.set('spec', instrument);
    dir = mkdtempSync(join(tmpdir(), 'benchtop-engine-arrays-'));
    catalog = RunCatalog.inOutputDir(dir);
  });

  afterEach(async () => {
    catalog.close();
    await lab.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function count(backend: 'hdf5' | 'arrow') {
    const { storage } = loadBenchtopConfig({
      text: `[storage]\noutput_dir = "${dir}"\ndefault_backend = "${backend}"\n`,
    }).config;
    const descriptors: EventDescriptor[] = [];
    lab.bus.on('run.document', ({ document }) => {
      if (document.name === 'descriptor') descriptors.push(document.doc);
    });
    const engine = labEngine(lab, {
      writerFactory: await runWriterFactory(storage, lab.clock),
      recorder: catalog,
    });
    const info = await engine.whenFinished(
      engine.submit('count', { detectors: ['spec.spectrum'], num: 3 }).uid,
    );
    await engine.shutdown();
    const record = catalog.get(info.uid)!;
    assert.equal(record.status, 'success');
    return { record, descriptor: descriptors[0]! };
  }

  it('the data key carries the shape and element type', async () => {
    const { descriptor } = await count('hdf5');
    assert.deepEqual(descriptor.data_keys['spec.spectrum'], {
      dtype: 'array',
      shape: [2, 3],
      source: 'spec.spectrum',
      dtype_numpy: '<f8',
      units: 'counts',
    });
  });

  it('HDF5 stores each reading as a 2×3 row that reads back', async () => {
    const { record } = await count('hdf5');
    const file = await RunFileReader.open(join(dir, record.files[0]!));
    try {
      assert.deepEqual(file.dataset('/entry/data/spec.spectrum').shape, [3, 2, 3]);
      assert.deepEqual(
        file.values('/entry/data/spec.spectrum'),
        [1, 2, 3].flatMap((k) => [1, 2, 3, 4, 5, 6].map((v) => v * k)),
      );
    } finally {
      file.close();
    }
  });

  it('Arrow stores each reading as a list that reads back', async () => {
    const { record } = await count('arrow');
    const reader = await openArrowRun(record, dir);
    try {
      const rows: number[][] = [];
      for await (const batch of (await reader.read('primary')).batches) {
        const column = batch.getChild('spec.spectrum')!;
        for (let i = 0; i < column.length; i++) rows.push([...column.get(i)!.toArray()]);
      }
      assert.deepEqual(
        rows,
        [1, 2, 3].map((k) => [1, 2, 3, 4, 5, 6].map((v) => v * k)),
      );
    } finally {
      await reader.close();
    }
  });
});
