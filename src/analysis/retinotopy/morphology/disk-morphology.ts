import type { Mask } from './binary-morphology.ts';
import type { Grid } from './image.ts';
import { labelComponents } from './label-components.ts';

/**
 * Binary morphology with a disk of radius r (x² + y² ≤ r²), as MATLAB's imdilate/imerode with
 * strel('disk', r) are used by the SNLC code (Garrett et al. 2014). Erosion treats the outside as
 * foreground, as MATLAB pads a binary erosion, so patches touching the edge are not eaten.
 */
/** Half-width of the disk's row at each vertical offset −r…r. */
function diskRows(radius: number): number[] {
  const r = Math.floor(radius);
  const out: number[] = [];
  for (let dr = -r; dr <= r; dr++) out.push(Math.floor(Math.sqrt(radius * radius - dr * dr)));
  return out;
}

/**
 * Per row, the count of foreground pixels before each column (prefix sums), so "is any / every
 * pixel in columns a…b set" is one subtraction: the disk is handled as 2r + 1 horizontal runs.
 */
function rowPrefixSums(src: Mask, { width, height }: Grid): Int32Array {
  const sums = new Int32Array((width + 1) * height);
  for (let r = 0; r < height; r++) {
    const base = r * (width + 1);
    for (let c = 0; c < width; c++)
      sums[base + c + 1] = (sums[base + c] as number) + (src[r * width + c] as number);
  }
  return sums;
}

export function diskDilation(src: Mask, grid: Grid, radius: number): Mask {
  const { width, height } = grid;
  const rows = diskRows(radius);
  const r0 = Math.floor(radius);
  const sums = rowPrefixSums(src, grid);
  const out = new Uint8Array(src.length);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      for (let k = 0; k < rows.length; k++) {
        const rr = r + k - r0;
        if (rr < 0 || rr >= height) continue;
        const w = rows[k] as number;
        const a = Math.max(0, c - w);
        const b = Math.min(width, c + w + 1);
        const base = rr * (width + 1);
        if ((sums[base + b] as number) - (sums[base + a] as number) > 0) {
          out[r * width + c] = 1;
          break;
        }
      }
    }
  }
  return out;
}

export function diskErosion(src: Mask, grid: Grid, radius: number): Mask {
  const { width, height } = grid;
  const rows = diskRows(radius);
  const r0 = Math.floor(radius);
  const sums = rowPrefixSums(src, grid);
  const out = new Uint8Array(src.length);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      if (!src[r * width + c]) continue;
      let keep = 1;
      for (let k = 0; k < rows.length && keep; k++) {
        const rr = r + k - r0;
        if (rr < 0 || rr >= height) continue;
        const w = rows[k] as number;
        const a = Math.max(0, c - w);
        const b = Math.min(width, c + w + 1);
        const base = rr * (width + 1);
        if ((sums[base + b] as number) - (sums[base + a] as number) < b - a) keep = 0;
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
