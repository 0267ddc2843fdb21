import type { FrameData } from './fourier-accumulator.ts';

/**
 * The mean of one factor × factor block of a width × height image stored at `base` in `source`:
 * binned pixel `p` of the ⌈width / factor⌉ × ⌈height / factor⌉ grid (edge blocks cut short by
 * the image's border average the pixels they have). The online maps bin large frames with it,
 * and the anatomical snapshot is binned to their grid with it, so both see the same blocks.
 */
export function blockMean(
  source: FrameData | ArrayLike<number>,
  base: number,
  width: number,
  height: number,
  factor: number,
  p: number,
): number {
  const outWidth = Math.ceil(width / factor);
  const r0 = Math.floor(p / outWidth) * factor;
  const c0 = (p % outWidth) * factor;
  const r1 = Math.min(r0 + factor, height);
  const c1 = Math.min(c0 + factor, width);
  let sum = 0;
  for (let r = r0; r < r1; r++) {
    const row = base + r * width;
    for (let c = c0; c < c1; c++) sum += source[row + c] as number;
  }
  return sum / ((r1 - r0) * (c1 - c0));
}
