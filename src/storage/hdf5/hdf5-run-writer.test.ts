import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.ts';
import type { BenchtopError } from '../../core/errors.ts';
import { Hdf5RunReader } from '../export/hdf5-run-reader.ts';
import { CompressedFramesFile } from './compressed-frames-file.ts';
import { DirectChunkWriter } from './direct-chunk-writer.ts';
import { Hdf5RunWriter, type Hdf5RunWriterOptions, type WriterDrop } from './hdf5-run-writer.ts';
import { hdf5FrameResource, runFileName } from './run-file-layout.ts';
import { hasCommand, hasH5py, PYTHON, RunFileReader } from './test-support/run-file-reader.ts';
import {
  CAMERA_UID,
  cameraDatum,
  cameraDescriptor,
  cameraResource,
  FRAME_HEIGHT,
  FRAME_WIDTH,
  meterPower,
  motorPosition,
  PRIMARY_UID,
  pixelValue,
  primaryDescriptor,
  primaryEvent,
  RUN_UID,
  START_TIME,
  scalarRun,
  startDoc,
  stopDoc,
  syntheticFrame,
} from './test-support/synthetic-run.ts';

const root = mkdtempSync(join(tmpdir(), 'benchtop-hdf5-'));
const writers: Hdf5RunWriter[] = [];
after(async () => {
  // Writers a failed test left open (close() is idempotent; its errors were asserted or don't matter here).
  await Promise.allSettled(writers.map((w) => w.close()));
  rmSync(root, { recursive: true, force: true });
});
let dirs = 0;

/** Whether the filesystem holding `path` takes O_DIRECT (tmpfs and some others do not). */
function directIoAvailable(path: string): boolean {
  const writer = DirectChunkWriter.open(path);
  writer?.close();
  return writer !== null;
}

function harness(overrides: Partial<Hdf5RunWriterOptions> = {}) {
  const outputDir = join(root, `run-${++dirs}`);
  const drops: WriterDrop[] = [];
  const errors: BenchtopError[] = [];
  const warnings: BenchtopError[] = [];
  const clock = new ManualClock();
  const writer = new Hdf5RunWriter({
    outputDir,
    compressionLevel: 6,
    cameraCompression: 'none',
    queueCapacity: 64,
    autoFlushIntervalSecs: 5,
    clock,
    onDrop: (d) => drops.push(d),
    onError: (e) => errors.push(e),
    onWarning: (w) => warnings.push(w),
    ...overrides,
  });
  writers.push(writer);
  return {
    writer,
    outputDir,
    clock,
    drops,
    errors,
    warnings,
    path: join(outputDir, runFileName(startDoc())),
  };
}

/** Awaits a condition the worker thread brings about (bounded: real threads, no fixed sleeps). */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const hasH5dump = hasCommand('h5dump', ['--version']);
const h5pyPresent = hasH5py();

