import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Table, tableFromIPC } from 'apache-arrow';
import { ParquetFile, readParquet } from 'parquet-wasm';
import { isBenchtopError } from '../../core/errors.ts';
import { openArrowRun } from '../arrow/arrow-run-reader.ts';
import { ArrowRunWriter } from '../arrow/arrow-run-writer.ts';
import {
  cameraDescriptor,
  eventData,
  RUN_UID,
  syntheticFrame,
  syntheticRun,
} from '../arrow/synthetic-run.fixture.ts';
import { batchFromColumns } from './column-batch.ts';
import { exportRun } from './export-run.ts';
import { openRunDataReader, type RunDataReader, type StoredRun } from './run-data-reader.ts';

const EVENTS = 1000;
const FRAMES = 3;
const run = syntheticRun(EVENTS);

let root: string;
let outputDir: string;
let stored: StoredRun;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'benchtop-export-'));
  outputDir = join(root, 'data');
  const writer = new ArrowRunWriter({ outputDir, queueCapacity: 2000, batchRows: 300 });
  writer.document({ name: 'start', doc: run.start });
  writer.document({ name: 'descriptor', doc: run.descriptor });
  writer.document({ name: 'descriptor', doc: cameraDescriptor(2, 3) });
  for (const doc of run.events) writer.document({ name: 'event', doc });
  for (let n = 0; n < FRAMES; n++) writer.frame('image', syntheticFrame(n, 2, 3));
  writer.document({ name: 'stop', doc: run.stop });
  const { files } = await writer.close();
  stored = { uid: RUN_UID, format: 'arrow', files };
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const open = () => openRunDataReader(stored, outputDir, { arrow: openArrowRun });

function progressRecorder() {
  const calls: [number, number][] = [];
  return { calls, onProgress: (done: number, total: number) => calls.push([done, total]) };
}

function assertProgress(calls: [number, number][], total: number): void {
  assert.deepEqual(calls[0], [0, total]);
  assert.deepEqual(calls.at(-1), [total, total]);
  for (let i = 1; i < calls.length; i++)
    assert.ok(calls[i]![0] >= calls[i - 1]![0], 'progress never goes back');
}

/** The primary stream's values, checked row by row against what the fixture generated. */
function assertPrimary(table: Table): void {
  assert.equal(table.numRows, EVENTS);
  const power = table.schema.fields.find((f) => f.name === 'meter_power')!;
  assert.equal(power.metadata.get('units'), 'W');
  assert.equal(power.metadata.get('source'), 'meter.power');
  for (let i = 0; i < EVENTS; i++) {
    const row = table.get(i)!.toJSON();
    const expected = eventData(i);
    assert.equal(row.seq_num, BigInt(i + 1));
    assert.equal(row.meter_power, expected.meter_power);
    assert.equal(row.counter, BigInt(expected.counter as number));
    assert.equal(row.shutter_open, expected.shutter_open);
    assert.equal(row.mode, expected.mode ?? null);
  }
  const time = table.getChild('time')!;
  assert.equal(String(time.type), 'Timestamp<MICROSECOND, UTC>');
  assert.equal(time.get(0), run.events[0]!.time * 1000);
}

