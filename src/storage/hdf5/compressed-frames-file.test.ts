import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compressChunk, filterPipeline } from './chunk-codecs.ts';
import { CompressedFramesFile } from './compressed-frames-file.ts';
import { DirectChunkWriter } from './direct-chunk-writer.ts';
import { BTREE_NODE_ENTRIES } from './hdf5-format.ts';
import { hasCommand, hasH5py, PYTHON, RunFileReader } from './test-support/run-file-reader.ts';

const root = mkdtempSync(join(tmpdir(), 'benchtop-frames-file-'));
after(() => rmSync(root, { recursive: true, force: true }));
const h5pyPresent = hasH5py();
const hasH5dump = hasCommand('h5dump', ['--version']);

const H = 6;
const W = 10;
/** Pixel (y, x) of frame `row`: every row different, compressible but not constant. */
const pixel = (row: number, i: number) => (row * 31 + i * 7 + (i >> 2)) & 0xfff;

function frame(row: number): Uint8Array {
  const px = new Uint16Array(H * W);
  for (let i = 0; i < px.length; i++) px[i] = pixel(row, i);
  return new Uint8Array(px.buffer);
}

/** Writes `rows` (increasing) deflate-compressed, flushing after the rows in `flushAfter`. */
function writeFile(name: string, rows: number[], flushAfter: Set<number>, extent?: number) {
  const path = join(root, name);
  const file = CompressedFramesFile.create(path, {
    height: H,
    width: W,
    elementSize: 2,
    filters: filterPipeline('deflate', 1, 2),
    directWrites: false,
  });
  file.setAttrs({ interpretation: 'image' });
  for (const row of rows) {
    file.writeChunk(row, compressChunk('deflate', 1, 2, frame(row)));
    if (flushAfter.has(row)) file.flush();
  }
  if (extent !== undefined) file.extendTo(extent);
  return { path, file };
}

/** The dataset as h5py reads it: shape, number of stored chunks, and rows that differ from `pixel`. */
function h5pyCheck(path: string, expectedRows: number[]) {
  const script = `import h5py, json, sys, numpy as np
f = h5py.File(sys.argv[1], 'r')
d = f['data']
rows = json.loads(sys.argv[2])
h, w = d.shape[1], d.shape[2]
i = np.arange(h * w)
bad = []
stored = set(rows)
for r in range(d.shape[0]):
    want = ((r * 31 + i * 7 + (i >> 2)) & 0xfff).reshape(h, w) if r in stored else np.zeros((h, w))
    if not np.array_equal(d[r], want): bad.append(r)
print(json.dumps({'shape': d.shape, 'chunks': d.id.get_num_chunks(), 'bad': bad, 'attr': d.attrs['interpretation'].decode()}))`;
  const out = spawnSync(PYTHON, ['-c', script, path, JSON.stringify(expectedRows)], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout) as { shape: number[]; chunks: number; bad: number[]; attr: string };
}

