import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { focusScore } from './focus-measure.ts';

/** A bar pattern (period 8 px) of `low`/`high` counts, optionally box-blurred along rows. */
function bars(width: number, height: number, low: number, high: number, blur = 0): Uint16Array {
  const sharp = new Float64Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) sharp[y * width + x] = Math.floor(x / 4) % 2 ? high : low;
  const out = new Uint16Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let s = 0;
      let n = 0;
      for (let k = -blur; k <= blur; k++) {
        const xx = Math.min(width - 1, Math.max(0, x + k));
        s += sharp[y * width + xx]!;
        n++;
      }
      out[y * width + x] = Math.round(s / n);
    }
  return out;
}

describe('focus score', () => {
  it('falls as the image is blurred, step by step', () => {
    const scores = [0, 1, 2, 3].map((blur) => focusScore(bars(128, 64, 1000, 3000, blur), 128, 64));
    for (let i = 1; i < scores.length; i++) assert.ok(scores[i]! < scores[i - 1]!, `blur ${i}: ${scores}`);
  });

  it('does not change with exposure: the same scene at twice the counts scores the same', () => {
    const dim = focusScore(bars(128, 64, 1000, 3000, 1), 128, 64);
    const bright = focusScore(bars(128, 64, 2000, 6000, 1), 128, 64);
    assert.ok(Math.abs(dim - bright) / dim < 1e-3, `${dim} vs ${bright}`);
  });

  it('is 0 for a uniform or black frame', () => {
    assert.equal(focusScore(new Uint16Array(64 * 64).fill(1234), 64, 64), 0);
    assert.equal(focusScore(new Uint16Array(64 * 64), 64, 64), 0);
  });

  it('reads an RGB frame as its luminance', () => {
    const mono = bars(64, 32, 1000, 3000, 1);
    const rgb = new Uint16Array(mono.length * 3);
    for (let i = 0; i < mono.length; i++) rgb.fill(mono[i]!, i * 3, i * 3 + 3);
    assert.ok(Math.abs(focusScore(rgb, 64, 32, 3) - focusScore(mono, 64, 32)) < 1e-9);
  });

  it('samples at most 512 rows of a tall frame, evenly spaced', () => {
    // Rows alternate sharp and flat in blocks: an even sample sees both kinds like the whole frame.
    const width = 64;
    const height = 4096;
    const px = bars(width, height, 1000, 3000);
    for (let y = 0; y < height; y++) if (Math.floor(y / 64) % 2) px.fill(2000, y * width, (y + 1) * width);
    const sampled = focusScore(px, width, height);
    const half = focusScore(bars(width, 64, 1000, 3000), width, 64) / 2;
    assert.ok(Math.abs(sampled - half) / half < 0.05, `${sampled} vs ${half}`);
  });
});
