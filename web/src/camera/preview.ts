// The wire format is the server's own (one definition for encoder and decoder).
import type { Preview, PreviewHeader } from '../../../src/server/stream/preview-wire.ts';

export type { Preview, PreviewHeader };
export { decodePreviewMessage as decodePreview } from '../../../src/server/stream/preview-wire.ts';

export function histogram(pixels: Uint8Array): Uint32Array {
  const bins = new Uint32Array(256);
  for (let i = 0; i < pixels.length; i++) bins[pixels[i]!]!++;
  return bins;
}

/** The pixel values below which `lowFraction` and above which `1 - highFraction` of the pixels lie. */
export function percentiles(bins: Uint32Array, lowFraction = 0.005, highFraction = 0.995): [number, number] {
  let total = 0;
  for (const n of bins) total += n;
  let seen = 0;
  let lo = 0;
  let hi = 255;
  let foundLo = false;
  for (let v = 0; v < 256; v++) {
    seen += bins[v]!;
    if (!foundLo && seen >= total * lowFraction) {
      lo = v;
      foundLo = true;
    }
    if (seen >= total * highFraction) {
      hi = v;
      break;
    }
  }
  return hi > lo ? [lo, hi] : [lo, Math.min(255, lo + 1)];
}

/** Grey-level lookup from a preview value to a screen value for the window [black, white]. */
export function levelsLut(black: number, white: number): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256);
  const span = Math.max(1, white - black);
  for (let v = 0; v < 256; v++) lut[v] = ((v - black) * 255) / span;
  return lut;
}

/** A preview value in the camera's own (16-bit) units. */
export function toCounts(header: PreviewHeader, value: number): number {
  return header.low + (value * (header.high - header.low)) / 255;
}

/** Values along a line (nearest pixel), in camera counts; x is the distance in preview pixels. */
export function lineProfile(
  preview: Preview,
  from: { x: number; y: number },
  to: { x: number; y: number },
): { distance: number[]; counts: number[] } {
  const { width, height } = preview.header;
  const length = Math.hypot(to.x - from.x, to.y - from.y);
  const n = Math.max(2, Math.ceil(length));
  const distance: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = i / (n - 1);
    const x = Math.round(from.x + (to.x - from.x) * t);
    const y = Math.round(from.y + (to.y - from.y) * t);
    if (x < 0 || y < 0 || x >= width || y >= height) continue;
    distance.push(t * length);
    counts.push(toCounts(preview.header, preview.pixels[y * width + x]!));
  }
  return { distance, counts };
}