describe('CompressedFramesFile', () => {
  it('is a valid empty HDF5 file from creation on (h5wasm reads it)', async () => {
    const { path, file } = writeFile('empty.h5', [], new Set());
    const reader = await RunFileReader.open(path);
    try {
      assert.deepEqual(reader.dataset('/data').shape, [0, H, W]);
    } finally {
      reader.close();
      file.close();
    }
  });

  it(
    'holds frames pixel-exact across three B-tree levels, gaps reading zeros (h5py)',
    {
      skip: !h5pyPresent && 'python3-h5py not installed',
    },
    () => {
      // More chunks than one level-1 node indexes (64 × 64), with rows skipped along the way.
      const count = BTREE_NODE_ENTRIES * BTREE_NODE_ENTRIES + 150;
      const rows = Array.from({ length: count }, (_, i) => i + Math.floor(i / 1000));
      const flushes = new Set([rows[10]!, rows[63]!, rows[64]!, rows[2000]!, rows[4095]!, rows[4096]!]);
      const { path, file } = writeFile('many.h5', rows, flushes, rows.at(-1)! + 3);
      file.close();
      const read = h5pyCheck(path, rows);
      assert.deepEqual(read.shape, [rows.at(-1)! + 3, H, W]);
      assert.equal(read.chunks, count);
      assert.deepEqual(read.bad, []);
      assert.equal(read.attr, 'image');
    },
  );

  it(
    'reads as of the last flush while chunks are appended after it',
    {
      skip: !h5pyPresent && 'python3-h5py not installed',
    },
    () => {
      const rows = Array.from({ length: 200 }, (_, i) => i);
      const { path, file } = writeFile('open.h5', rows.slice(0, 130), new Set([129]));
      // Unflushed chunks past the last flush: the file on disk still describes 130 rows.
      for (let row = 130; row < 170; row++) file.writeChunk(row, compressChunk('deflate', 1, 2, frame(row)));
      const snapshot = join(root, 'open-snapshot.h5');
      copyFileSync(path, snapshot);
      const read = h5pyCheck(snapshot, rows.slice(0, 130));
      assert.deepEqual(read.shape, [130, H, W]);
      assert.deepEqual(read.bad, []);
      file.close();
      assert.deepEqual(h5pyCheck(path, rows.slice(0, 170)).bad, []);
    },
  );

  it('is read by h5dump (shuffle + deflate)', { skip: !hasH5dump && 'h5dump not installed' }, () => {
    const { path, file } = writeFile('dump.h5', [0, 1, 2], new Set());
    file.close();
    const dump = spawnSync('h5dump', ['-d', '/data', '-p', path], { encoding: 'utf8' });
    assert.equal(dump.status, 0, dump.stderr);
    assert.match(dump.stdout, /PREPROCESSING SHUFFLE/);
    assert.match(dump.stdout, /COMPRESSION DEFLATE \{ LEVEL 1 \}/);
    // Frame 2's first row, as h5dump prints it.
    const first = Array.from({ length: W }, (_, i) => pixel(2, i)).join(', ');
    assert.ok(dump.stdout.replace(/\s+/g, ' ').includes(`(2,0,0): ${first}`), dump.stdout.slice(0, 2000));
  });

  it(
    'sends whole pages of large chunks with O_DIRECT, and they read back exactly (h5py)',
    {
      skip: !h5pyPresent && 'python3-h5py not installed',
    },
    () => {
      const path = join(root, 'direct.h5');
      const [h, w] = [128, 96];
      const noisy = (row: number) => {
        const px = new Uint16Array(h * w);
        let x = row + 1;
        for (let i = 0; i < px.length; i++) {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          px[i] = x >>> 16;
        }
        return px;
      };
      const file = CompressedFramesFile.create(path, {
        height: h,
        width: w,
        elementSize: 2,
        filters: filterPipeline('deflate', 1, 2),
      });
      for (let row = 0; row < 5; row++) {
        file.writeChunk(row, compressChunk('deflate', 1, 2, new Uint8Array(noisy(row).buffer)));
      }
      file.close();
      const probe = DirectChunkWriter.open(path);
      probe?.close();
      if (probe) assert.ok(file.directBytes > 0, 'whole pages went out with O_DIRECT');
      const script = `import h5py, json, sys, numpy as np
d = h5py.File(sys.argv[1], 'r')['data']
print(json.dumps([int(v) for v in d[:, 0, :3].ravel()] + [int(d[4].astype(np.int64).sum())]))`;
      const out = spawnSync(PYTHON, ['-c', script, path], { encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      const frames = [0, 1, 2, 3, 4].map(noisy);
      const expected = frames.flatMap((px) => [px[0]!, px[1]!, px[2]!]);
      expected.push(frames[4]!.reduce((sum, v) => sum + v, 0));
      assert.deepEqual(JSON.parse(out.stdout), expected);
    },
  );

  it('refuses rows that do not increase', () => {
    const { file } = writeFile('order.h5', [5], new Set());
    assert.throws(() => file.writeChunk(5, new Uint8Array(4)), /row 5 after row 5/);
    file.close();
  });

  /** The layout writeFile uses, for reopening its files. */
  const resumeOptions = () => ({
    height: H,
    width: W,
    elementSize: 2,
    filters: filterPipeline('deflate', 1, 2),
    directWrites: false,
  });

  it(
    'resumes a file left mid-run after its first keepFrames rows, across B-tree nodes (h5py)',
    { skip: !h5pyPresent && 'python3-h5py not installed' },
    () => {
      // 70 rows flushed (two leaf nodes), then 3 more written and never flushed: a killed writer.
      const { path, file } = writeFile('resumed.h5', range(0, 73), new Set([69]));
      file.abandon();
      // The run counted 66 of them: rows 66.. are dropped, the next writer goes on at row 66.
      const resumed = CompressedFramesFile.resume(path, resumeOptions(), 66);
      resumed.setAttrs({ interpretation: 'image' });
      assert.equal(resumed.rowsStored, 66);
      assert.equal(resumed.rowsExtent, 66);
      assert.throws(() => resumed.writeChunk(65, frame(65)), /row 65 after row 65/);
      for (const row of range(66, 80)) {
        resumed.writeChunk(row, compressChunk('deflate', 1, 2, frame(row)));
        resumed.flush();
      }
      resumed.close();
      const got = h5pyCheck(path, range(0, 80));
      assert.deepEqual(got.shape, [80, H, W]);
      assert.equal(got.chunks, 80);
      assert.deepEqual(got.bad, []);
    },
  );

  it('resumes nothing with keepFrames 0 and refuses a file of other frames', () => {
    const { path, file } = writeFile('restart.h5', [0, 1], new Set([1]));
    file.close();
    const fresh = CompressedFramesFile.resume(path, resumeOptions(), 0);
    assert.equal(fresh.rowsStored, 0);
    fresh.writeChunk(0, compressChunk('deflate', 1, 2, frame(0)));
    fresh.close();
    assert.throws(
      () => CompressedFramesFile.resume(path, { ...resumeOptions(), width: W + 1 }, 1),
      /holds 6×10 frames of 2-byte pixels, not 6×11/,
    );
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
