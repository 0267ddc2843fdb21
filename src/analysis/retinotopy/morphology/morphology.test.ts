import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { binaryClosing, binaryDilation, binaryErosion, binaryOpening } from './binary-morphology.ts';
import { diskDilation, diskErosion, fillHoles, largestComponent } from './disk-morphology.ts';
import { labelComponents } from './label-components.ts';
import { skeletonize } from './skeletonize.ts';
import { gaussianFilter, uniformFilter } from './smoothing-filters.ts';
import { watershed } from './watershed.ts';

const grid = { width: 23, height: 17 };
let state = 12345;
const random = () => {
  state = (Math.imul(state, 1103515245) + 12345) >>> 0;
  return state / 4294967296;
};
const field = Float64Array.from({ length: grid.width * grid.height }, () => random());
// A blobby mask: smoothed noise thresholded, so morphology has structure to work on.
const mask = Uint8Array.from(gaussianFilter(field, grid, 1.5), (v) => (v > 0.5 ? 1 : 0));

const PYTHON = `
import json, sys
import numpy as np
import scipy.ndimage as ni
d = json.load(sys.stdin)
H, W = d['height'], d['width']
f = np.array(d['field']).reshape(H, W)
m = np.array(d['mask']).reshape(H, W).astype(bool)
out = {
  'gauss1': ni.gaussian_filter(f, 1).ravel().tolist(),
  'gauss9': ni.gaussian_filter(f, 9).ravel().tolist(),
  'gauss3wrap': ni.gaussian_filter(f, 3, mode='wrap').ravel().tolist(),
  'uniform10': ni.uniform_filter(f, 10).ravel().tolist(),
  'uniform3': ni.uniform_filter(f, 3).ravel().tolist(),
  'dilate3': ni.binary_dilation(m, iterations=3).astype(int).ravel().tolist(),
  'erode2': ni.binary_erosion(m, iterations=2).astype(int).ravel().tolist(),
  'open3': ni.binary_opening(m, iterations=3).astype(int).ravel().tolist(),
  'close3': ni.binary_closing(m, iterations=3).astype(int).ravel().tolist(),
  'label': ni.label(m)[0].ravel().tolist(),
}
print(json.dumps(out))
`;

function scipyReference(): Record<string, number[]> | undefined {
  if (!existsSync('/usr/bin/python3')) return undefined;
  const run = spawnSync('/usr/bin/python3', ['-c', PYTHON], {
    input: JSON.stringify({ ...grid, field: [...field], mask: [...mask] }),
    encoding: 'utf8',
  });
  if (run.status !== 0) return undefined;
  return JSON.parse(run.stdout) as Record<string, number[]>;
}

const closeTo = (a: ArrayLike<number>, b: number[], what: string) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++)
    assert.ok(Math.abs((a[i] as number) - (b[i] as number)) < 1e-9, `${what}[${i}]`);
};

describe('morphology against scipy.ndimage', () => {
  const ref = scipyReference();
  it('matches gaussian_filter, uniform_filter, binary dilation/erosion/opening/closing and label', (t) => {
    if (!ref) {
      t.skip('/usr/bin/python3 with scipy is not installed');
      return;
    }
    assert.ok(mask.some((v) => v) && mask.some((v) => !v), 'the test mask has both values');
    closeTo(gaussianFilter(field, grid, 1), ref.gauss1 as number[], 'gaussian σ=1');
    closeTo(
      gaussianFilter(field, grid, 9),
      ref.gauss9 as number[],
      'gaussian σ=9 (kernel wider than the image)',
    );
    closeTo(gaussianFilter(field, grid, 3, 4, 'wrap'), ref.gauss3wrap as number[], 'gaussian σ=3 wrap');
    closeTo(uniformFilter(field, grid, 10), ref.uniform10 as number[], 'uniform 10');
    closeTo(uniformFilter(field, grid, 3), ref.uniform3 as number[], 'uniform 3');
    assert.deepEqual([...binaryDilation(mask, grid, 3)], ref.dilate3);
    assert.deepEqual([...binaryErosion(mask, grid, 2)], ref.erode2);
    assert.deepEqual([...binaryOpening(mask, grid, 3)], ref.open3);
    assert.deepEqual([...binaryClosing(mask, grid, 3)], ref.close3);
    assert.deepEqual([...labelComponents(mask, grid).labels], ref.label);
  });
});

describe('skeletonize', () => {
  it('thins a filled bar to a connected line one pixel wide', () => {
    const g = { width: 20, height: 9 };
    const bar = Uint8Array.from({ length: 180 }, (_, i) => {
      const r = Math.floor(i / 20);
      const c = i % 20;
      return r >= 2 && r <= 6 && c >= 2 && c <= 17 ? 1 : 0;
    });
    const skeleton = skeletonize(bar, g);
    const n = skeleton.reduce((s, v) => s + v, 0);
    assert.ok(n >= 10 && n <= 16, `skeleton has ${n} pixels`);
    assert.equal(labelComponents(skeleton, g, 8).count, 1);
    for (let c = 5; c <= 14; c++) {
      let inColumn = 0;
      for (let r = 0; r < 9; r++) inColumn += skeleton[r * 20 + c] as number;
      assert.equal(inColumn, 1, `column ${c}`);
    }
  });
});

describe('watershed', () => {
  it('splits a valley between two minima at the ridge', () => {
    const g = { width: 11, height: 1 };
    const values = Float64Array.from([0, 1, 2, 3, 4, 5, 4, 3, 2, 1, 0]);
    const markers = Int32Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    const labels = watershed(values, markers, new Uint8Array(11).fill(1), g);
    assert.deepEqual([...labels.slice(0, 5)], [1, 1, 1, 1, 1]);
    assert.deepEqual([...labels.slice(6)], [2, 2, 2, 2, 2]);
  });
});

describe('disk morphology (Garrett variant)', () => {
  const g = { width: 9, height: 9 };
  it('fills holes that do not reach the edge and keeps the largest component', () => {
    // A ring around (4, 4) with a hole, plus a lone pixel in the corner.
    const ring = Uint8Array.from({ length: 81 }, (_, i) => {
      const r = Math.floor(i / 9);
      const c = i % 9;
      const d = Math.max(Math.abs(r - 4), Math.abs(c - 4));
      return d === 2 || (r === 0 && c === 0) ? 1 : 0;
    });
    const filled = fillHoles(ring, g);
    assert.equal(filled[4 * 9 + 4], 1);
    assert.equal(filled[1 * 9 + 1], 0, 'background that reaches the edge stays');
    const largest = largestComponent(filled, g);
    assert.equal(largest[0], 0);
    assert.equal(
      largest.reduce((s, v) => s + v, 0),
      25,
    );
  });
  it('dilates a point into a disk and erodes it back', () => {
    const point = new Uint8Array(81);
    point[40] = 1;
    const disk = diskDilation(point, g, 2);
    assert.equal(
      disk.reduce((s, v) => s + v, 0),
      13,
    );
    assert.deepEqual([...diskErosion(disk, g, 2)], [...point]);
  });
});