describe('Hdf5RunWriter: scalar run', () => {
  const run = harness();
  let files: string[] = [];

  it('writes start, descriptor, 10 events and stop into one file named after the run', async () => {
    for (const doc of scalarRun(10)) run.writer.document(doc);
    ({ files } = await run.writer.close());
    assert.deepEqual(files, ['20260314-092653_scan_3f2a9c1e.h5']);
    const stats = run.writer.stats();
    assert.equal(stats.eventsWritten, 10);
    assert.equal(stats.queued, 0);
    assert.equal(stats.dropped, 0);
    assert.equal(stats.error, null);
    assert.ok(stats.bytesWritten > 0);
    assert.deepEqual(run.errors, []);
    assert.deepEqual(run.warnings, []);
  });

  it('has an NXentry with the run metadata, start and end time in ISO 8601', async () => {
    const file = await RunFileReader.open(run.path);
    try {
      assert.equal(file.attr('/', 'default'), 'entry');
      assert.equal(file.attr('/entry', 'NX_class'), 'NXentry');
      assert.equal(file.attr('/entry', 'default'), 'data');
      assert.equal(file.scalar('/entry/uid'), RUN_UID);
      assert.equal(file.scalar('/entry/plan_name'), 'scan');
      assert.equal(file.scalar('/entry/start_time'), '2026-03-14T09:26:53.250Z');
      assert.equal(file.scalar('/entry/end_time'), '2026-03-14T09:27:53.750Z');
      assert.equal(file.scalar('/entry/exit_status'), 'success');
      assert.equal(file.scalar('/entry/scan_id'), 7);
      assert.deepEqual(JSON.parse(String(file.scalar('/entry/plan_args'))), startDoc().plan_args);
      assert.deepEqual(JSON.parse(String(file.scalar('/entry/metadata'))), {
        sample: 'Si wafer',
        operator: 'ada',
      });
      assert.deepEqual(JSON.parse(String(file.scalar('/entry/benchtop/start_document'))), startDoc());
      assert.equal(JSON.parse(String(file.scalar('/entry/benchtop/stop_document'))).exit_status, 'success');
    } finally {
      file.close();
    }
  });

  it('writes instrument configuration: scalars as datasets, nested values as JSON', async () => {
    const file = await RunFileReader.open(run.path);
    try {
      assert.equal(file.attr('/entry/instrument', 'NX_class'), 'NXinstrument');
      assert.deepEqual(file.keys('/entry/instrument'), ['meter', 'motor']);
      assert.equal(file.scalar('/entry/instrument/motor/velocity'), 2.5);
      assert.equal(file.scalar('/entry/instrument/motor/axes'), 3);
      assert.equal(file.scalar('/entry/instrument/motor/homed'), 1);
      assert.equal(file.scalar('/entry/instrument/motor/type'), 'ESP300');
      assert.deepEqual(JSON.parse(String(file.scalar('/entry/instrument/motor/limits'))), {
        low: 0,
        high: 10,
      });
      assert.equal(file.attr('/entry/instrument/motor/limits', 'encoding'), 'json');
      assert.equal(file.scalar('/entry/instrument/meter/wavelength_nm'), 800);
    } finally {
      file.close();
    }
  });

  it('writes the primary stream as NXdata: one growing dataset per field, units, time and seq_num', async () => {
    const file = await RunFileReader.open(run.path);
    try {
      assert.equal(file.attr('/entry/data', 'NX_class'), 'NXdata');
      assert.equal(file.attr('/entry/data', 'signal'), 'meter_power');
      assert.deepEqual(file.attr('/entry/data', 'axes'), ['motor_position']);
      assert.equal(JSON.parse(String(file.attr('/entry/data', 'descriptor'))).uid, PRIMARY_UID);
      assert.deepEqual(file.keys('/entry/data'), [
        'meter_power',
        'motor_position',
        'seq_num',
        'time',
        'timestamps',
      ]);
      const rows = Array.from({ length: 10 }, (_, i) => i);
      assert.deepEqual(file.values('/entry/data/motor_position'), rows.map(motorPosition));
      assert.deepEqual(file.values('/entry/data/meter_power'), rows.map(meterPower));
      assert.deepEqual(
        file.values('/entry/data/seq_num'),
        rows.map((i) => i + 1),
      );
      assert.deepEqual(
        file.values('/entry/data/time'),
        rows.map((i) => START_TIME + 1 + i),
      );
      assert.deepEqual(
        file.values('/entry/data/timestamps/meter_power'),
        rows.map((i) => START_TIME + 1 + i - 0.02),
      );
      assert.equal(file.attr('/entry/data/motor_position', 'units'), 'mm');
      assert.equal(file.attr('/entry/data/meter_power', 'units'), 'W');
      assert.equal(file.attr('/entry/data/motor_position', 'source'), 'motor.position');
      assert.equal(file.attr('/entry/data/time', 'units'), 's');
      const power = file.dataset('/entry/data/meter_power');
      assert.equal(power.dtype, '<d');
      assert.equal(file.dataset('/entry/data/seq_num').dtype, '<q');
      assert.ok((power.metadata.maxshape?.[0] ?? 0) > Number.MAX_SAFE_INTEGER, 'first axis unlimited');
      assert.ok(power.metadata.chunks, 'chunked');
      assert.deepEqual(
        power.filters.map((f) => [f.name, f.cd_values]),
        [['deflate', [6]]],
      );
    } finally {
      file.close();
    }
  });

  it(
    'is readable by h5dump',
    {
      skip: !hasH5dump && 'h5dump not installed (apt-get install hdf5-tools)',
    },
    () => {
      const dump = spawnSync('h5dump', ['-H', join(run.outputDir, files[0] ?? '')], { encoding: 'utf8' });
      assert.equal(dump.status, 0, dump.stderr);
      assert.match(
        dump.stdout,
        /DATASET "meter_power" \{\s+DATATYPE\s+H5T_IEEE_F64LE\s+DATASPACE\s+SIMPLE \{ \( 10 \) \/ \( H5S_UNLIMITED \) \}/,
      );
      assert.match(dump.stdout, /GROUP "instrument"/);
    },
  );

  it('is readable by h5py', { skip: !h5pyPresent && 'python3-h5py not installed' }, () => {
    const script = `import h5py, json, sys
f = h5py.File(sys.argv[1], 'r')
d = f['entry/data']
print(json.dumps({'nx': d.attrs['NX_class'], 'power': d['meter_power'][:].tolist(), 'units': d['meter_power'].attrs['units'],
  'maxshape': d['meter_power'].maxshape, 'seq': d['seq_num'][:].tolist(), 'exit': f['entry/exit_status'][()].decode()}))`;
    const out = spawnSync(PYTHON, ['-c', script, run.path], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    const read = JSON.parse(out.stdout);
    assert.equal(read.nx, 'NXdata');
    assert.deepEqual(
      read.power,
      Array.from({ length: 10 }, (_, i) => meterPower(i)),
    );
    assert.equal(read.units, 'W');
    assert.deepEqual(read.maxshape, [null]);
    assert.deepEqual(read.seq, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(read.exit, 'success');
  });
});

describe('Hdf5RunWriter: camera frames', () => {
  it('writes frames as (n, height, width) uint16, one frame per chunk, with frame_number and timestamp', async () => {
    const run = harness();
    run.writer.document({ name: 'start', doc: startDoc() });
    run.writer.document({ name: 'descriptor', doc: cameraDescriptor() });
    run.writer.document({ name: 'stream_resource', doc: cameraResource() });
    const first = syntheticFrame(0);
    run.writer.frame('cam_image', first);
    assert.equal(first.pixels.byteLength, 0, 'the pixel buffer was transferred to the worker, not copied');
    for (let n = 1; n < 5; n++) run.writer.frame('cam_image', syntheticFrame(n));
    run.writer.document({ name: 'stream_datum', doc: cameraDatum(0, 5) });
    run.writer.document({ name: 'stop', doc: stopDoc({ camera: 5 }) });
    const { files } = await run.writer.close();
    assert.equal(files.length, 1);
    assert.deepEqual(run.warnings, []);
    assert.equal(run.writer.stats().framesWritten, 5);

    const file = await RunFileReader.open(run.path);
    try {
      const frames = file.dataset('/entry/data_camera/cam_image');
      assert.deepEqual(frames.shape, [5, FRAME_HEIGHT, FRAME_WIDTH]);
      assert.equal(frames.dtype, '<H');
      assert.deepEqual(frames.metadata.chunks, [1, FRAME_HEIGHT, FRAME_WIDTH]);
      assert.deepEqual(frames.filters, [], 'camera_compression "none"');
      assert.equal(file.attr('/entry/data_camera', 'NX_class'), 'NXdata');
      assert.equal(file.attr('/entry/data_camera', 'signal'), 'cam_image');
      assert.equal(JSON.parse(String(file.attr('/entry/data_camera', 'descriptor'))).uid, CAMERA_UID);
      const pixels = frames.value as Uint16Array;
      for (let n = 0; n < 5; n++) {
        for (const [y, x] of [
          [0, 0],
          [FRAME_HEIGHT - 1, FRAME_WIDTH - 1],
          [17, 33],
        ] as const) {
          assert.equal(
            pixels[(n * FRAME_HEIGHT + y) * FRAME_WIDTH + x],
            pixelValue(n, y, x),
            `frame ${n} (${y}, ${x})`,
          );
        }
      }
      // stream_datum indices 0..5 name exactly these rows.
      const row3 = frames.slice([[3, 4]]) as Uint16Array;
      assert.deepEqual(
        Array.from(row3.slice(0, 4)),
        [0, 1, 2, 3].map((x) => pixelValue(3, 0, x)),
      );
      assert.deepEqual(file.values('/entry/data_camera/cam_image_frame_number'), [100, 101, 102, 103, 104]);
      assert.equal(file.dataset('/entry/data_camera/cam_image_frame_number').dtype, '<q');
      assert.deepEqual(
        file.values('/entry/data_camera/cam_image_timestamp'),
        [0, 1, 2, 3, 4].map((n) => syntheticFrame(n).timestamp / 1000),
      );
      const resource = JSON.parse(
        String(file.attr('/entry/data_camera/cam_image', 'stream_resource_resource-cam-0001')),
      );
      assert.equal(resource.parameters.dataset, '/entry/data_camera/cam_image');
      assert.equal(resource.uri, `file://${files[0]}`);
    } finally {
      file.close();
    }
  });

  // A 1392×1040 CCD frame (2,895,360 bytes) is larger than HDF5's chunk cache and not a whole
  // number of pages: the path a real sensor takes.
  for (const directFrameWrites of [true, false]) {
    it(`writes sensor-sized frames exactly with direct_frame_writes = ${directFrameWrites}`, async () => {
      const [height, width] = [1040, 1392];
      const run = harness({ directFrameWrites });
      const descriptor = cameraDescriptor();
      descriptor.data_keys.cam_image!.shape = [height, width];
      run.writer.document({ name: 'start', doc: startDoc() });
      run.writer.document({ name: 'descriptor', doc: descriptor });
      const value = (n: number, i: number) => (n * 7919 + i * 5 + (i >> 12)) & 0xffff;
      for (let n = 0; n < 4; n++) {
        const pixels = new Uint16Array(height * width);
        for (let i = 0; i < pixels.length; i++) pixels[i] = value(n, i);
        run.writer.frame('cam_image', { ...syntheticFrame(n), pixels, height, width });
      }
      run.writer.document({ name: 'stop', doc: stopDoc({ camera: 4 }) });
      await run.writer.close();
      assert.deepEqual(run.warnings, []);
      const stats = run.writer.stats();
      assert.equal(stats.framesWritten, 4);
      const frameBytes = 4 * height * width * 2;
      if (!directFrameWrites) assert.equal(stats.bytesWrittenDirect, 0);
      else if (directIoAvailable(run.path)) {
        assert.ok(
          stats.bytesWrittenDirect! > 0.99 * frameBytes,
          `${stats.bytesWrittenDirect} of ${frameBytes} direct`,
        );
      }
      const file = await RunFileReader.open(run.path);
      try {
        const frames = file.dataset('/entry/data_camera/cam_image');
        assert.deepEqual(frames.shape, [4, height, width]);
        for (let n = 0; n < 4; n++) {
          const row = frames.slice([[n, n + 1]]) as Uint16Array;
          const bad = row.findIndex((v, i) => v !== value(n, i));
          assert.equal(bad, -1, `frame ${n} differs at pixel ${bad}`);
        }
      } finally {
        file.close();
      }
    });
  }

  it('compresses frames with gzip when camera_compression is "gzip"', async () => {
    const run = harness({ cameraCompression: 'gzip', compressionLevel: 3 });
    run.writer.document({ name: 'start', doc: startDoc() });
    run.writer.document({ name: 'descriptor', doc: cameraDescriptor() });
    run.writer.frame('cam_image', syntheticFrame(0));
    await run.writer.close();
    const file = await RunFileReader.open(run.path);
    try {
      const frames = file.dataset('/entry/data_camera/cam_image');
      assert.deepEqual(
        frames.filters.map((f) => [f.name, f.cd_values]),
        [['deflate', [3]]],
      );
      assert.equal((frames.value as Uint16Array)[FRAME_WIDTH + 5], pixelValue(0, 1, 5));
    } finally {
      file.close();
    }
  });

  it('refuses frames for a key no descriptor declared external, reports stream_datum rows that do not exist and repeated documents', async () => {
    const run = harness();
    run.writer.document({ name: 'start', doc: startDoc() });
    run.writer.document({ name: 'descriptor', doc: cameraDescriptor() });
    run.writer.document({ name: 'stream_resource', doc: cameraResource() });
    const stray = syntheticFrame(0);
    run.writer.frame('other_camera', stray);
    assert.equal(stray.pixels.length, FRAME_HEIGHT * FRAME_WIDTH, 'not transferred');
    run.writer.frame('cam_image', syntheticFrame(0));
    run.writer.document({ name: 'stream_datum', doc: cameraDatum(0, 2) });
    // Repeated documents are reported, not fatal.
    run.writer.document({ name: 'descriptor', doc: cameraDescriptor() });
    run.writer.document({ name: 'stream_resource', doc: cameraResource() });
    await run.writer.close();
    assert.equal(run.writer.stats().error, null);
    assert.deepEqual(
      run.warnings.map((w) => [
        w.code,
        w.details.dataKey ?? (w.details.resource ? 'resource' : (w.details.descriptor ?? w.details.document)),
      ]),
      [
        ['VALUE_INVALID', 'other_camera'],
        ['VALUE_INVALID', 'stream_datum'],
        ['VALUE_INVALID', CAMERA_UID],
        ['VALUE_INVALID', 'resource'],
      ],
    );
  });
});

describe('Hdf5RunWriter: camera frames kept on another host', () => {
  it(
    'links the frame dataset to the file named by the stream_resource and keeps each frame’s metadata, with no warning for its rows (h5py)',
    { skip: !h5pyPresent && 'python3-h5py not installed' },
    async () => {
      const run = harness();
      const path = 'frames/run-1/cam_image.frames.h5';
      run.writer.document({ name: 'start', doc: startDoc() });
      run.writer.document({ name: 'descriptor', doc: cameraDescriptor() });
      run.writer.document({
        name: 'stream_resource',
        doc: {
          uid: 'resource-cam-0001',
          run_start: RUN_UID,
          data_key: 'cam_image',
          mimetype: 'application/x-hdf5',
          uri: `agent://camhost/${path}`,
          parameters: {
            host: 'camhost.lab',
            agent: 'camhost',
            path,
            dataset: '/data',
            shape: [FRAME_HEIGHT, FRAME_WIDTH],
            chunk_shape: [1, FRAME_HEIGHT, FRAME_WIDTH],
          },
        },
      });
      // The engine passes each frame without pixels: the run file keeps what each frame was.
      const told = [0, 1].map((n) => ({ ...syntheticFrame(n), pixels: new Uint16Array(0) }));
      for (const frame of told) run.writer.frame('cam_image', frame);
      run.writer.document({ name: 'stream_datum', doc: cameraDatum(0, 2) });
      run.writer.document({ name: 'stop', doc: stopDoc({ camera: 2 }) });
      await run.writer.close();
      assert.deepEqual(run.warnings, []);
      // Without the agent's file beside it, export refuses the run rather than leaving its frames out.
      await assert.rejects(
        Hdf5RunReader.open(run.path),
        /frames of "cam_image" are in cam_image\.frames\.h5:\/data, which is not beside the run file/,
      );
      // The agent's file, downloaded beside the run file: the run's frame dataset reads through the link.
      const frames = CompressedFramesFile.create(join(run.outputDir, 'cam_image.frames.h5'), {
        height: FRAME_HEIGHT,
        width: FRAME_WIDTH,
        elementSize: 2,
        filters: [],
        directWrites: false,
      });
      for (const n of [0, 1]) {
        const { pixels } = syntheticFrame(n);
        frames.writeChunk(n, new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
      }
      frames.close();
      const reader = await Hdf5RunReader.open(run.path);
      const framesStream = (await reader.streams()).find((st) => st.kind === 'frames');
      await reader.close();
      assert.equal(framesStream?.rows, 2, 'export reads both frames through the link');
      const script = `import h5py, json, sys
f = h5py.File(sys.argv[1], 'r')
d = f['/entry/data_camera/cam_image']
r = json.loads(f['/entry/data_camera'].attrs['stream_resource_resource-cam-0001'])
g = f['/entry/data_camera']
meta = {k: g['cam_image_' + k][:].tolist() for k in ('frame_number', 'timestamp', 'bit_depth', 'exposure_ms')}
print(json.dumps({'shape': d.shape, 'dtype': str(d.dtype), 'px': [int(d[1, 17, 33]), int(d[0, 0, 1])], 'host': r['parameters']['host'], 'meta': meta}))`;
      const out = spawnSync(PYTHON, ['-c', script, run.path], { encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      assert.deepEqual(JSON.parse(out.stdout), {
        shape: [2, FRAME_HEIGHT, FRAME_WIDTH],
        dtype: 'uint16',
        px: [pixelValue(1, 17, 33), pixelValue(0, 0, 1)],
        host: 'camhost.lab',
        meta: {
          frame_number: told.map((f) => f.frameNumber),
          timestamp: told.map((f) => f.timestamp / 1000),
          bit_depth: told.map((f) => f.bitDepth),
          exposure_ms: told.map((f) => f.exposureMs),
        },
      });
    },
  );
});

describe('Hdf5RunWriter: values that do not fit their data key', () => {
  it('stores integers, booleans, strings and arrays with fitting types and reports a mismatch once per field', async () => {
    const run = harness();
    run.writer.document({ name: 'start', doc: startDoc() });
    run.writer.document({
      name: 'descriptor',
      doc: {
        ...primaryDescriptor(),
        data_keys: {
          count: { dtype: 'integer', shape: [], source: 'counter.count', units: 'counts' },
          open: { dtype: 'boolean', shape: [], source: 'shutter.open' },
          state: { dtype: 'string', shape: [], source: 'laser.state' },
          spectrum: { dtype: 'array', shape: [3], source: 'spec.values', dtype_numpy: '<f4' },
          reading: { dtype: 'number', shape: [], source: 'meter.power' },
          trace: { dtype: 'array', shape: [], source: 'scope.trace' },
        },
      },
    });
    const data = [
      { count: 5, open: true, state: 'lasing', spectrum: [1, 2, 3], reading: 1.5, trace: [1, 2] },
      {
        count: 6,
        open: false,
        state: 'off — ünïcode',
        spectrum: [4, 5, 6],
        reading: 'oops',
        trace: new Float64Array([0.5]),
      },
      { count: 7, open: true, state: '', spectrum: [7, 8], reading: 'again', trace: { mode: 'fast' } },
    ];
    data.forEach((d, i) => {
      run.writer.document({ name: 'event', doc: { ...primaryEvent(i), data: d, timestamps: {} } });
    });
    await run.writer.close();
    const file = await RunFileReader.open(run.path);
    try {
      assert.equal(file.dataset('/entry/data/count').dtype, '<q');
      assert.deepEqual(file.values('/entry/data/count'), [5, 6, 7]);
      assert.equal(file.dataset('/entry/data/open').dtype, '<B');
      assert.deepEqual(file.values('/entry/data/open'), [1, 0, 1]);
      assert.deepEqual(file.values('/entry/data/state'), ['lasing', 'off — ünïcode', '']);
      assert.deepEqual(file.dataset('/entry/data/spectrum').shape, [3, 3]);
      assert.equal(file.dataset('/entry/data/spectrum').dtype, '<f');
      assert.deepEqual(file.values('/entry/data/spectrum').slice(0, 6), [1, 2, 3, 4, 5, 6]);
      assert.ok(
        file
          .values('/entry/data/spectrum')
          .slice(6)
          .every((v) => Number.isNaN(v)),
      );
      assert.deepEqual(
        file.values('/entry/data/trace'),
        ['[1,2]', '[0.5]', '{"mode":"fast"}'],
        'no fixed shape: JSON',
      );
      const reading = file.values('/entry/data/reading');
      assert.equal(reading[0], 1.5);
      assert.ok(Number.isNaN(reading[1]) && Number.isNaN(reading[2]));
      assert.ok(Number.isNaN(file.values('/entry/data/timestamps/reading')[0]), 'missing timestamp is NaN');
    } finally {
      file.close();
    }
    assert.deepEqual(run.warnings.map((w) => [w.code, w.details.field, w.details.row]).sort(), [
      ['VALUE_INVALID', 'reading', 1],
      ['VALUE_INVALID', 'spectrum', 2],
    ]);
  });
});

describe('Hdf5RunWriter: a second descriptor for a stream', () => {
  it('adds its new fields to the stream, with earlier rows read as missing', async () => {
    const run = harness();
    run.writer.document({ name: 'start', doc: startDoc() });
    run.writer.document({ name: 'descriptor', doc: primaryDescriptor() });
    for (let i = 0; i < 2; i++) run.writer.document({ name: 'event', doc: primaryEvent(i) });
    await run.writer.flush(); // rows 0-1 on disk
    run.writer.document({ name: 'event', doc: primaryEvent(2) }); // row 2 still queued
    const second = primaryDescriptor();
    second.uid = 'desc-primary-0002';
    second.data_keys.temperature = { dtype: 'number', shape: [], source: 'stage.temperature', units: 'K' };
    run.writer.document({ name: 'descriptor', doc: second });
    for (let i = 3; i < 5; i++) {
      const event = primaryEvent(i);
      run.writer.document({
        name: 'event',
        doc: { ...event, descriptor: second.uid, data: { ...event.data, temperature: 290 + i } },
      });
    }
    run.writer.document({ name: 'stop', doc: stopDoc({ primary: 5 }) });
    await run.writer.close();
    assert.deepEqual(run.warnings, []);
    const file = await RunFileReader.open(run.path);
    try {
      assert.deepEqual(file.values('/entry/data/seq_num'), [1, 2, 3, 4, 5]);
      assert.deepEqual(file.values('/entry/data/motor_position'), [0, 1, 2, 3, 4].map(motorPosition));
      const temperature = file.values('/entry/data/temperature');
      assert.ok(
        temperature.slice(0, 3).every((v) => Number.isNaN(v)),
        String(temperature),
      );
      assert.deepEqual(temperature.slice(3), [293, 294]);
      assert.equal(file.attr('/entry/data/temperature', 'units'), 'K');
      assert.equal(file.values('/entry/data/timestamps/temperature').length, 5);
      assert.equal(
        JSON.parse(String(file.attr('/entry/data', 'descriptor_desc-primary-0002'))).uid,
        second.uid,
      );
    } finally {
      file.close();
    }
  });
});

describe('Hdf5RunWriter: flushing', () => {
  it('flushes on the clock so a reader opening the file in SWMR mode sees the events', async () => {
    const run = harness({ autoFlushIntervalSecs: 2 });
    run.writer.document({ name: 'start', doc: startDoc() });
    run.writer.document({ name: 'descriptor', doc: primaryDescriptor() });
    for (let i = 0; i < 4; i++) run.writer.document({ name: 'event', doc: primaryEvent(i) });
    assert.equal(run.writer.stats().lastFlushAt, null);
    await run.clock.advance(1999);
    assert.equal(run.writer.stats().lastFlushAt, null);
    await run.clock.advance(1);
    await until(() => run.writer.stats().lastFlushAt !== null, 'the automatic flush');
    assert.equal(run.writer.stats().lastFlushAt, run.clock.now());

    const reader = await RunFileReader.open(run.path, 'swmr');
    try {
      assert.deepEqual(reader.values('/entry/data/seq_num'), [1, 2, 3, 4]);
      assert.deepEqual(reader.values('/entry/data/motor_position'), [0, 1, 2, 3].map(motorPosition));

      // The writer keeps appending; after its next flush the open reader sees the new rows.
      for (let i = 4; i < 7; i++) run.writer.document({ name: 'event', doc: primaryEvent(i) });
      await run.writer.flush();
      const seq = reader.dataset('/entry/data/seq_num');
      seq.refresh();
      assert.deepEqual(seq.shape, [7]);
    } finally {
      reader.close();
    }
    await run.clock.advance(2000);
    await until(() => run.writer.stats().lastFlushAt === run.clock.now(), 'the second automatic flush');
    run.writer.document({ name: 'stop', doc: stopDoc({ primary: 7 }) });
    await run.writer.close();
    assert.equal(run.clock.pendingTimers(), 0, 'auto-flush stops with close()');
  });
});

describe('Hdf5RunWriter: bounded queue', () => {
  it('refuses events beyond capacity while the worker is behind, counts them and reports each one', async () => {
    const run = harness({ queueCapacity: 2 });
    run.writer.document({ name: 'start', doc: startDoc() });
    run.writer.document({ name: 'descriptor', doc: primaryDescriptor() });
    await run.writer.flush();
    assert.equal(run.writer.stats().queued, 0);
    // One synchronous burst: the worker's progress reports cannot reach this thread until it
    // yields, so from the writer's point of view the worker is stalled for the whole burst.
    for (let i = 0; i < 5; i++) run.writer.document({ name: 'event', doc: primaryEvent(i) });
    assert.equal(run.writer.stats().queued, 2);
    assert.equal(run.writer.stats().dropped, 3);
    assert.deepEqual(
      run.drops.map((d) => [d.kind, d.source, d.index, d.dropped, d.capacity]),
      [
        ['event', PRIMARY_UID, 3, 1, 2],
        ['event', PRIMARY_UID, 4, 2, 2],
        ['event', PRIMARY_UID, 5, 3, 2],
      ],
    );
    // Documents that shape the file are never refused, even with the queue full.
    run.writer.document({ name: 'descriptor', doc: { ...cameraDescriptor() } });
    assert.equal(run.writer.stats().dropped, 3);
    await run.writer.flush();
    run.writer.document({ name: 'event', doc: primaryEvent(5) });
    run.writer.document({ name: 'stop', doc: stopDoc({ primary: 3 }) });
    await run.writer.close();
    assert.equal(run.writer.stats().dropped, 3);
    const file = await RunFileReader.open(run.path);
    try {
      assert.deepEqual(file.values('/entry/data/seq_num'), [1, 2, 6]);
      assert.deepEqual(file.values('/entry/data/motor_position'), [0, 1, 5].map(motorPosition));
    } finally {
      file.close();
    }
  });

  it('records a Bayer frame series with its pattern and refuses a frame with another pattern', async () => {
    const run = harness();
    run.writer.document({ name: 'start', doc: startDoc() });
    run.writer.document({ name: 'descriptor', doc: cameraDescriptor() });
    run.writer.document({ name: 'stream_resource', doc: cameraResource() });
    run.writer.frame('cam_image', { ...syntheticFrame(0), bayerPattern: 'RGGB' });
    run.writer.frame('cam_image', { ...syntheticFrame(1), bayerPattern: 'RGGB' });
    run.writer.frame('cam_image', { ...syntheticFrame(2), bayerPattern: 'GBRG' });
    run.writer.document({ name: 'stream_datum', doc: cameraDatum(0, 3) });
    run.writer.document({ name: 'stop', doc: stopDoc({ camera: 3 }) });
    await run.writer.close();
    assert.deepEqual(
      run.warnings.map((w) => w.message),
      ['frame 102 of cam_image has Bayer pattern GBRG but the dataset records RGGB; row 2 left empty'],
    );
    const file = await RunFileReader.open(run.path);
    try {
      assert.equal(file.attr('/entry/data_camera/cam_image', 'bayer_pattern'), 'RGGB');
      assert.equal(file.attr('/entry/data_camera/cam_image', 'color_mode'), 'bayer');
      assert.deepEqual(file.values('/entry/data_camera/cam_image_frame_number'), [100, 101, -1]);
    } finally {
      file.close();
    }
  });

  it('writes RGB frames as (n, height, width, 3) with interpretation rgb-image', async () => {
    const run = harness();
    const rgb = (n: number) => {
      const pixels = new Uint16Array(FRAME_HEIGHT * FRAME_WIDTH * 3);
      for (let i = 0; i < pixels.length; i++) pixels[i] = (n * 1000 + i) & 0xffff;
      return { ...syntheticFrame(n), pixels, channels: 3 as const };
    };
    const descriptor = cameraDescriptor();
    descriptor.data_keys.cam_image!.shape = [FRAME_HEIGHT, FRAME_WIDTH, 3];
    run.writer.document({ name: 'start', doc: startDoc() });
    run.writer.document({ name: 'descriptor', doc: descriptor });
    run.writer.document({
      name: 'stream_resource',
      doc: {
        ...cameraResource(),
        ...hdf5FrameResource(startDoc(), 'camera', 'cam_image', [FRAME_HEIGHT, FRAME_WIDTH, 3]),
      },
    });
    run.writer.frame('cam_image', rgb(0));
    run.writer.frame('cam_image', rgb(1));
    // A mono frame does not fit an RGB series: its row stays empty, and says why.
    run.writer.frame('cam_image', syntheticFrame(2));
    run.writer.document({ name: 'stream_datum', doc: cameraDatum(0, 3) });
    run.writer.document({ name: 'stop', doc: stopDoc({ camera: 3 }) });
    await run.writer.close();
    assert.deepEqual(
      run.warnings.map((w) => w.message),
      [
        `frame 102 of cam_image is ${FRAME_HEIGHT}×${FRAME_WIDTH} (${FRAME_HEIGHT * FRAME_WIDTH} samples) but the dataset holds ${FRAME_HEIGHT}×${FRAME_WIDTH}×3 (height×width[×colour]); row 2 left empty`,
      ],
    );
    const file = await RunFileReader.open(run.path);
    try {
      const data = file.dataset('/entry/data_camera/cam_image');
      assert.deepEqual(data.shape, [3, FRAME_HEIGHT, FRAME_WIDTH, 3]);
      assert.equal(file.attr('/entry/data_camera/cam_image', 'interpretation'), 'rgb-image');
      const samples = data.value as Uint16Array;
      const perFrame = FRAME_HEIGHT * FRAME_WIDTH * 3;
      assert.deepEqual([samples[perFrame + 0], samples[perFrame + 5]], [1000, 1005]);
    } finally {
      file.close();
    }
  });

  it("keeps a refused frame's row, so stream_datum indices still match the rows", async () => {
    const run = harness({ queueCapacity: 3 });
    run.writer.document({ name: 'start', doc: startDoc() });
    run.writer.document({ name: 'descriptor', doc: cameraDescriptor() });
    run.writer.document({ name: 'stream_resource', doc: cameraResource() });
    await run.writer.flush();
    const refused = syntheticFrame(3);
    for (let n = 0; n < 3; n++) run.writer.frame('cam_image', syntheticFrame(n));
    run.writer.frame('cam_image', refused);
    run.writer.frame('cam_image', syntheticFrame(4));
    assert.equal(refused.pixels.length, FRAME_HEIGHT * FRAME_WIDTH, 'a refused frame stays with the caller');
    assert.deepEqual(
      run.drops.map((d) => [d.kind, d.source, d.index]),
      [
        ['frame', 'cam_image', 3],
        ['frame', 'cam_image', 4],
      ],
    );
    run.writer.document({ name: 'stream_datum', doc: cameraDatum(0, 5) });
    run.writer.document({ name: 'stop', doc: stopDoc({ camera: 5 }) });
    await run.writer.close();
    assert.deepEqual(run.warnings, [], 'the datum names rows that exist');
    const file = await RunFileReader.open(run.path);
    try {
      assert.deepEqual(file.dataset('/entry/data_camera/cam_image').shape, [5, FRAME_HEIGHT, FRAME_WIDTH]);
      assert.deepEqual(file.values('/entry/data_camera/cam_image_frame_number'), [100, 101, 102, -1, -1]);
      const pixels = file.dataset('/entry/data_camera/cam_image').value as Uint16Array;
      assert.equal(pixels[2 * FRAME_HEIGHT * FRAME_WIDTH + 1], pixelValue(2, 0, 1));
      assert.equal(pixels[3 * FRAME_HEIGHT * FRAME_WIDTH + 1], 0, 'refused frame rows read as 0');
    } finally {
      file.close();
    }
  });
});

describe('Hdf5RunWriter: write errors', () => {
  async function expectStorageError(run: ReturnType<typeof harness>): Promise<void> {
    for (const doc of scalarRun(3)) run.writer.document(doc);
    await until(() => run.writer.stats().error !== null, 'the write error');
    assert.equal(run.errors.length, 1);
    assert.equal(run.errors[0]?.code, 'STORAGE_ERROR');
    assert.ok(run.errors[0]?.message.includes(run.outputDir), 'the message names the directory');
    await assert.rejects(run.writer.flush(), { code: 'STORAGE_ERROR' });
    await assert.rejects(run.writer.close(), { code: 'STORAGE_ERROR' });
    assert.equal(run.errors.length, 1, 'reported once');
  }

  it('surfaces an output_dir that is a file', async () => {
    const run = harness();
    writeFileSync(run.outputDir, 'not a directory');
    await expectStorageError(run);
    await assert.rejects(run.writer.close(), (err: BenchtopError) => {
      assert.deepEqual(err.details.files, [], 'no file was created');
      return true;
    });
  });

  it('surfaces a run file path that is taken by a directory', async () => {
    const run = harness();
    mkdirSync(run.path, { recursive: true });
    await expectStorageError(run);
    assert.equal(run.errors[0]?.details.operation, 'start document');
  });

  it('surfaces a failure in the middle of a run and still names the file', async () => {
    const run = harness();
    run.writer.document({ name: 'start', doc: startDoc() });
    run.writer.document({ name: 'descriptor', doc: primaryDescriptor() });
    for (let i = 0; i < 3; i++) run.writer.document({ name: 'event', doc: primaryEvent(i) });
    await run.writer.flush();
    // The file vanishes under the writer (someone cleans the data directory); the next change
    // to the file's structure has to reopen it by name and cannot.
    renameSync(run.path, `${run.path}.moved`);
    mkdirSync(run.path);
    run.writer.document({ name: 'descriptor', doc: cameraDescriptor() });
    await until(() => run.writer.stats().error !== null, 'the write error');
    assert.equal(run.errors.length, 1);
    assert.equal(run.errors[0]?.code, 'STORAGE_ERROR');
    assert.equal(run.errors[0]?.details.operation, 'descriptor document');
    run.writer.document({ name: 'event', doc: primaryEvent(3) }); // ignored, already reported
    await assert.rejects(run.writer.close(), (err: BenchtopError) => {
      assert.equal(err.code, 'STORAGE_ERROR');
      assert.deepEqual(err.details.files, [runFileName(startDoc())]);
      return true;
    });
    assert.equal(run.errors.length, 1);
    // What was flushed before the failure is intact.
    const file = await RunFileReader.open(`${run.path}.moved`);
    try {
      assert.deepEqual(file.values('/entry/data/seq_num'), [1, 2, 3]);
    } finally {
      file.close();
    }
  });

  // A write past `ulimit -f` fails with EFBIG as a full disk fails with ENOSPC, in a child process.
  for (const mode of ['direct', 'buffered'] as const) {
    it(`surfaces a frame write that fails for lack of space, keeping what was flushed (${mode} frame writes)`, async () => {
      const child = new URL('./test-support/file-size-limit-child.ts', import.meta.url).pathname;
      const outputDir = join(root, `size-limit-${mode}`);
      // 40 MiB: the two flushed frames fit, the fifth 8 MiB frame does not.
      const result = spawnSync(
        'bash',
        ['-c', 'ulimit -f 40960 && exec "$0" "$@"', process.execPath, child, mode, outputDir],
        {
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      assert.equal(result.status, 0, result.stderr);
      const report = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
      assert.equal(report.errors.length, 1, 'reported once');
      assert.equal(report.errors[0].code, 'STORAGE_ERROR');
      assert.match(report.errors[0].message, /frame \d+ of cam_image failed: .*write failed/);
      assert.ok(report.errors[0].message.includes(outputDir), 'the message names the directory');
      assert.equal(report.closeError?.code, 'STORAGE_ERROR', 'close() reports it again');
      assert.deepEqual(report.files, [runFileName(startDoc())]);
      assert.ok(
        report.framesWritten >= 2 && report.framesWritten < 12,
        `${report.framesWritten} frames written`,
      );
      if (mode === 'buffered') assert.equal(report.directBytes, 0);
      // Nothing was written after the failure: the file opens as of the flush after frame 1.
      const [file] = report.files;
      assert.deepEqual(report.closeError.recovery, { [file]: 'readable up to the last flush' });
      const reader = await RunFileReader.open(join(outputDir, file));
      try {
        const frames = reader.dataset('/entry/data_camera/cam_image');
        assert.ok(frames.shape![0]! >= 2, `rows ${frames.shape}`);
        for (const n of [0, 1]) {
          const row = frames.slice([[n, n + 1]]) as Uint16Array;
          assert.equal(
            row.findIndex((v) => v !== 1000 + n),
            -1,
            `frame ${n} intact`,
          );
        }
      } finally {
        reader.close();
      }
      if (hasH5py()) {
        const check = spawnSync(
          PYTHON,
          [
            '-c',
            'import sys, h5py; print(h5py.File(sys.argv[1], "r")["entry/data_camera/cam_image"][1, 5, 5])',
            join(outputDir, file),
          ],
          { encoding: 'utf8' },
        );
        assert.equal(check.stdout.trim(), '1001', check.stderr);
      }
    });
  }

  it('refuses documents after close()', async () => {
    const run = harness();
    await run.writer.close();
    assert.throws(() => run.writer.document({ name: 'start', doc: startDoc() }), {
      code: 'RUN_STATE_CONFLICT',
    });
    assert.throws(() => run.writer.frame('cam_image', syntheticFrame(0)), { code: 'RUN_STATE_CONFLICT' });
    await assert.rejects(run.writer.flush(), { code: 'RUN_STATE_CONFLICT' });
  });
});

describe('Hdf5RunWriter: process lifetime', () => {
  const child = new URL('./test-support/process-lifetime-child.ts', import.meta.url).pathname;
  const runChild = (mode: string) =>
    spawnSync(process.execPath, [child, mode, join(root, `lifetime-${mode}`)], {
      encoding: 'utf8',
      timeout: 40_000,
    });

  it('close() awaited at the top level of a script completes and the script exits', () => {
    const result = runChild('close');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), `closed ${runFileName(startDoc())}`);
  });

  it('a writer nobody closed does not keep the process alive once its worker is idle', () => {
    const result = runChild('forget');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'posted');
  });
});
