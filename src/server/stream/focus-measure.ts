/**
 * A focus score for the live preview's focus aid: the normalised Brenner gradient, the mean of
 * (p[x+2] − p[x])² along rows divided by the squared mean intensity. Sharper detail gives larger
 * differences between near pixels, so the score peaks at best focus; dividing by the mean² makes
 * it independent of exposure and illumination, so turning the light up does not look like
 * focusing. Computed on the full-resolution frame (the preview's decimation would remove the very
 * detail focus is judged by), on at most `MAX_ROWS` evenly spaced rows to bound the cost per frame.
 */
const MAX_ROWS = 512;

export function focusScore(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  channels: 1 | 3 = 1,
): number {
  if (width < 3 || height < 1) return 0;
  const rowStep = Math.max(1, Math.floor(height / MAX_ROWS));
  let sumSquares = 0;
  let sum = 0;
  let count = 0;
  for (let y = 0; y < height; y += rowStep) {
    const row = y * width;
    if (channels === 1) {
      // The common case without a call per pixel (a 2048² frame is a million differences).
      for (let i = row, end = row + width - 2; i < end; i++) {
        const a = pixels[i]!;
        const d = pixels[i + 2]! - a;
        sumSquares += d * d;
        sum += a;
      }
    } else {
      for (let x = 0; x + 2 < width; x++) {
        const a = luma(pixels, row + x);
        const d = luma(pixels, row + x + 2) - a;
        sumSquares += d * d;
        sum += a;
      }
    }
    count += width - 2;
  }
  const mean = sum / count;
  return mean > 0 ? sumSquares / count / (mean * mean) : 0;
}

/** Rec. 601 luma of RGB pixel `i`, as the preview's grey values are made. */
function luma(px: ArrayLike<number>, i: number): number {
  return (px[i * 3]! * 77 + px[i * 3 + 1]! * 150 + px[i * 3 + 2]! * 29) / 256;
}
