import type { Grid } from '../morphology/image.ts';

/** One candidate visual area: a full-size 0/1 mask and its visual field sign. */
export interface Patch {
  mask: Uint8Array;
  sign: 1 | -1;
}

export function patchArea(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i] as number;
  return n;
}

export function overlaps(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] && b[i]) return true;
  return false;
}

export function maskOfLabel(labels: Int32Array, label: number): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) if (labels[i] === label) out[i] = 1;
  return out;
}

/**
 * The mask's bounding box grown by `margin` (clipped to the image): a morphological operation
 * that reaches at most margin − 1 pixels beyond the mask gives the same result on this crop as
 * on the whole image, for a fraction of the work.
 */
export interface Crop {
  x0: number;
  y0: number;
  grid: Grid;
  mask: Uint8Array;
}

export function cropAround(mask: Uint8Array, { width, height }: Grid, margin: number): Crop | undefined {
  let r0 = height;
  let r1 = -1;
  let c0 = width;
  let c1 = -1;
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      if (!mask[r * width + c]) continue;
      if (r < r0) r0 = r;
      if (r > r1) r1 = r;
      if (c < c0) c0 = c;
      if (c > c1) c1 = c;
    }
  }
  if (r1 < 0) return undefined;
  const y0 = Math.max(0, r0 - margin);
  const x0 = Math.max(0, c0 - margin);
  const h = Math.min(height, r1 + margin + 1) - y0;
  const w = Math.min(width, c1 + margin + 1) - x0;
  const sub = new Uint8Array(w * h);
  for (let r = 0; r < h; r++) sub.set(mask.subarray((y0 + r) * width + x0, (y0 + r) * width + x0 + w), r * w);
  return { x0, y0, grid: { width: w, height: h }, mask: sub };
}

/** Writes a crop's pixels back into a full image (ORing ones in). */
export function pasteInto(target: Uint8Array, { width }: Grid, crop: Crop, sub: Uint8Array): void {
  const { width: w, height: h } = crop.grid;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) if (sub[r * w + c]) target[(crop.y0 + r) * width + crop.x0 + c] = 1;
  }
}

/** `op` applied to the mask on a crop of the given margin, returned full size. */
export function onCrop(
  mask: Uint8Array,
  grid: Grid,
  margin: number,
  op: (m: Uint8Array, g: Grid) => Uint8Array,
): Uint8Array {
  const out = new Uint8Array(mask.length);
  const crop = cropAround(mask, grid, margin);
  if (crop) pasteInto(out, grid, crop, op(crop.mask, crop.grid));
  return out;
}

/** Σ of `values` over the mask. */
export function sumOver(mask: Uint8Array, values: Float64Array): number {
  let s = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) s += values[i] as number;
  return s;
}

export type { Grid };
