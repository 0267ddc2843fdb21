/**
 * A small preview of a map for the live stream: block-averaged down to at most `maxSide` pixels
 * on the long side (NaN pixels left out of a block; a block of only NaN stays NaN), then
 * quantised to a byte between the finite min and max (255 = NaN).
 */
export interface MapPreview {
  width: number;
  height: number;
  min: number;
  max: number;
  bytes: Uint8Array;
}

export const PREVIEW_NO_VALUE = 255;

export function previewSize(
  width: number,
  height: number,
  maxSide: number,
): { factor: number; width: number; height: number } {
  const factor = Math.max(1, Math.ceil(Math.max(width, height) / maxSide));
  return { factor, width: Math.ceil(width / factor), height: Math.ceil(height / factor) };
}

export function mapPreview(
  values: ArrayLike<number>,
  width: number,
  height: number,
  maxSide: number,
): MapPreview {
  const size = previewSize(width, height, maxSide);
  const sums = new Float64Array(size.width * size.height);
  const counts = new Uint32Array(size.width * size.height);
  for (let r = 0; r < height; r++) {
    const pr = Math.floor(r / size.factor) * size.width;
    for (let c = 0; c < width; c++) {
      const v = values[r * width + c] as number;
      if (!Number.isFinite(v)) continue;
      const i = pr + Math.floor(c / size.factor);
      sums[i] = (sums[i] as number) + v;
      counts[i] = (counts[i] as number) + 1;
    }
  }
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < sums.length; i++) {
    if (counts[i] === 0) continue;
    const v = (sums[i] as number) / (counts[i] as number);
    sums[i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) min = max = 0;
  const span = max - min;
  const bytes = new Uint8Array(sums.length);
  for (let i = 0; i < sums.length; i++) {
    bytes[i] =
      counts[i] === 0
        ? PREVIEW_NO_VALUE
        : span > 0
          ? Math.round((((sums[i] as number) - min) / span) * (PREVIEW_NO_VALUE - 1))
          : 0;
  }
  return { width: size.width, height: size.height, min, max, bytes };
}
