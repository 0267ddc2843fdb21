import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import h5wasm from 'h5wasm/node';
import { DirectChunkWriter } from './direct-chunk-writer.ts';
import { SwmrRunFile } from './swmr-run-file.ts';
import { hasH5py, PYTHON, RunFileReader } from './test-support/run-file-reader.ts';

const root = mkdtempSync(join(tmpdir(), 'benchtop-swmr-'));
after(() => rmSync(root, { recursive: true, force: true }));
let files = 0;
const module = await h5wasm.ready;
module.activate_throwing_error_handler();

const directSupported = (() => {
  const probe = join(root, 'probe.bin');
  spawnSync('touch', [probe]);
  const writer = DirectChunkWriter.open(probe);
  writer?.close();
  return writer !== null;
})();

/** Pixel (i) of frame n, distinct per frame and per position. */
function pixel(n: number, i: number): number {
  return (n * 7919 + i * 3 + (i >> 11)) & 0xffff;
}

function frame(n: number, height: number, width: number): Uint8Array {
  const pixels = new Uint16Array(height * width);
  for (let i = 0; i < pixels.length; i++) pixels[i] = pixel(n, i);
  return new Uint8Array(pixels.buffer);
}

function firstMismatch(values: ArrayLike<number>, n: number): number {
  for (let i = 0; i < values.length; i++) if (values[i] !== pixel(n, i)) return i;
  return -1;
}

interface FrameSet {
  path: string;
  height: number;
  width: number;
  gzipLevel: number;
  frames: number;
}

function writeFrames(sets: FrameSet[], options: { directWrites?: boolean } = {}) {
  const path = join(root, `run-${++files}.h5`);
  const file = SwmrRunFile.create(module, path, options);
  file.createGroup('/entry');
  for (const s of sets) {
    file.createExtendible(s.path, {
      dtype: '<H',
      rowShape: [s.height, s.width],
      chunkRows: 1,
      gzipLevel: s.gzipLevel,
    });
  }
  const rounds = Math.max(...sets.map((s) => s.frames));
  for (let n = 0; n < rounds; n++) {
    for (const s of sets) {
      if (n < s.frames) file.writeRows(s.path, n, 1, [s.height, s.width], frame(n, s.height, s.width));
    }
  }
  return { path, file };
}

async function assertFramesReadBack(path: string, sets: FrameSet[]): Promise<void> {
  const reader = await RunFileReader.open(path);
  try {
    for (const s of sets) {
      const dataset = reader.dataset(s.path);
      assert.deepEqual(dataset.shape, [s.frames, s.height, s.width], s.path);
      for (let n = 0; n < s.frames; n++) {
        const values = dataset.slice([[n, n + 1]]) as Uint16Array;
        assert.equal(firstMismatch(values, n), -1, `${s.path} frame ${n} reads back as written`);
      }
    }
  } finally {
    reader.close();
  }
}

const camera: FrameSet = { path: '/entry/camera', height: 2048, width: 2048, gzipLevel: 0, frames: 3 };
// 2,002,000 bytes a frame: chunk edges never fall on a block boundary.
const odd: FrameSet = { path: '/entry/odd', height: 1000, width: 1001, gzipLevel: 0, frames: 4 };
const compressed: FrameSet = {
  path: '/entry/compressed',
  height: 1100,
  width: 1000,
  gzipLevel: 1,
  frames: 2,
};
// 600 KiB frames pass through HDF5's chunk cache and are copied as before.
const small: FrameSet = { path: '/entry/small', height: 480, width: 640, gzipLevel: 0, frames: 3 };
const all = [camera, odd, compressed, small];
const bytesOf = (s: FrameSet) => s.frames * s.height * s.width * 2;

describe('SwmrRunFile frame writes', () => {
  it('writes large unfiltered frames without copying them into the heap; every dataset reads back exactly', async () => {
    const { path, file } = writeFrames(all);
    const mode = file.frameWriteMode();
    file.close();
    assert.equal(file.bytesRedirected, bytesOf(camera) + bytesOf(odd));
    assert.equal(file.redirectFallbacks, 0);
    assert.equal(
      file.bytesWritten,
      all.reduce((sum, s) => sum + bytesOf(s), 0),
    );
    if (directSupported) {
      assert.equal(mode.mode, 'direct');
      assert.ok(
        mode.directBytes > 0.99 * (bytesOf(camera) + bytesOf(odd)),
        `${mode.directBytes} bytes direct`,
      );
    }
    await assertFramesReadBack(path, all);
  });

  it('writes the same bytes through the page cache when direct writes are off', async () => {
    const { path, file } = writeFrames([camera, odd], { directWrites: false });
    const mode = file.frameWriteMode();
    file.close();
    assert.equal(mode.directBytes, 0);
    assert.equal(file.bytesRedirected, bytesOf(camera) + bytesOf(odd));
    await assertFramesReadBack(path, [camera, odd]);
  });

  it(
    'serves frames written directly to a SWMR reader in another process while the file is open',
    { skip: hasH5py() ? false : 'python3-h5py not installed' },
    () => {
      const { path, file } = writeFrames([camera, odd]);
      file.flush();
      const script = `
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], 'r', libver='latest', swmr=True)
for name, frames in (('camera', 3), ('odd', 4)):
    d = f['entry'][name]
    assert d.shape[0] == frames, (name, d.shape)
    i = np.arange(d.shape[1] * d.shape[2], dtype=np.int64)
    for n in range(frames):
        expected = ((n * 7919 + i * 3 + (i >> 11)) & 0xFFFF).astype(np.uint16)
        assert np.array_equal(d[n].ravel(), expected), (name, n)
print('ok')
`;
      const result = spawnSync(PYTHON, ['-c', script, path], { encoding: 'utf8' });
      file.close();
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.trim(), 'ok');
    },
  );
});
