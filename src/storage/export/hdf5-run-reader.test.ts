import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Table, tableFromIPC, type Vector } from 'apache-arrow';
import { ParquetFile, readParquet } from 'parquet-wasm';
import { ManualClock } from '../../core/clock.ts';
import type { RunDocument, RunEvent } from '../../core/documents.ts';
import { isBenchtopError } from '../../core/errors.ts';
import type { Frame } from '../../core/frame.ts';
import { openArrowRun } from '../arrow/arrow-run-reader.ts';
import { ArrowRunWriter } from '../arrow/arrow-run-writer.ts';
import {
  cameraDescriptor,
  eventData,
  RUN_TIME,
  RUN_UID,
  syntheticFrame,
  syntheticRun,
} from '../arrow/synthetic-run.fixture.ts';
import { Hdf5RunWriter } from '../hdf5/hdf5-run-writer.ts';
import { type ExportFormat, exportRun } from './export-run.ts';
import { Hdf5RunReader, openHdf5Run } from './hdf5-run-reader.ts';
import { openRunDataReader, type StoredRun } from './run-data-reader.ts';

const EVENTS = 1500;
/** Camera frames passed to the writers; frame 2 has the wrong size, so both leave it out. */
const FRAMES = 7;
const BAD_FRAME = 2;
const STORED_FRAMES = FRAMES - 1;
const H = 16;
const W = 8;
const run = syntheticRun(EVENTS);
const camera = cameraDescriptor(H, W);

function cameraEvent(n: number): RunEvent {
  const time = RUN_TIME + 1.5 + n * 0.01;
  return {
    uid: `camera-event-${n}`,
    descriptor: camera.uid,
    seq_num: n + 1,
    time,
    data: { exposure: 10 + n },
    timestamps: { exposure: time },
    filled: { image: false },
  };
}

/** A fresh frame each time: the HDF5 writer transfers the pixel buffer to its thread. */
const frame = (n: number): Frame => (n === BAD_FRAME ? syntheticFrame(n, H + 1, W) : syntheticFrame(n, H, W));

/** The same documents and frames, in the same order, to any run writer. */
function feed(writer: { document(doc: RunDocument): void; frame(key: string, frame: Frame): void }): void {
  writer.document({ name: 'start', doc: run.start });
  writer.document({ name: 'descriptor', doc: run.descriptor });
  writer.document({ name: 'descriptor', doc: camera });
  run.events.forEach((doc, i) => {
    writer.document({ name: 'event', doc });
    if (i < FRAMES) {
      writer.document({ name: 'event', doc: cameraEvent(i) });
      writer.frame('image', frame(i));
    }
  });
  writer.document({ name: 'stop', doc: { ...run.stop, num_events: { primary: EVENTS, camera: FRAMES } } });
}

let root: string;
let hdf5Dir: string;
let arrowDir: string;
let hdf5Run: StoredRun;
let arrowRun: StoredRun;

async function writeHdf5Run(outputDir: string, write: (w: Hdf5RunWriter) => void): Promise<string[]> {
  const writer = new Hdf5RunWriter({
    outputDir,
    compressionLevel: 4,
    cameraCompression: 'none',
    queueCapacity: 10_000,
    autoFlushIntervalSecs: 60,
    clock: new ManualClock(),
  });
  write(writer);
  return (await writer.close()).files;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'benchtop-hdf5-export-'));
  hdf5Dir = join(root, 'hdf5-data');
  arrowDir = join(root, 'arrow-data');
  hdf5Run = { uid: RUN_UID, format: 'hdf5', files: await writeHdf5Run(hdf5Dir, feed) };
  const arrow = new ArrowRunWriter({ outputDir: arrowDir, queueCapacity: 10_000, batchRows: 256 });
  feed(arrow);
  arrowRun = { uid: RUN_UID, format: 'arrow', files: (await arrow.close()).files };
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const READERS = { arrow: openArrowRun, hdf5: openHdf5Run };
const openHdf5 = () => openRunDataReader(hdf5Run, hdf5Dir, READERS);
const openArrow = () => openRunDataReader(arrowRun, arrowDir, READERS);