/** RFC 4180: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  assert.equal(field, '', 'the file ends with CRLF');
  return rows;
}

describe('exportRun from an Arrow run', () => {
  it('exports every stream to Arrow files that read back equal, reporting progress', async () => {
    const destDir = join(root, 'arrow-out');
    const progress = progressRecorder();
    const result = await exportRun({ reader: await open(), format: 'arrow', destDir, ...progress });
    assert.deepEqual(result.files.map((f) => f.slice(destDir.length + 1)).sort(), [
      'camera.arrow',
      'camera_frames.arrow',
      'primary.arrow',
    ]);
    assert.equal(result.rows, EVENTS + FRAMES);
    assertProgress(progress.calls, EVENTS + FRAMES);
    assertPrimary(tableFromIPC(await readFile(join(destDir, 'primary.arrow'))));
    const frames = tableFromIPC(await readFile(join(destDir, 'camera_frames.arrow')));
    assert.deepEqual(Array.from(frames.get(2)!.pixels.toArray()), Array.from(syntheticFrame(2, 2, 3).pixels));
  });

  it('exports Parquet that the Parquet reader gives back with values, types and units', async () => {
    const destDir = join(root, 'parquet-out');
    const progress = progressRecorder();
    const result = await exportRun({ reader: await open(), format: 'parquet', destDir, ...progress });
    assert.equal(result.files.length, 3);
    assertProgress(progress.calls, EVENTS + FRAMES);
    const bytes = await readFile(join(destDir, 'primary.parquet'));
    assert.equal(bytes.subarray(0, 4).toString(), 'PAR1');
    const table = tableFromIPC(readParquet(bytes).intoIPCStream());
    assertPrimary(table);
    assert.equal(table.schema.metadata.get('benchtop.run_uid'), RUN_UID);
    // Plain key-value metadata too, for readers that skip the embedded Arrow schema (DuckDB).
    const file = await ParquetFile.fromFile(new Blob([bytes]));
    const kv = file.metadata().fileMetadata().keyValueMetadata();
    assert.equal(kv.get('benchtop.run_uid'), RUN_UID);
    assert.deepEqual(JSON.parse(kv.get('benchtop.fields')!).meter_power, {
      source: 'meter.power',
      units: 'W',
      precision: '4',
    });

    const frames = tableFromIPC(
      readParquet(await readFile(join(destDir, 'camera_frames.parquet'))).intoIPCStream(),
    );
    assert.equal(frames.numRows, FRAMES);
    assert.equal(
      String(frames.schema.fields.find((f) => f.name === 'pixels')!.type),
      'FixedSizeList[6]<Uint16>',
    );
    for (let n = 0; n < FRAMES; n++) {
      assert.deepEqual(
        Array.from(frames.get(n)!.pixels.toArray()),
        Array.from(syntheticFrame(n, 2, 3).pixels),
      );
    }
    // A stream without rows still has its columns.
    const camera = tableFromIPC(readParquet(await readFile(join(destDir, 'camera.parquet'))).intoIPCStream());
    assert.deepEqual(
      camera.schema.fields.map((f) => f.name),
      ['seq_num', 'time', 'exposure'],
    );
    assert.equal(camera.numRows, 0);
  });

  it('exports RFC 4180 CSV with units in the header, and skips image streams with a reason', async () => {
    const destDir = join(root, 'csv-out');
    const progress = progressRecorder();
    const result = await exportRun({ reader: await open(), format: 'csv', destDir, ...progress });
    assert.deepEqual(result.skipped, [
      { stream: 'camera_frames', reason: 'CSV cannot hold image columns (pixels)' },
    ]);
    assertProgress(progress.calls, EVENTS);
    assert.deepEqual((await readdir(destDir)).sort(), ['camera.csv', 'primary.csv']);

    const rows = parseCsv(await readFile(join(destDir, 'primary.csv'), 'utf8'));
    assert.deepEqual(rows[0], [
      'seq_num',
      'time',
      'meter_power [W]',
      'counter [counts]',
      'shutter_open',
      'mode',
    ]);
    assert.equal(rows.length, EVENTS + 1);
    for (let i = 0; i < EVENTS; i++) {
      const [seq, time, power, counter, shutter, mode] = rows[i + 1]!;
      const expected = eventData(i);
      assert.equal(seq, String(i + 1));
      assert.equal(Date.parse(time!) / 1000, run.events[i]!.time);
      assert.match(time!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      assert.equal(Number(power), expected.meter_power);
      assert.equal(counter, String(expected.counter));
      assert.equal(shutter, String(expected.shutter_open));
      assert.equal(mode, expected.mode ?? '', `row ${i}`);
    }
  });

  it('exports only the streams asked for, and names the unknown ones', async () => {
    const destDir = join(root, 'some-out');
    const result = await exportRun({ reader: await open(), format: 'csv', destDir, streams: ['camera'] });
    assert.deepEqual(await readdir(destDir), ['camera.csv']);
    assert.equal(result.rows, 0);
    await assert.rejects(
      exportRun({ reader: await open(), format: 'csv', destDir, streams: ['baseline'] }),
      (err) => isBenchtopError(err, 'NOT_FOUND') && (err.details.unknown as string[])[0] === 'baseline',
    );
  });

  it('fails with STORAGE_ERROR and leaves no partial file when the destination cannot be written', async () => {
    const blocker = join(root, 'blocker');
    await writeFile(blocker, 'a file, not a directory');
    await assert.rejects(
      exportRun({ reader: await open(), format: 'parquet', destDir: join(blocker, 'out') }),
      (err) => isBenchtopError(err, 'STORAGE_ERROR') && err.details.path === join(blocker, 'out'),
    );
    const destDir = join(root, 'exists-out');
    await exportRun({ reader: await open(), format: 'csv', destDir, streams: ['camera'] });
    // A leftover .partial from an earlier crash is replaced, and the finished file overwritten.
    await writeFile(join(destDir, 'camera.csv.partial'), 'junk');
    await exportRun({ reader: await open(), format: 'csv', destDir, streams: ['camera'] });
    assert.deepEqual(await readdir(destDir), ['camera.csv']);
  });

  it('refuses a run whose writer never closed', async () => {
    const crashedDir = join(root, 'crashed');
    const writer = new ArrowRunWriter({ outputDir: crashedDir });
    writer.document({ name: 'start', doc: run.start });
    await writer.flush();
    const [name] = await readdir(crashedDir);
    await assert.rejects(
      openRunDataReader({ uid: RUN_UID, format: 'arrow', files: [`${name}/run.json`] }, crashedDir, {
        arrow: openArrowRun,
      }),
      (err) => isBenchtopError(err, 'RUN_STATE_CONFLICT'),
    );
    await writer.close();
  });

  it('names the format when no reader is registered for it', async () => {
    await assert.rejects(
      openRunDataReader({ ...stored, format: 'hdf5' }, outputDir, { arrow: openArrowRun }),
      (err) => isBenchtopError(err, 'STORAGE_ERROR') && err.details.format === 'hdf5',
    );
  });
});

describe('exportRun through the reader seam', () => {
  it('exports a run from any RunDataReader built with batchFromColumns (as an HDF5 reader would)', async () => {
    const batch = batchFromColumns([
      { name: 'seq_num', dtype: 'integer', values: Int32Array.of(1, 2) },
      { name: 'time', dtype: 'time', values: Float64Array.of(1772600767.25, 1772600767.5) },
      {
        name: 'temperature',
        dtype: 'number',
        units: '°C',
        source: 'tc.t',
        values: Float64Array.of(21.5, Number.NaN),
      },
      { name: 'note', dtype: 'string', values: ['a "b"', null] },
    ]);
    const reader: RunDataReader = {
      runUid: 'mem-run',
      streams: async () => [{ name: 'primary', stream: 'primary', kind: 'events', rows: 2 }],
      read: async () => ({
        schema: batch.schema,
        batches: (async function* () {
          yield batch;
        })(),
      }),
      close: async () => {},
    };
    const destDir = join(root, 'seam-out');
    await exportRun({ reader, format: 'csv', destDir });
    assert.deepEqual(parseCsv(await readFile(join(destDir, 'primary.csv'), 'utf8')), [
      ['seq_num', 'time', 'temperature [°C]', 'note'],
      ['1', '2026-03-04T05:06:07.250000Z', '21.5', 'a "b"'],
      ['2', '2026-03-04T05:06:07.500000Z', 'NaN', ''],
    ]);
    await exportRun({ reader, format: 'parquet', destDir });
    const table = tableFromIPC(readParquet(await readFile(join(destDir, 'primary.parquet'))).intoIPCStream());
    assert.equal(table.schema.fields[2]!.metadata.get('units'), '°C');
    assert.deepEqual(table.get(0)!.toJSON().note, 'a "b"');
  });
});
