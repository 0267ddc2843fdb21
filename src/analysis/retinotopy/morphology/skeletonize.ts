import type { Mask } from './binary-morphology.ts';
import type { Grid } from './image.ts';

/**
 * Thinning to a one-pixel-wide, 8-connected skeleton (Zhang & Suen 1984, the algorithm
 * skimage.morphology.skeletonize is based on). Used to turn the gaps between dilated patches
 * into borders.
 */
export function skeletonize(src: Mask, { width, height }: Grid): Mask {
  const img = Uint8Array.from(src, (v) => (v ? 1 : 0));
  const at = (r: number, c: number) =>
    r < 0 || r >= height || c < 0 || c >= width ? 0 : (img[r * width + c] as number);
  const remove: number[] = [];
  let changed = true;
  while (changed) {
    changed = false;
    for (let pass = 0; pass < 2; pass++) {
      remove.length = 0;
      for (let r = 0; r < height; r++) {
        for (let c = 0; c < width; c++) {
          if (!img[r * width + c]) continue;
          // Neighbours P2…P9 clockwise from north.
          const p = [
            at(r - 1, c),
            at(r - 1, c + 1),
            at(r, c + 1),
            at(r + 1, c + 1),
            at(r + 1, c),
            at(r + 1, c - 1),
            at(r, c - 1),
            at(r - 1, c - 1),
          ];
          const b = p.reduce((s, v) => s + v, 0);
          if (b < 2 || b > 6) continue;
          let a = 0;
          for (let k = 0; k < 8; k++) if (p[k] === 0 && p[(k + 1) % 8] === 1) a++;
          if (a !== 1) continue;
          const [p2, , p4, , p6, , p8] = p as [
            number,
            number,
            number,
            number,
            number,
            number,
            number,
            number,
          ];
          if (
            pass === 0 ? p2 * p4 * p6 === 0 && p4 * p6 * p8 === 0 : p2 * p4 * p8 === 0 && p2 * p6 * p8 === 0
          ) {
            remove.push(r * width + c);
          }
        }
      }
      for (const i of remove) img[i] = 0;
      if (remove.length > 0) changed = true;
    }
  }
  return img;
}