async function exportBoth(format: ExportFormat) {
  const hdf5Out = join(root, `${format}-from-hdf5`);
  const arrowOut = join(root, `${format}-from-arrow`);
  const progress: [number, number][] = [];
  const fromHdf5 = await exportRun({
    reader: await openHdf5(),
    format,
    destDir: hdf5Out,
    onProgress: (done, total) => progress.push([done, total]),
  });
  const fromArrow = await exportRun({ reader: await openArrow(), format, destDir: arrowOut });
  return { hdf5Out, arrowOut, fromHdf5, fromArrow, progress };
}

/** A cell as plain data: lists and fixed-size lists become arrays. */
function plain(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && 'toArray' in value) {
    return Array.from((value as Vector).toArray() as ArrayLike<unknown>);
  }
  return value;
}

/** The HDF5 run's table equals the Arrow run's, schema (with metadata) and every cell. */
function assertSameTable(fromHdf5: Table, fromArrow: Table, stream: string): void {
  assert.deepEqual(
    Object.fromEntries(fromHdf5.schema.metadata),
    Object.fromEntries(fromArrow.schema.metadata),
  );
  assert.deepEqual(
    fromHdf5.schema.fields.map((f) => [f.name, String(f.type), Object.fromEntries(f.metadata)]),
    fromArrow.schema.fields.map((f) => [f.name, String(f.type), Object.fromEntries(f.metadata)]),
    `${stream}: columns`,
  );
  assert.equal(fromHdf5.numRows, fromArrow.numRows, `${stream}: rows`);
  for (const field of fromArrow.schema.fields) {
    const a = fromArrow.getChild(field.name)!;
    const h = fromHdf5.getChild(field.name)!;
    for (let i = 0; i < fromArrow.numRows; i++) {
      assert.deepEqual(plain(h.get(i)), plain(a.get(i)), `${stream}.${field.name} row ${i}`);
    }
  }
}

/** The primary stream against the documents that were written. */
function assertPrimary(table: Table): void {
  assert.equal(table.numRows, EVENTS);
  const meta = (name: string) =>
    Object.fromEntries(table.schema.fields.find((f) => f.name === name)!.metadata);
  assert.deepEqual(meta('meter_power'), { source: 'meter.power', units: 'W', precision: '4' });
  assert.deepEqual(meta('counter'), { source: 'daq.counter', units: 'counts' });
  assert.deepEqual(meta('shutter_open'), { source: 'laser.shutter' });
  for (let i = 0; i < EVENTS; i++) {
    const row = table.get(i)!.toJSON();
    const expected = eventData(i);
    assert.equal(row.seq_num, BigInt(i + 1));
    assert.equal(row.time, run.events[i]!.time * 1000);
    assert.equal(row.meter_power, expected.meter_power);
    assert.equal(row.counter, BigInt(expected.counter as number));
    assert.equal(row.shutter_open, expected.shutter_open);
    assert.equal(row.mode, expected.mode ?? null, `mode of row ${i}`);
  }
}

function assertFrames(table: Table): void {
  const kept = Array.from({ length: FRAMES }, (_, n) => n).filter((n) => n !== BAD_FRAME);
  assert.equal(table.numRows, kept.length);
  assert.equal(
    String(table.schema.fields.find((f) => f.name === 'pixels')!.type),
    `FixedSizeList[${H * W}]<Uint16>`,
  );
  kept.forEach((n, row) => {
    const expected = syntheticFrame(n, H, W);
    const got = table.get(row)!.toJSON();
    assert.equal(got.frame_number, BigInt(n));
    assert.equal(got.timestamp, expected.timestamp);
    assert.deepEqual([got.width, got.height], [W, H]);
    assert.deepEqual(plain(got.pixels), Array.from(expected.pixels), `pixels of frame ${n}`);
  });
}

