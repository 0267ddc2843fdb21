import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapPreview, PREVIEW_NO_VALUE } from './map-preview.ts';

describe('map preview', () => {
  it('block-averages to the size asked, leaving NaN out, and quantises between min and max', () => {
    // 4 × 2, halved: blocks [0 1 | 4 5], [2 3 | 6 7] … as 2 × 1 with factor 2.
    const values = [0, 2, 4, NaN, 8, 10, NaN, NaN];
    const p = mapPreview(values, 4, 2, 2);
    assert.deepEqual([p.width, p.height], [2, 1]);
    // Block 1: (0 + 2 + 8 + 10) / 4 = 5; block 2: only 4 is finite.
    assert.deepEqual([p.min, p.max], [4, 5]);
    assert.deepEqual([...p.bytes], [254, 0]);
  });

  it('marks a block of only NaN as no value, and a flat map as 0', () => {
    const p = mapPreview([NaN, NaN, 3, 3], 4, 1, 2);
    assert.deepEqual([...p.bytes], [PREVIEW_NO_VALUE, 0]);
    assert.deepEqual([p.min, p.max], [3, 3]);
  });

  it('keeps a map already small enough as it is', () => {
    const p = mapPreview([1, 2, 3, 4, 5, 6], 3, 2, 64);
    assert.deepEqual([p.width, p.height], [3, 2]);
    assert.deepEqual(
      [...p.bytes],
      [0, 1, 2, 3, 4, 5].map((k) => Math.round((k / 5) * 254)),
    );
  });
});
