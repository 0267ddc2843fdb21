/**
 * Order statistics for benchmark figures. Percentiles interpolate linearly between closest
 * ranks (numpy's default), so the median of an even count is the mean of the middle two and a
 * figure computed here matches what `numpy.percentile` gives for the same values.
 */

/** Median, quartiles and range of a set of measurements: what every figure in the results carries. */
export interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
  p25: number;
  p75: number;
}

function sortedCopy(values: readonly number[]): number[] {
  for (const v of values) {
    if (!Number.isFinite(v)) throw new RangeError(`statistics need finite numbers; got ${v}`);
  }
  return [...values].sort((a, b) => a - b);
}

function fromSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no values');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be 0–100; got ${p}`);
  const rank = (p / 100) * (sorted.length - 1);
  const below = Math.floor(rank);
  const above = Math.ceil(rank);
  const low = sorted[below]!;
  return low + (sorted[above]! - low) * (rank - below);
}

/** The p-th percentile (0–100) of `values`, linearly interpolated. */
export function percentile(values: readonly number[], p: number): number {
  return fromSorted(sortedCopy(values), p);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function spread(values: readonly number[]): Spread {
  const sorted = sortedCopy(values);
  return {
    n: sorted.length,
    median: fromSorted(sorted, 50),
    min: sorted[0]!,
    max: sorted.at(-1)!,
    p25: fromSorted(sorted, 25),
    p75: fromSorted(sorted, 75),
  };
}

/** Rounds to `digits` significant digits, so results files do not carry float noise. */
export function significant(value: number, digits = 4): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  return Number(value.toPrecision(digits));
}
