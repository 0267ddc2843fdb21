import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import type { BenchtopError } from '../../core/errors.ts';
import { Hdf5RunReader } from '../export/hdf5-run-reader.ts';
import { Hdf5RunWriter, type WriterDrop } from './hdf5-run-writer.ts';
import { runFileName } from './run-file-layout.ts';
import { recoverRunFile } from './run-file-recovery.ts';
import { hasCommand, hasH5py, PYTHON } from './test-support/run-file-reader.ts';
import {
  cameraDatum,
  cameraDescriptor,
  cameraResource,
  FRAME_HEIGHT,
  FRAME_WIDTH,
  startDoc,
  stopDoc,
  syntheticFrame,
} from './test-support/synthetic-run.ts';
import type { CameraCompression } from './worker-protocol.ts';

const root = mkdtempSync(join(tmpdir(), 'benchtop-compressed-frames-'));
after(() => rmSync(root, { recursive: true, force: true }));
const h5pyPresent = hasH5py();
const hasH5dump = hasCommand('h5dump', ['--version']);
const FRAMES = 7;

/** Why h5py cannot read HDF5 filter `id` here (hdf5plugin registers what is installed), or null. */
function filterMissing(id: number): string | null {
  if (!h5pyPresent) return 'python3-h5py not installed';
  const code = `import h5py\ntry:\n  import hdf5plugin\nexcept ImportError:\n  pass\nassert h5py.h5z.filter_avail(${id})`;
  return spawnSync(PYTHON, ['-c', code]).status === 0
    ? null
    : `h5py has no HDF5 filter ${id} here (Debian's hdf5-filter-plugin ships LZ4 only; bitshuffle and zstd need PyPI's hdf5plugin)`;
}

/**
 * Compares every pixel of every frame of the run file's camera dataset (read through its
 * external link) with syntheticFrame; prints the filters and the frame numbers.
 */
const READ_SCRIPT = `import h5py, json, sys, numpy as np
try:
    import hdf5plugin
except ImportError:
    pass
f = h5py.File(sys.argv[1], 'r')
d = f['entry/data_camera/cam_image']
h, w = d.shape[1], d.shape[2]
y, x = np.mgrid[0:h, 0:w]
checked = d.shape[0] if len(sys.argv) < 4 else min(int(sys.argv[3]), d.shape[0])
bad = [n for n in range(checked) if not np.array_equal(d[n], np.fromfile(sys.argv[2] + '/' + str(n), dtype='<u2').reshape(h, w))]
link = f['entry/data_camera'].get('cam_image', getlink=True)
print(json.dumps({'shape': d.shape, 'bad': bad, 'filters': list(d._filters.keys()), 'link': [link.filename, link.path],
  'numbers': f['entry/data_camera/cam_image_frame_number'][:].tolist(), 'resource': 'stream_resource_resource-cam-0001' in d.attrs}))`;

async function writeRun(codec: CameraCompression, name: string) {
  const outputDir = join(root, name);
  const warnings: BenchtopError[] = [];
  const errors: BenchtopError[] = [];
  const drops: WriterDrop[] = [];
  const writer = new Hdf5RunWriter({
    outputDir,
    compressionLevel: 6,
    cameraCompression: codec,
    cameraCompressionLevel: codec === 'lz4' ? 0 : 1,
    queueCapacity: 64,
    autoFlushIntervalSecs: 3600,
    onWarning: (w) => warnings.push(w),
    onError: (e) => errors.push(e),
    onDrop: (d) => drops.push(d),
  });
  writer.document({ name: 'start', doc: startDoc() });
  writer.document({ name: 'descriptor', doc: cameraDescriptor() });
  writer.document({ name: 'stream_resource', doc: cameraResource() });
  for (let n = 0; n < FRAMES; n++) writer.frame('cam_image', syntheticFrame(n));
  await writer.flush();
  writer.document({ name: 'stream_datum', doc: cameraDatum(0, FRAMES) });
  writer.document({ name: 'stop', doc: stopDoc({ camera: FRAMES }) });
  const { files } = await writer.close();
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  assert.deepEqual(drops, []);
  return { outputDir, files, stats: writer.stats(), path: join(outputDir, runFileName(startDoc())) };
}

/** Each frame's raw pixels in a file `<dir>/<n>`, for the Python side to compare with. */
function rawFrames(dir: string, frames: number): string {
  mkdirSync(dir, { recursive: true });
  for (let n = 0; n < frames; n++) {
    const px = syntheticFrame(n).pixels;
    writeFileSync(join(dir, String(n)), new Uint8Array(px.buffer, px.byteOffset, px.byteLength));
  }
  return dir;
}

const CODECS: { codec: CameraCompression; filter: number }[] = [
  { codec: 'deflate', filter: 1 },
  { codec: 'lz4', filter: 32004 },
  { codec: 'bitshuffle-lz4', filter: 32008 },
  { codec: 'zstd', filter: 32015 },
];

