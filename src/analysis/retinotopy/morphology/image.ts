/** A row-major 2-D image: `data[row * width + col]`. Masks are 0/1 Uint8Arrays. */
export interface Grid {
  width: number;
  height: number;
}

/** scipy.ndimage's 'reflect' boundary (d c b a | a b c d | d c b a), for any offset. */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n;
  const m = ((i % period) + period) % period;
  return m < n ? m : period - 1 - m;
}
