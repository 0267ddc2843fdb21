import { type Grid, reflectIndex } from './image.ts';

/**
 * scipy.ndimage.gaussian_filter and uniform_filter (mode 'reflect', the defaults the Allen code
 * uses): separable 1-D passes, rows then columns.
 */
/** 'reflect' as scipy's default; 'wrap' is periodic, what a circular (FFT) convolution does. */
export type BoundaryMode = 'reflect' | 'wrap';

const wrapIndex = (i: number, n: number) => ((i % n) + n) % n;

function filterRows(
  src: Float64Array,
  grid: Grid,
  weights: Float64Array,
  center: number,
  alongRows: boolean,
  mode: BoundaryMode = 'reflect',
) {
  const boundary = mode === 'wrap' ? wrapIndex : reflectIndex;
  const { width, height } = grid;
  const out = new Float64Array(src.length);
  const n = alongRows ? height : width;
  const lines = alongRows ? width : height;
  const taps = weights.length;
  // Each line copied once with its reflected margins, so the inner loop needs no index mapping.
  const before = center;
  const padded = new Float64Array(n + taps);
  const stride = alongRows ? width : 1;
  for (let line = 0; line < lines; line++) {
    const origin = alongRows ? line : line * width;
    for (let k = 0; k < n + taps - 1; k++)
      padded[k] = src[origin + boundary(k - before, n) * stride] as number;
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let j = 0; j < taps; j++) acc += (weights[j] as number) * (padded[i + j] as number);
      out[origin + i * stride] = acc;
    }
  }
  return out;
}

export function gaussianFilter(
  src: Float64Array,
  grid: Grid,
  sigma: number,
  truncate = 4.0,
  mode: BoundaryMode = 'reflect',
): Float64Array {
  if (sigma <= 0) return Float64Array.from(src);
  const radius = Math.floor(truncate * sigma + 0.5);
  const weights = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let x = -radius; x <= radius; x++) {
    const w = Math.exp((-0.5 * x * x) / (sigma * sigma));
    weights[x + radius] = w;
    sum += w;
  }
  for (let j = 0; j < weights.length; j++) weights[j] = (weights[j] as number) / sum;
  return filterRows(filterRows(src, grid, weights, radius, true, mode), grid, weights, radius, false, mode);
}

/** Box mean of `size` (scipy places the window at i − ⌊size/2⌋ … i − ⌊size/2⌋ + size − 1). */
export function uniformFilter(src: Float64Array, grid: Grid, size: number): Float64Array {
  const s = Math.max(1, Math.floor(size));
  const weights = new Float64Array(s).fill(1 / s);
  const center = Math.floor(s / 2);
  return filterRows(filterRows(src, grid, weights, center, true), grid, weights, center, false);
}