describe('Hdf5RunReader: an HDF5 run exports like the Arrow run of the same documents', () => {
  it('lists the streams the Arrow writer writes, with the same row counts', async () => {
    const hdf5 = await openHdf5();
    const arrow = await openArrow();
    try {
      assert.deepEqual(await hdf5.streams(), await arrow.streams());
      assert.deepEqual(await hdf5.streams(), [
        { name: 'primary', stream: 'primary', kind: 'events', rows: EVENTS },
        { name: 'camera', stream: 'camera', kind: 'events', rows: FRAMES },
        { name: 'camera_frames', stream: 'camera', kind: 'frames', dataKey: 'image', rows: STORED_FRAMES },
      ]);
      assert.equal(hdf5.runUid, RUN_UID);
    } finally {
      await hdf5.close();
      await arrow.close();
    }
  });

  it('Arrow: same tables as the Arrow run, values and units as written, progress up to every row', async () => {
    const { hdf5Out, arrowOut, fromHdf5, progress } = await exportBoth('arrow');
    assert.deepEqual((await readdir(hdf5Out)).sort(), [
      'camera.arrow',
      'camera_frames.arrow',
      'primary.arrow',
    ]);
    assert.equal(fromHdf5.rows, EVENTS + FRAMES + STORED_FRAMES);
    assert.deepEqual(progress.at(-1), [fromHdf5.rows, fromHdf5.rows]);
    const table = async (dir: string, name: string) =>
      tableFromIPC(await readFile(join(dir, `${name}.arrow`)));
    for (const name of ['primary', 'camera', 'camera_frames']) {
      assertSameTable(await table(hdf5Out, name), await table(arrowOut, name), name);
    }
    assertPrimary(await table(hdf5Out, 'primary'));
    assertFrames(await table(hdf5Out, 'camera_frames'));
    const cameraEvents = (await table(hdf5Out, 'camera')).toArray().map((r) => r.toJSON().exposure);
    assert.deepEqual(cameraEvents, [10, 11, 12, 13, 14, 15, 16]);
  });

  it('Parquet: values, types, units and run metadata come back from the Parquet reader', async () => {
    const { hdf5Out, arrowOut } = await exportBoth('parquet');
    const parquet = async (dir: string, name: string) =>
      tableFromIPC(readParquet(await readFile(join(dir, `${name}.parquet`))).intoIPCStream());
    const primary = await parquet(hdf5Out, 'primary');
    assertPrimary(primary);
    assert.equal(primary.schema.metadata.get('benchtop.run_uid'), RUN_UID);
    assertSameTable(primary, await parquet(arrowOut, 'primary'), 'primary.parquet');
    assertFrames(await parquet(hdf5Out, 'camera_frames'));
    const bytes = await readFile(join(hdf5Out, 'primary.parquet'));
    const kv = (await ParquetFile.fromFile(new Blob([bytes]))).metadata().fileMetadata().keyValueMetadata();
    assert.deepEqual(JSON.parse(kv.get('benchtop.fields')!).counter, {
      source: 'daq.counter',
      units: 'counts',
    });
  });

  it('CSV: the same bytes as the Arrow run’s export, frames skipped with the reason', async () => {
    const { hdf5Out, arrowOut, fromHdf5, fromArrow } = await exportBoth('csv');
    assert.deepEqual(fromHdf5.skipped, [
      { stream: 'camera_frames', reason: 'CSV cannot hold image columns (pixels)' },
    ]);
    assert.deepEqual(fromHdf5.skipped, fromArrow.skipped);
    assert.deepEqual((await readdir(hdf5Out)).sort(), ['camera.csv', 'primary.csv']);
    for (const name of ['primary.csv', 'camera.csv']) {
      assert.equal(
        await readFile(join(hdf5Out, name), 'utf8'),
        await readFile(join(arrowOut, name), 'utf8'),
        name,
      );
    }
    const lines = (await readFile(join(hdf5Out, 'primary.csv'), 'utf8')).split('\r\n');
    assert.equal(lines[0], 'seq_num,time,meter_power [W],counter [counts],shutter_open,mode');
    assert.equal(lines[1], `1,2026-03-04T05:06:08.250000Z,0.5,0,true,"fast, ""quoted"""`);
  });

  it('reads in slices: no batch holds more than batchBytes allows', async () => {
    const path = join(hdf5Dir, hdf5Run.files[0]!);
    const reader = await Hdf5RunReader.open(path, { batchBytes: 2 * H * W * 2 });
    try {
      const sizes = async (stream: string) => {
        const rows: number[] = [];
        for await (const batch of (await reader.read(stream)).batches) rows.push(batch.numRows);
        return rows;
      };
      const primary = await sizes('primary');
      assert.ok(primary.length > 1, `primary read in ${primary.length} batches`);
      assert.equal(
        primary.reduce((a, b) => a + b, 0),
        EVENTS,
      );
      assert.ok(Math.max(...primary) < EVENTS / 4);
      // Two frames' pixels per slice; the slice holding the refused frame yields only one.
      assert.deepEqual(await sizes('camera_frames'), [2, 1, 2, 1]);
    } finally {
      await reader.close();
    }
  });
});

