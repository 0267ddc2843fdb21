import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RecordBatchFileReader, tableFromIPC } from 'apache-arrow';
import { ManualClock } from '../../core/clock.ts';
import { type BenchtopError, isBenchtopError } from '../../core/errors.ts';
import { ArrowRunWriter, type WriterDrop } from './arrow-run-writer.ts';
import { readStreamPrefix } from './recover-run.ts';
import { readManifest } from './run-manifest.ts';
import { SchemaMeta } from './stream-schema.ts';
import {
  cameraDescriptor,
  eventData,
  RUN_TIME,
  RUN_UID,
  syntheticFrame,
  syntheticRun,
} from './synthetic-run.fixture.ts';

const RUN_DIR = '20260304-050607_count_3f9c2a1e';
const MAGIC = Buffer.from('ARROW1');

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'benchtop-arrow-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let dirCount = 0;
const freshDir = () => join(root, `out-${dirCount++}`);

describe('ArrowRunWriter', () => {
  it('writes a 1000-event run that reads back with its schema, metadata and values', async () => {
    const outputDir = freshDir();
    const clock = new ManualClock();
    const run = syntheticRun(1000);
    const writer = new ArrowRunWriter({ outputDir, batchRows: 256, queueCapacity: 1000, clock });
    for (const doc of run.documents) writer.document(doc);
    const { files } = await writer.close();

    assert.deepEqual(files.sort(), [`${RUN_DIR}/primary.arrow`, `${RUN_DIR}/run.json`]);
    const bytes = await readFile(join(outputDir, RUN_DIR, 'primary.arrow'));
    // The IPC *file* format: magic at both ends, so readers can seek through the footer.
    assert.deepEqual(bytes.subarray(0, 6), MAGIC);
    assert.deepEqual(bytes.subarray(bytes.length - 6), MAGIC);
    const reader = RecordBatchFileReader.from(bytes);
    reader.open();
    assert.equal(reader.numRecordBatches, 4, '1000 events in batches of 256');

    const table = tableFromIPC(bytes);
    assert.equal(table.numRows, 1000);
    const fields = table.schema.fields;
    assert.deepEqual(
      fields.map((f) => [f.name, String(f.type)]),
      [
        ['seq_num', 'Int64'],
        ['time', 'Timestamp<MICROSECOND, UTC>'],
        ['meter_power', 'Float64'],
        ['counter', 'Int64'],
        ['shutter_open', 'Bool'],
        ['mode', 'Utf8'],
      ],
    );
    const power = fields.find((f) => f.name === 'meter_power')!;
    assert.equal(power.metadata.get('units'), 'W');
    assert.equal(power.metadata.get('source'), 'meter.power');
    assert.equal(power.metadata.get('precision'), '4');
    assert.equal(fields.find((f) => f.name === 'shutter_open')!.metadata.get('units'), undefined);
    const meta = table.schema.metadata;
    assert.equal(meta.get(SchemaMeta.runUid), RUN_UID);
    assert.equal(meta.get(SchemaMeta.planName), 'count');
    assert.equal(meta.get(SchemaMeta.stream), 'primary');
    assert.equal(JSON.parse(meta.get(SchemaMeta.descriptor)!).uid, run.descriptor.uid);

    const seq = table.getChild('seq_num')!.toArray() as BigInt64Array;
    const time = table.getChild('time')!.toArray() as BigInt64Array;
    for (let i = 0; i < 1000; i++) {
      const row = table.get(i)!.toJSON();
      const expected = eventData(i);
      assert.equal(seq[i], BigInt(i + 1));
      assert.equal(time[i], BigInt(Math.round(run.events[i]!.time * 1e6)));
      assert.equal(row.meter_power, expected.meter_power);
      assert.equal(row.counter, BigInt(expected.counter as number));
      assert.equal(row.shutter_open, expected.shutter_open);
      assert.equal(row.mode, expected.mode ?? null);
    }

    const manifest = await readManifest(join(outputDir, RUN_DIR));
    assert.equal(manifest.status, 'complete');
    assert.equal(manifest.start.uid, RUN_UID);
    assert.deepEqual(manifest.stop, run.stop);
    assert.deepEqual(manifest.descriptors, [run.descriptor]);
    assert.deepEqual(manifest.files, [
      {
        path: 'primary.arrow',
        stream: 'primary',
        descriptor: run.descriptor.uid,
        kind: 'events',
        rows: 1000,
      },
    ]);

    const stats = writer.stats();
    assert.equal(stats.eventsWritten, 1000);
    assert.equal(stats.dropped, 0);
    assert.equal(stats.queued, 0);
    assert.equal(stats.error, null);
    assert.equal(stats.lastFlushAt, clock.now());
    const manifestSize = (await stat(join(outputDir, RUN_DIR, 'run.json'))).size;
    assert.equal(stats.bytesWritten, bytes.length + manifestSize);
  });

  it('keeps events in memory until a batch fills or flush, and flush puts them on disk', async () => {
    const outputDir = freshDir();
    const run = syntheticRun(150);
    const writer = new ArrowRunWriter({ outputDir, batchRows: 100 });
    for (const doc of run.documents.slice(0, 2 + 150)) writer.document(doc);
    await writer.flush();
    const path = join(outputDir, RUN_DIR, 'primary.arrow');
    // Before close there is no footer, but the body is a complete IPC stream.
    let rows = await readStreamPrefix(path);
    assert.equal(rows.numRows, 150);
    assert.equal(writer.stats().eventsWritten, 150);

    writer.document({ name: 'event', doc: { ...run.events[0]!, seq_num: 151 } });
    await writer.flush();
    rows = await readStreamPrefix(path);
    assert.deepEqual(Array.from(rows.getChild('seq_num')!.toArray() as BigInt64Array).slice(-2), [
      150n,
      151n,
    ]);
    await writer.close();
    assert.equal(tableFromIPC(await readFile(path)).numRows, 151);
  });

  it('writes camera frames to <stream>_frames.arrow with their numbers, times and sizes', async () => {
    const outputDir = freshDir();
    const run = syntheticRun(0);
    const descriptor = cameraDescriptor(4, 6);
    const writer = new ArrowRunWriter({ outputDir });
    writer.document(run.documents[0]!);
    writer.document({ name: 'descriptor', doc: descriptor });
    const frames = [0, 1, 2, 5].map((n) => syntheticFrame(n, 4, 6));
    for (const frame of frames) writer.frame('image', frame);
    writer.document({
      name: 'event',
      doc: {
        uid: 'cam-ev-1',
        descriptor: descriptor.uid,
        seq_num: 1,
        time: RUN_TIME + 1,
        data: { exposure: 10 },
        timestamps: { exposure: RUN_TIME + 1 },
      },
    });
    const { files } = await writer.close();
    assert.deepEqual(files.sort(), [
      `${RUN_DIR}/camera.arrow`,
      `${RUN_DIR}/camera_frames.arrow`,
      `${RUN_DIR}/run.json`,
    ]);

    const events = tableFromIPC(await readFile(join(outputDir, RUN_DIR, 'camera.arrow')));
    assert.deepEqual(
      events.schema.fields.map((f) => f.name),
      ['seq_num', 'time', 'exposure'],
      'the external image key is not an event column',
    );

    const bytes = await readFile(join(outputDir, RUN_DIR, 'camera_frames.arrow'));
    const table = tableFromIPC(bytes);
    assert.equal(table.numRows, 4);
    assert.deepEqual(
      table.schema.fields.map((f) => [f.name, String(f.type)]),
      [
        ['frame_number', 'Int64'],
        ['timestamp', 'Timestamp<MICROSECOND, UTC>'],
        ['width', 'Int32'],
        ['height', 'Int32'],
        ['bit_depth', 'Int32'],
        ['exposure_ms', 'Float64'],
        ['pixels', 'FixedSizeList[24]<Uint16>'],
      ],
    );
    const pixelsField = table.schema.fields[6]!;
    assert.equal(pixelsField.metadata.get('units'), 'counts');
    assert.equal(pixelsField.metadata.get('source'), 'cam.image');
    assert.equal(table.schema.metadata.get(SchemaMeta.dataKey), 'image');
    frames.forEach((frame, i) => {
      const row = table.get(i)!;
      assert.equal(row.frame_number, BigInt(frame.frameNumber));
      assert.equal(
        table.getChild('timestamp')!.data[i]!.values[0],
        BigInt(Math.round(frame.timestamp * 1000)),
      );
      assert.equal(row.width, 6);
      assert.equal(row.height, 4);
      assert.equal(row.bit_depth, 12);
      assert.equal(row.exposure_ms, 10);
      assert.deepEqual(Array.from(row.pixels.toArray() as Uint16Array), Array.from(frame.pixels));
    });
    const manifest = await readManifest(join(outputDir, RUN_DIR));
    assert.deepEqual(
      manifest.files.map((f) => [f.path, f.kind, f.data_key, f.rows]),
      [
        ['camera.arrow', 'events', undefined, 1],
        ['camera_frames.arrow', 'frames', 'image', 4],
      ],
    );
    assert.equal(writer.stats().framesWritten, 4);
  });

  it('refuses frames of the wrong size or for an unknown key, and reports each', async () => {
    const drops: WriterDrop[] = [];
    const writer = new ArrowRunWriter({ outputDir: freshDir(), onDrop: (d) => drops.push(d) });
    writer.document(syntheticRun(0).documents[0]!);
    writer.document({ name: 'descriptor', doc: cameraDescriptor(4, 6) });
    writer.frame('image', syntheticFrame(0, 4, 6));
    writer.frame('image', syntheticFrame(1, 6, 4));
    writer.frame('other_camera', syntheticFrame(2, 4, 6));
    writer.document({
      name: 'event',
      doc: {
        uid: 'e',
        descriptor: 'no-such-descriptor',
        seq_num: 1,
        time: RUN_TIME,
        data: {},
        timestamps: {},
      },
    });
    await writer.close();
    assert.deepEqual(
      drops.map((d) => [d.kind, d.reason, d.key, d.dropped]),
      [
        ['frame', 'frame_shape', 'image', 1],
        ['frame', 'unknown_data_key', 'other_camera', 2],
        ['event', 'unknown_descriptor', 'no-such-descriptor', 3],
      ],
    );
    assert.equal(writer.stats().framesWritten, 1);
    assert.equal(writer.stats().dropped, 3);
  });

  it('drops events beyond the queue bound, counts and reports each, and keeps the rest', async () => {
    const outputDir = freshDir();
    const drops: WriterDrop[] = [];
    const run = syntheticRun(30);
    const writer = new ArrowRunWriter({ outputDir, queueCapacity: 10, onDrop: (d) => drops.push(d) });
    // No await between calls: the drain loop cannot run, so the queue only fills.
    for (const doc of run.documents.slice(0, 32)) writer.document(doc);
    assert.equal(writer.stats().queued, 10);
    assert.equal(writer.stats().dropped, 20);
    assert.equal(drops.length, 20);
    assert.ok(
      drops.every((d) => d.kind === 'event' && d.reason === 'queue_full' && d.key === run.descriptor.uid),
    );
    assert.deepEqual(
      drops.map((d) => d.dropped),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    writer.document(run.documents.at(-1)!); // stop is never refused
    await writer.close();
    const table = tableFromIPC(await readFile(join(outputDir, RUN_DIR, 'primary.arrow')));
    assert.deepEqual(
      Array.from(table.getChild('seq_num')!.toArray() as BigInt64Array),
      Array.from({ length: 10 }, (_, i) => BigInt(i + 1)),
    );
    const manifest = await readManifest(join(outputDir, RUN_DIR));
    assert.equal(manifest.stop?.uid, run.stop.uid);
    assert.equal(manifest.writer?.dropped, 20);
  });

  it('surfaces a write error through onError, stats, flush and close', async () => {
    const blocker = join(root, 'a-file');
    await writeFile(blocker, 'not a directory');
    const errors: BenchtopError[] = [];
    const run = syntheticRun(5);
    const writer = new ArrowRunWriter({ outputDir: join(blocker, 'data'), onError: (e) => errors.push(e) });
    for (const doc of run.documents.slice(0, 4)) writer.document(doc);
    await assert.rejects(writer.flush(), (err) => isBenchtopError(err, 'STORAGE_ERROR'));
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 'STORAGE_ERROR');
    assert.equal(errors[0]!.details.errno, 'ENOTDIR');
    assert.equal(errors[0]!.details.runUid, RUN_UID);
    assert.equal(writer.stats().error, errors[0]!.message);
    // Events arriving after the failure are not written, and counted as lost.
    writer.document(run.documents[4]!);
    writer.document(run.documents[5]!);
    assert.equal(writer.stats().dropped, 2 + 2);
    await assert.rejects(writer.close(), (err) => isBenchtopError(err, 'STORAGE_ERROR'));
    assert.equal(errors.length, 1, 'the error is reported once');
  });

  it('fails the run on a descriptor it cannot lay out, keeping what was written and marking run.json', async () => {
    const outputDir = freshDir();
    const errors: BenchtopError[] = [];
    const run = syntheticRun(3);
    const writer = new ArrowRunWriter({ outputDir, onError: (e) => errors.push(e) });
    for (const doc of run.documents.slice(0, 5)) writer.document(doc);
    await writer.flush();
    const clash = { ...run.descriptor, uid: 'desc-bad', name: 'baseline' };
    clash.data_keys = { time: { dtype: 'number', shape: [], source: 'clock.time' } };
    writer.document({ name: 'descriptor', doc: clash });
    await assert.rejects(writer.flush(), (err) => isBenchtopError(err, 'STORAGE_ERROR'));
    assert.deepEqual(errors[0]?.details, { stream: 'baseline', dataKey: 'time', runUid: RUN_UID });
    await assert.rejects(writer.close(), (err) => isBenchtopError(err, 'STORAGE_ERROR'));
    const manifest = await readManifest(join(outputDir, RUN_DIR));
    assert.equal(manifest.status, 'failed');
    assert.equal(manifest.writer?.error, errors[0]!.message);
    assert.equal(tableFromIPC(await readFile(join(outputDir, RUN_DIR, 'primary.arrow'))).numRows, 3);
  });

  it('refuses documents, frames, flush and a second close after close', async () => {
    const writer = new ArrowRunWriter({ outputDir: freshDir() });
    assert.deepEqual(await writer.close(), { files: [] });
    const conflict = (err: unknown) => isBenchtopError(err, 'RUN_STATE_CONFLICT');
    assert.throws(() => writer.document(syntheticRun(0).documents[0]!), conflict);
    assert.throws(() => writer.frame('image', syntheticFrame(0, 2, 2)), conflict);
    await assert.rejects(writer.flush(), conflict);
    await assert.rejects(writer.close(), conflict);
  });

  it('never reuses a run directory', async () => {
    const outputDir = freshDir();
    const first = new ArrowRunWriter({ outputDir });
    first.document(syntheticRun(0).documents[0]!);
    await first.close();
    const errors: BenchtopError[] = [];
    const second = new ArrowRunWriter({ outputDir, onError: (e) => errors.push(e) });
    second.document(syntheticRun(0).documents[0]!);
    await assert.rejects(second.close(), (err) => isBenchtopError(err, 'STORAGE_ERROR'));
    assert.equal(errors[0]?.details.errno, 'EEXIST');
    assert.deepEqual(await readdir(outputDir), [RUN_DIR]);
  });
});
