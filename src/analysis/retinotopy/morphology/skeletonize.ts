import type { Mask } from './binary-morphology.ts';
import type { Grid } from './image.ts';

/**
 * Thinning to a one-pixel-wide, 8-connected skeleton (Zhang & Suen 1984, the algorithm
 * skimage.morphology.skeletonize is based on). Used to turn the gaps between dilated patches
 * into borders. Only the foreground pixels are visited, so the cost follows the mask, not the image.
 */
export function skeletonize(src: Mask, { width, height }: Grid): Mask {
  // One pixel of padding so neighbours never need a bounds check.
  const w = width + 2;
  const img = new Uint8Array(w * (height + 2));
  let live: number[] = [];
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      if (!src[r * width + c]) continue;
      const i = (r + 1) * w + c + 1;
      img[i] = 1;
      live.push(i);
    }
  }
  const remove: number[] = [];
  let changed = true;
  while (changed) {
    changed = false;
    for (let pass = 0; pass < 2; pass++) {
      remove.length = 0;
      for (const i of live) {
        const p2 = img[i - w] as number;
        const p3 = img[i - w + 1] as number;
        const p4 = img[i + 1] as number;
        const p5 = img[i + w + 1] as number;
        const p6 = img[i + w] as number;
        const p7 = img[i + w - 1] as number;
        const p8 = img[i - 1] as number;
        const p9 = img[i - w - 1] as number;
        const b = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9;
        if (b < 2 || b > 6) continue;
        const a =
          (p2 === 0 && p3 === 1 ? 1 : 0) +
          (p3 === 0 && p4 === 1 ? 1 : 0) +
          (p4 === 0 && p5 === 1 ? 1 : 0) +
          (p5 === 0 && p6 === 1 ? 1 : 0) +
          (p6 === 0 && p7 === 1 ? 1 : 0) +
          (p7 === 0 && p8 === 1 ? 1 : 0) +
          (p8 === 0 && p9 === 1 ? 1 : 0) +
          (p9 === 0 && p2 === 1 ? 1 : 0);
        if (a !== 1) continue;
        if (
          pass === 0 ? p2 * p4 * p6 === 0 && p4 * p6 * p8 === 0 : p2 * p4 * p8 === 0 && p2 * p6 * p8 === 0
        ) {
          remove.push(i);
        }
      }
      for (const i of remove) img[i] = 0;
      if (remove.length > 0) {
        changed = true;
        live = live.filter((i) => img[i]);
      }
    }
  }
  const out = new Uint8Array(width * height);
  for (const i of live) {
    const r = Math.floor(i / w) - 1;
    out[r * width + (i % w) - 1] = 1;
  }
  return out;
}