describe('Hdf5RunReader: runs only HDF5 can hold', () => {
  it('a field added by a later descriptor reads as null in the rows before it existed', async () => {
    const outputDir = join(root, 'added-field');
    const later = {
      ...run.descriptor,
      uid: 'desc-primary-0002',
      time: RUN_TIME + 1.5,
      data_keys: {
        ...run.descriptor.data_keys,
        temperature: { dtype: 'number' as const, shape: [], source: 'tc.t', units: 'degC' },
      },
    };
    const files = await writeHdf5Run(outputDir, (writer) => {
      writer.document({ name: 'start', doc: run.start });
      writer.document({ name: 'descriptor', doc: run.descriptor });
      for (const doc of run.events.slice(0, 3)) writer.document({ name: 'event', doc });
      writer.document({ name: 'descriptor', doc: later });
      for (const doc of run.events.slice(3, 5)) {
        writer.document({
          name: 'event',
          doc: {
            ...doc,
            descriptor: later.uid,
            data: { ...doc.data, temperature: 20 + doc.seq_num },
            timestamps: { ...doc.timestamps, temperature: doc.time },
          },
        });
      }
      writer.document({ name: 'stop', doc: run.stop });
    });
    const reader = await openRunDataReader({ uid: RUN_UID, format: 'hdf5', files }, outputDir, READERS);
    try {
      const { schema, batches } = await reader.read('primary');
      const field = schema.fields.at(-1)!;
      assert.deepEqual([field.name, field.metadata.get('units')], ['temperature', 'degC']);
      const values: unknown[] = [];
      for await (const batch of batches) values.push(...batch.getChild('temperature')!);
      assert.deepEqual(values, [null, null, null, 24, 25]);
    } finally {
      await reader.close();
    }
  });

  it('opens a file still marked open for writing (a writer that died) and reads what was flushed', async () => {
    const outputDir = join(root, 'open-for-write');
    const writer = new Hdf5RunWriter({
      outputDir,
      compressionLevel: 4,
      cameraCompression: 'none',
      queueCapacity: 1000,
      autoFlushIntervalSecs: 60,
      clock: new ManualClock(),
    });
    try {
      writer.document({ name: 'start', doc: run.start });
      writer.document({ name: 'descriptor', doc: run.descriptor });
      for (const doc of run.events.slice(0, 10)) writer.document({ name: 'event', doc });
      await writer.flush();
      const [name] = await readdir(outputDir);
      const reader = await Hdf5RunReader.open(join(outputDir, name!));
      try {
        const { batches } = await reader.read('primary');
        const seq: bigint[] = [];
        for await (const batch of batches) seq.push(...batch.getChild('seq_num')!.toArray());
        assert.deepEqual(
          seq,
          Array.from({ length: 10 }, (_, i) => BigInt(i + 1)),
        );
      } finally {
        await reader.close();
      }
    } finally {
      await writer.close();
    }
  });

  it('refuses what is not a Benchtop run file, and names unknown streams', async () => {
    await assert.rejects(
      Hdf5RunReader.open(join(root, 'missing.h5')),
      (err) => isBenchtopError(err, 'STORAGE_ERROR') && err.details.path === join(root, 'missing.h5'),
    );
    const notHdf5 = join(root, 'not-hdf5.h5');
    await writeFile(notHdf5, 'plain text');
    await assert.rejects(Hdf5RunReader.open(notHdf5), (err) => isBenchtopError(err, 'STORAGE_ERROR'));
    await assert.rejects(
      openRunDataReader({ uid: RUN_UID, format: 'hdf5', files: ['a/run.json'] }, root, READERS),
      (err) => isBenchtopError(err, 'STORAGE_ERROR') && (err.details.files as string[])[0] === 'a/run.json',
    );
    const reader = await openHdf5();
    try {
      await assert.rejects(reader.read('baseline'), (err) => isBenchtopError(err, 'NOT_FOUND'));
    } finally {
      await reader.close();
    }
  });
});
