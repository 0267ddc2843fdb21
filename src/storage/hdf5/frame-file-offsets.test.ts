import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import h5wasm from 'h5wasm/node';
import { type FrameFileOffsets, frameFileOffsets, int64ColumnInFile } from './frame-file-offsets.ts';
import { SwmrRunFile } from './swmr-run-file.ts';
import { RunFileReader } from './test-support/run-file-reader.ts';

// Before any test is declared: the root's after() would run in the gap a later await leaves.
const module = await h5wasm.ready;
module.activate_throwing_error_handler();

const PYTHON = '/usr/bin/python3';
const script = fileURLToPath(new URL('./test-support/write_frame_layouts.py', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'benchtop-frame-offsets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const written = spawnSync(PYTHON, [script, dir], { encoding: 'utf8' });
const h5pyMissing = written.status === 0 ? false : `h5py writer failed: ${written.stderr}`;
const listing: Record<string, [string, number, number, number, string]> = h5pyMissing
  ? {}
  : JSON.parse(written.stdout);

/** Frame t's pixel i as the writer stored it, read from the file at the offsets found. */
function assertFramesAt(name: string): void {
  const [path, frames, height, width] = listing[name]!;
  const found = frameFileOffsets(join(dir, name), path);
  assert.ok(found, `${name}: no offsets`);
  assert.deepEqual(found.shape, [frames, height, width]);
  const bytes = readFileSync(join(dir, name));
  for (let t = 0; t < frames; t++) {
    for (let i = 0; i < height * width; i++) {
      const at = (found.offsets[t] as number) + i * found.bytesPerElement;
      const value: number =
        found.element === 'float32'
          ? bytes.readFloatLE(at)
          : found.element === 'int16'
            ? bytes.readInt16LE(at)
            : bytes.readUInt16LE(at);
      const expected = (t * 31 + i) % 65536;
      assert.equal(
        value,
        found.element === 'int16' ? (expected << 16) >> 16 : expected,
        `${name} frame ${t} pixel ${i}`,
      );
    }
  }
}

describe('frameFileOffsets on files h5py wrote', { skip: h5pyMissing }, () => {
  it('finds a contiguous dataset', () => {
    assertFramesAt('contiguous.h5');
    assert.equal(frameFileOffsets(join(dir, 'contiguous.h5'), 'frames')?.element, 'uint16');
  });

  it('finds every chunk of one frame per chunk', () => assertFramesAt('one-per-chunk.h5'));

  it('finds the frames inside chunks of several frames, the last chunk partly past the end', () =>
    assertFramesAt('four-per-chunk.h5'));

  it('walks a chunk B-tree of more than one level in a nested group with many members', () =>
    assertFramesAt('deep-btree.h5'));

  it('reads the element type (float32, int16) and the 1.10 format (superblock 3, contiguous)', () => {
    assertFramesAt('float32.h5');
    assertFramesAt('int16-latest.h5');
    assert.equal(frameFileOffsets(join(dir, 'float32.h5'), 'frames')?.element, 'float32');
    assert.equal(frameFileOffsets(join(dir, 'int16-latest.h5'), 'g/frames')?.element, 'int16');
  });

  it('follows the 1.10 extensible array: index block, its data blocks, super blocks, paged data blocks', () => {
    // 133,300 chunks reach super block 13, whose data blocks are paged (see the writer).
    assertFramesAt('ea-one-per-chunk.h5');
    assertFramesAt('ea-three-per-chunk.h5');
  });

  it('follows the 1.10 fixed array (paged and not), single-chunk and implicit indexes', () => {
    for (const name of ['fa-paged.h5', 'fa-four-per-chunk.h5', 'single-chunk.h5', 'implicit.h5'])
      assertFramesAt(name);
  });

  it('declines what plain reads cannot give: compression, partial-frame chunks, big endian, unwritten chunks', () => {
    const declined = ['gzip.h5', 'half-frame-chunks.h5', 'big-endian.h5', 'unwritten-chunk.h5'];
    // 1.10 indexes: a chunk never written, the last chunks never written (past the highest
    // element set), a fixed-array page never written, compressed chunks, a version 2 B-tree.
    declined.push('ea-unwritten-middle.h5', 'ea-unwritten-tail.h5', 'fa-missing-page.h5');
    declined.push('ea-gzip.h5', 'btree2.h5', 'ea-wider-maxshape.h5');
    for (const name of declined) {
      assert.equal(frameFileOffsets(join(dir, name), listing[name]![0]), null, name);
    }
  });

  it('says null for a dataset that is not there', () => {
    assert.equal(frameFileOffsets(join(dir, 'contiguous.h5'), 'nothing'), null);
    assert.equal(frameFileOffsets(join(dir, 'deep-btree.h5'), 'camera/none/frames'), null);
  });

  it('reads a contiguous int64 column (timestamps) and declines other datasets', () => {
    for (const name of ['contiguous.h5', 'int16-latest.h5']) {
      const frames = listing[name]![1];
      const expected = BigInt64Array.from({ length: frames }, (_, t) => BigInt(1_000_000 + 33_333 * t));
      assert.deepEqual(int64ColumnInFile(join(dir, name), 'timestamps'), expected, name);
    }
    assert.equal(int64ColumnInFile(join(dir, 'contiguous.h5'), 'frames'), null);
  });
});

/** Pixel i of frame n as the SWMR writer's tests write it. */
function pixel(n: number, i: number): number {
  return (n * 7919 + i * 3 + (i >> 11)) & 0xffff;
}

function frame(n: number, height: number, width: number): Uint8Array {
  const pixels = new Uint16Array(height * width);
  for (let i = 0; i < pixels.length; i++) pixels[i] = pixel(n, i);
  return new Uint8Array(pixels.buffer);
}

/** Frame t's pixels, read from the file at the offset found (as the Fourier workers do). */
function frameAt(path: string, found: FrameFileOffsets, t: number): Uint16Array {
  const [, height, width] = found.shape;
  const out = new Uint16Array(height * width);
  const fd = openSync(path, 'r');
  try {
    assert.equal(readSync(fd, out, 0, out.byteLength, found.offsets[t] as number), out.byteLength);
  } finally {
    closeSync(fd);
  }
  return out;
}

function assertPattern(path: string, found: FrameFileOffsets, frames: number, label: string): void {
  for (let t = 0; t < frames; t++) {
    const values = frameAt(path, found, t);
    const wrong = values.findIndex((v, i) => v !== pixel(t, i));
    assert.equal(wrong, -1, `${label} frame ${t}: pixel ${wrong} read at the offset found`);
  }
}

describe("frameFileOffsets on files Benchtop's SWMR writer wrote (HDF5 1.10 format, maxshape None)", () => {
  const sets = [
    // One frame a chunk, as the session file's camera frames: past the index block's data
    // blocks into super blocks.
    { path: '/run/camera/frames', height: 12, width: 20, chunkRows: 1, frames: 300 },
    // Several frames a chunk, the last chunk partly written.
    { path: '/run/other/frames', height: 5, width: 7, chunkRows: 4, frames: 301 },
    // Frames over 1 MiB: written from the caller's buffer (HeapWriteRedirect, O_DIRECT).
    { path: '/run/large/frames', height: 1100, width: 1000, chunkRows: 1, frames: 3 },
  ];

  it('finds every frame, while the file is still open after a flush and once it is closed', async () => {
    const path = join(dir, 'swmr-run.h5');
    const file = SwmrRunFile.create(module, path);
    file.createGroup('/run');
    for (const s of sets) {
      file.createGroup(s.path.slice(0, s.path.lastIndexOf('/')));
      file.createExtendible(s.path, {
        dtype: '<H',
        rowShape: [s.height, s.width],
        chunkRows: s.chunkRows,
        gzipLevel: 0,
      });
    }
    const write = (from: number, to: number) => {
      for (let n = from; n < to; n++) {
        for (const s of sets)
          if (n < s.frames) file.writeRows(s.path, n, 1, [s.height, s.width], frame(n, s.height, s.width));
      }
    };
    write(0, 150);
    file.flush();
    try {
      // A reader following the recording: what was flushed is found.
      for (const s of sets) {
        const found = frameFileOffsets(path, s.path);
        const flushed = Math.min(150, s.frames);
        assert.ok(found, `${s.path}: no offsets while the file is open`);
        assert.deepEqual(found.shape, [flushed, s.height, s.width]);
        assertPattern(path, found, flushed, `${s.path} (open)`);
      }
      write(150, 301);
    } finally {
      file.close();
    }
    const reader = await RunFileReader.open(path);
    try {
      for (const s of sets) {
        const found = frameFileOffsets(path, s.path);
        assert.ok(found, `${s.path}: no offsets`);
        assert.deepEqual(found.shape, [s.frames, s.height, s.width]);
        assert.equal(found.element, 'uint16');
        assertPattern(path, found, s.frames, s.path);
        // And the same pixels as HDF5 itself reads.
        const dataset = reader.dataset(s.path);
        for (let t = 0; t < s.frames; t += 37) {
          const viaHdf5 = dataset.slice([[t, t + 1]]) as Uint16Array;
          assert.deepEqual(frameAt(path, found, t), viaHdf5, `${s.path} frame ${t} as h5wasm reads it`);
        }
      }
    } finally {
      reader.close();
    }
  });

  it('says null for rows grown but not written (they read as the fill value)', () => {
    const path = join(dir, 'swmr-grown.h5');
    const file = SwmrRunFile.create(module, path);
    file.createExtendible('/frames', { dtype: '<H', rowShape: [4, 6], chunkRows: 1, gzipLevel: 0 });
    for (let n = 0; n < 10; n++) file.writeRows('/frames', n, 1, [4, 6], frame(n, 4, 6));
    file.extend('/frames', 12, [4, 6]);
    file.close();
    assert.equal(frameFileOffsets(path, '/frames'), null);
  });
});
