import type { Grid } from './image.ts';

/**
 * scipy.ndimage binary morphology with its default structuring element (the 4-connected cross)
 * and border_value 0: outside the image counts as background, so erosion (and therefore closing)
 * eats into patches that touch the edge, as in scipy.
 */
export type Mask = Uint8Array;

function dilateOnce(src: Mask, { width, height }: Grid): Mask {
  const out = new Uint8Array(src.length);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const i = r * width + c;
      out[i] =
        src[i] ||
        (c > 0 && src[i - 1]) ||
        (c < width - 1 && src[i + 1]) ||
        (r > 0 && src[i - width]) ||
        (r < height - 1 && src[i + width])
          ? 1
          : 0;
    }
  }
  return out;
}

function erodeOnce(src: Mask, { width, height }: Grid): Mask {
  // Pixels on the image edge have an outside (0) neighbour, so they always erode.
  const out = new Uint8Array(src.length);
  for (let r = 1; r < height - 1; r++) {
    for (let c = 1; c < width - 1; c++) {
      const i = r * width + c;
      if (src[i] && src[i - 1] && src[i + 1] && src[i - width] && src[i + width]) out[i] = 1;
    }
  }
  return out;
}

export function binaryDilation(src: Mask, grid: Grid, iterations = 1): Mask {
  let out = src;
  for (let k = 0; k < iterations; k++) out = dilateOnce(out, grid);
  return out === src ? Uint8Array.from(src) : out;
}

export function binaryErosion(src: Mask, grid: Grid, iterations = 1): Mask {
  let out = src;
  for (let k = 0; k < iterations; k++) out = erodeOnce(out, grid);
  return out === src ? Uint8Array.from(src) : out;
}

export function binaryOpening(src: Mask, grid: Grid, iterations = 1): Mask {
  return binaryDilation(binaryErosion(src, grid, iterations), grid, iterations);
}

export function binaryClosing(src: Mask, grid: Grid, iterations = 1): Mask {
  return binaryErosion(binaryDilation(src, grid, iterations), grid, iterations);
}
