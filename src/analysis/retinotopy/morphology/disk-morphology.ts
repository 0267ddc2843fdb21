import type { Mask } from './binary-morphology.ts';
import type { Grid } from './image.ts';
import { labelComponents } from './label-components.ts';

/**
 * Binary morphology with a disk of radius r (x² + y² ≤ r²), as MATLAB's imdilate/imerode with
 * strel('disk', r) are used by the SNLC code (Garrett et al. 2014). Erosion treats the outside as
 * foreground, as MATLAB pads a binary erosion, so patches touching the edge are not eaten.
 */
function diskOffsets(radius: number): [number, number][] {
  const out: [number, number][] = [];
  const r = Math.floor(radius);
  for (let dr = -r; dr <= r; dr++)
    for (let dc = -r; dc <= r; dc++) if (dr * dr + dc * dc <= radius * radius) out.push([dr, dc]);
  return out;
}

export function diskDilation(src: Mask, { width, height }: Grid, radius: number): Mask {
  const offsets = diskOffsets(radius);
  const out = new Uint8Array(src.length);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      if (!src[r * width + c]) continue;
      for (const [dr, dc] of offsets) {
        const rr = r + dr;
        const cc = c + dc;
        if (rr >= 0 && rr < height && cc >= 0 && cc < width) out[rr * width + cc] = 1;
      }
    }
  }
  return out;
}

export function diskErosion(src: Mask, { width, height }: Grid, radius: number): Mask {
  const offsets = diskOffsets(radius);
  const out = new Uint8Array(src.length);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      if (!src[r * width + c]) continue;
      let keep = 1;
      for (const [dr, dc] of offsets) {
        const rr = r + dr;
        const cc = c + dc;
        if (rr >= 0 && rr < height && cc >= 0 && cc < width && !src[rr * width + cc]) {
          keep = 0;
          break;
        }
      }
      out[r * width + c] = keep;
    }
  }
  return out;
}

export function diskOpening(src: Mask, grid: Grid, radius: number): Mask {
  return diskDilation(diskErosion(src, grid, radius), grid, radius);
}

export function diskClosing(src: Mask, grid: Grid, radius: number): Mask {
  return diskErosion(diskDilation(src, grid, radius), grid, radius);
}

/** imfill(mask, 'holes'): background regions (4-connected) that do not reach the edge become 1. */
export function fillHoles(src: Mask, grid: Grid): Mask {
  const { width, height } = grid;
  const { labels, count } = labelComponents(
    Uint8Array.from(src, (v) => (v ? 0 : 1)),
    grid,
  );
  const outside = new Uint8Array(count + 1);
  for (let c = 0; c < width; c++) {
    outside[labels[c] as number] = 1;
    outside[labels[(height - 1) * width + c] as number] = 1;
  }
  for (let r = 0; r < height; r++) {
    outside[labels[r * width] as number] = 1;
    outside[labels[r * width + width - 1] as number] = 1;
  }
  return Uint8Array.from(src, (v, i) => (v || !outside[labels[i] as number] ? 1 : 0));
}

/** The largest 4-connected component (empty if there is none). */
export function largestComponent(src: Mask, grid: Grid): Mask {
  const { labels, count } = labelComponents(src, grid);
  const sizes = new Int32Array(count + 1);
  for (const l of labels) sizes[l] = (sizes[l] as number) + 1;
  let best = 0;
  for (let l = 1; l <= count; l++) if ((sizes[l] as number) > (sizes[best] as number) || best === 0) best = l;
  return Uint8Array.from(labels, (l) => (best > 0 && l === best ? 1 : 0));
}
