import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Frame } from '../core/frame.ts';
import type { FrameSource } from '../core/frame-source.ts';
import { hasH5py, PYTHON } from '../storage/hdf5/test-support/run-file-reader.ts';
import { type AcquisitionEnded, AgentAcquisitions } from './agent-frames.ts';

/**
 * The agent's frames file is HDF5 that h5py reads as it is: `/data` of (frames, height, width)
 * uint16, each row the pixels of the camera's frame, also after a resumed acquisition that
 * keeps only the frames the hub counted.
 */

const H = 4;
const W = 5;
/** Pixel i of the frame numbered `n`: every frame different. */
const pixel = (n: number, i: number) => (n * 97 + i * 13) & 0xffff;

/** A camera that yields the frames numbered `numbers`, then ends. */
function camera(numbers: number[]): FrameSource {
  return {
    async *acquire(): AsyncIterable<Frame> {
      for (const frameNumber of numbers) {
        const pixels = new Uint16Array(H * W);
        for (let i = 0; i < pixels.length; i++) pixels[i] = pixel(frameNumber, i);
        yield { pixels, width: W, height: H, frameNumber, timestamp: 0, bitDepth: 16, exposureMs: 1 };
      }
    },
  };
}

/** What h5py reads: the dataset's shape and dtype, and each row's frame number per `pixel` (-1: no match). */
function h5pyRead(path: string): { shape: number[]; dtype: string; frames: number[] } {
  const script = `import h5py, json, sys, numpy as np
d = h5py.File(sys.argv[1], 'r')['/data']
i = np.arange(d.shape[1] * d.shape[2])
def number(row):
    n = (int(row.ravel()[0]) * pow(97, -1, 65536)) % 65536
    return n if np.array_equal(row.ravel(), (n * 97 + i * 13) & 0xffff) else -1
print(json.dumps({'shape': d.shape, 'dtype': str(d.dtype), 'frames': [number(d[r]) for r in range(d.shape[0])]}))`;
  const out = spawnSync(PYTHON, ['-c', script, path], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout);
}

describe('agent frames files, read by h5py', { skip: !hasH5py() && 'python3-h5py not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-agent-h5-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const ended: ((e: AcquisitionEnded) => void)[] = [];
  const acquisitions = new AgentAcquisitions(dir, (e) => ended.shift()?.(e));

  async function acquire(id: string, run: string, numbers: number[], keepFrames: number) {
    const end = new Promise<AcquisitionEnded>((resolve) => ended.push(resolve));
    const { file } = acquisitions.start(id, 'cam', camera(numbers), run, {}, keepFrames);
    const result = await end;
    assert.equal(result.error, null, JSON.stringify(result.error));
    return { path: join(dir, file), result };
  }

  it('holds every frame as a row of /data: shape, dtype and pixels', async () => {
    const { path, result } = await acquire('a1', 'run-1', [3, 4, 5], 0);
    assert.equal(result.frames, 3);
    assert.match(path, /frames\/run-1\/cam\.frames\.h5$/);
    assert.deepEqual(h5pyRead(path), { shape: [3, H, W], dtype: 'uint16', frames: [3, 4, 5] });
  });

  it('a resumed acquisition keeps the frames the hub counted and goes on after them', async () => {
    const { path } = await acquire('b1', 'run-2', [10, 11, 12, 13], 0);
    // The hub counted two frames before the agent was lost: rows 2 and 3 are the resumed step's.
    await acquire('b2', 'run-2', [20, 21], 2);
    assert.deepEqual(h5pyRead(path), { shape: [4, H, W], dtype: 'uint16', frames: [10, 11, 20, 21] });
    // Resumed and stopped before a new frame: the uncounted frames go all the same.
    await acquire('b3', 'run-2', [], 3);
    assert.deepEqual(h5pyRead(path), { shape: [3, H, W], dtype: 'uint16', frames: [10, 11, 20] });
  });

  it('a new acquisition of a run with nothing counted starts the file afresh', async () => {
    const { path } = await acquire('c1', 'run-3', [1, 2], 0);
    await acquire('c2', 'run-3', [7], 0);
    assert.deepEqual(h5pyRead(path), { shape: [1, H, W], dtype: 'uint16', frames: [7] });
  });
});