describe('Hdf5RunWriter: compressed camera frames (camera_compression codecs)', () => {
  const raw = rawFrames(join(root, 'raw'), FRAMES);

  for (const { codec, filter } of CODECS) {
    it(
      `${codec}: h5py reads every pixel back through the run file's external link`,
      {
        skip: filterMissing(filter) ?? false,
      },
      async () => {
        const run = await writeRun(codec, codec);
        assert.equal(run.files.length, 2, 'the run file and one frames file');
        assert.ok(run.files[1]?.endsWith('.frames.h5'));
        assert.ok(run.stats.compression, 'compression stats');
        assert.equal(run.stats.compression.codec, codec);
        assert.equal(run.stats.compression.overflow, 0);
        assert.ok(run.stats.compression.rawBytes === FRAMES * FRAME_HEIGHT * FRAME_WIDTH * 2);
        // Read from elsewhere: the link's relative name resolves beside the run file.
        const out = spawnSync(PYTHON, ['-c', READ_SCRIPT, run.path, raw], {
          encoding: 'utf8',
          cwd: tmpdir(),
        });
        assert.equal(out.status, 0, out.stderr);
        const read = JSON.parse(out.stdout);
        assert.deepEqual(read.shape, [FRAMES, FRAME_HEIGHT, FRAME_WIDTH]);
        assert.deepEqual(read.bad, [], 'frames that differ');
        assert.ok(
          read.filters.includes(String(filter)) || read.filters.includes(codec === 'deflate' ? 'gzip' : ''),
        );
        assert.deepEqual(read.link, [run.files[1], '/data']);
        assert.deepEqual(
          read.numbers,
          Array.from({ length: FRAMES }, (_, n) => 100 + n),
        );
        assert.equal(read.resource, true, 'stream_resource attribute on the frames dataset');
      },
    );
  }

  it('deflate: h5dump reads the frames file', { skip: !hasH5dump && 'h5dump not installed' }, async () => {
    const run = await writeRun('deflate', 'deflate-h5dump');
    const dump = spawnSync('h5dump', ['-p', '-d', '/data', join(run.outputDir, run.files[1]!)], {
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
    });
    assert.equal(dump.status, 0, dump.stderr);
    assert.match(dump.stdout, /COMPRESSION DEFLATE \{ LEVEL 1 \}/);
    const px = syntheticFrame(FRAMES - 1).pixels;
    const firstRow = Array.from(px.subarray(0, 8)).join(', ');
    assert.ok(dump.stdout.replace(/\s+/g, ' ').includes(`(${FRAMES - 1},0,0): ${firstRow}`));
  });

  for (const { codec } of CODECS) {
    it(`${codec}: the export reader (Hdf5RunReader) reads every frame through the link`, async () => {
      // h5wasm decodes deflate itself; LZ4, bitshuffle and Zstandard chunks CompressedFramesReader decodes.
      const run = await writeRun(codec, `${codec}-export`);
      const reader = await Hdf5RunReader.open(run.path);
      try {
        const info = (await reader.streams()).find((s) => s.kind === 'frames');
        assert.equal(info?.rows, FRAMES);
        const { batches } = await reader.read(info!.name);
        let n = 0;
        for await (const batch of batches) {
          const pixels = batch.getChild('pixels')!;
          for (let i = 0; i < batch.numRows; i++, n++) {
            const want = syntheticFrame(n).pixels;
            const got = pixels.get(i)!.toArray() as Uint16Array;
            assert.ok(got.length === want.length && got.every((v, k) => v === want[k]), `frame ${n}`);
          }
        }
        assert.equal(n, FRAMES);
      } finally {
        await reader.close();
      }
    });
  }

  /** Posts one burst of `burst` frames in one go and closes the run. */
  async function writeBurst(name: string, burst: number, queueCapacity: number) {
    const outputDir = join(root, name);
    const drops: WriterDrop[] = [];
    const writer = new Hdf5RunWriter({
      outputDir,
      compressionLevel: 6,
      cameraCompression: 'zstd',
      compressorQueueCapacity: 1,
      queueCapacity,
      autoFlushIntervalSecs: 3600,
      onDrop: (d) => drops.push(d),
    });
    writer.document({ name: 'start', doc: startDoc() });
    writer.document({ name: 'descriptor', doc: cameraDescriptor() });
    writer.document({ name: 'stream_resource', doc: cameraResource() });
    // Posting takes microseconds and compressing one frame far longer, so the frames arrive at
    // the writer thread while the compressor queue (room for one) is full.
    for (let n = 0; n < burst; n++) writer.frame('cam_image', syntheticFrame(n));
    writer.document({ name: 'stop', doc: stopDoc({ camera: burst }) });
    await writer.close();
    const reader = await Hdf5RunReader.open(join(outputDir, runFileName(startDoc())));
    try {
      const info = (await reader.streams()).find((s) => s.kind === 'frames');
      return { drops, stats: writer.stats(), rows: info?.rows };
    } finally {
      await reader.close();
    }
  }

  it('a burst larger than the compressor queue waits for it in the writer queue: every frame stored', async () => {
    const burst = 30;
    const { drops, stats, rows } = await writeBurst('burst', burst, 256);
    assert.deepEqual(drops, [], 'nothing refused');
    assert.equal(stats.framesWritten, burst);
    assert.equal(rows, burst);
    assert.equal(stats.compression?.overflow, 0);
    assert.equal(stats.compression?.peak, 1, 'never more than the compressor queue holds');
  });

  it("beyond the writer queue's bound frames are refused there, counted and reported, their rows left empty", async () => {
    const burst = 30;
    // Three documents and the frames are posted before the writer thread reports any progress.
    const { drops, stats, rows } = await writeBurst('refused', burst, 4);
    assert.ok(drops.length > 0, 'some frames refused');
    assert.ok(drops.every((d) => d.reason === 'queue_full' && d.capacity === 4 && d.kind === 'frame'));
    assert.equal(stats.dropped, drops.length);
    assert.equal(stats.compression?.overflow, 0, 'the compressor queue refused nothing');
    assert.equal(stats.framesWritten, burst - drops.length);
    assert.equal(rows, burst - drops.length, 'refused rows are not frames');
  });

  it(
    'writer_nice: the writer thread runs at it (its compressor threads do not), and the stats say so',
    { skip: process.platform === 'linux' ? false : 'Linux only' },
    async () => {
      const niceOf = (tid: string) => {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      };
      /** Nice values of this process's worker threads (Node names them WorkerThread). */
      const workerNices = () =>
        readdirSync('/proc/self/task')
          .filter((tid) => readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === 'WorkerThread')
          .map(niceOf);
      const main = niceOf(String(process.pid));
      assert.deepEqual(
        workerNices().filter((n) => n === 19),
        [],
      );
      const writer = new Hdf5RunWriter({
        outputDir: join(root, 'niced'),
        compressionLevel: 6,
        cameraCompression: 'lz4',
        writerNice: 19,
        queueCapacity: 256,
        autoFlushIntervalSecs: 3600,
      });
      writer.document({ name: 'start', doc: startDoc() });
      writer.document({ name: 'descriptor', doc: cameraDescriptor() });
      writer.document({ name: 'stream_resource', doc: cameraResource() });
      writer.frame('cam_image', syntheticFrame(0));
      await writer.flush();
      try {
        // The writer thread only: the compressor threads (started with the first frame) inherit
        // its value and set the process's back (raised they would starve the event loop
        // whenever a codec cannot keep up).
        const nices = workerNices();
        assert.equal(nices.filter((n) => n === 19).length, 1, `worker threads' nice values: ${nices}`);
        assert.equal(
          nices.filter((n) => n === main).length,
          Math.min(2, availableParallelism()),
          `the compressor threads at the process's nice ${main}: ${nices}`,
        );
        assert.deepEqual(writer.stats().threadNice, { requested: 19, previous: main, applied: 19 });
      } finally {
        writer.document({ name: 'stop', doc: stopDoc({ camera: 1 }) });
        await writer.close();
      }
    },
  );

  it(
    'a run killed with SIGKILL after a flush keeps its flushed frames readable (lz4, h5py)',
    {
      skip: filterMissing(32004) ?? false,
    },
    async () => {
      const outputDir = join(root, 'killed');
      const child = new URL('./test-support/kill-after-flush-child.ts', import.meta.url).pathname;
      const proc = spawn(process.execPath, [child, outputDir, 'lz4'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      after(() => proc.kill('SIGKILL'));
      const lines = createInterface({ input: proc.stdout! });
      let path = '';
      for await (const line of lines) {
        path = line.match(/^flushed (.+)$/)?.[1] ?? path;
        if (line === 'unflushed 13') break;
      }
      proc.kill('SIGKILL');
      await once(proc, 'exit');
      assert.ok(path, 'the child flushed');
      // The run file is still marked open for SWMR writing; the frames file has no such mark.
      const copy = join(root, 'killed-copy');
      mkdirSync(copy);
      assert.equal(
        readdirSync(outputDir).filter((f) => f.endsWith('.frames.h5')).length,
        1,
        'one frames file',
      );
      for (const f of readdirSync(outputDir)) copyFileSync(join(outputDir, f), join(copy, f));
      const runCopy = join(copy, runFileName(startDoc()));
      recoverRunFile(runCopy);
      // Rows after the first 3 hold the child's later frames (10, 11, …), if they were flushed at all.
      const out = spawnSync(PYTHON, ['-c', READ_SCRIPT, runCopy, raw, '3'], { encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      const read = JSON.parse(out.stdout);
      assert.ok(read.shape[0] >= 3, `at least the 3 flushed frames, got ${read.shape[0]}`);
      assert.deepEqual(read.bad, [], 'flushed frames that differ');
      assert.deepEqual(read.numbers.slice(0, 3), [100, 101, 102]);
    },
  );
});
