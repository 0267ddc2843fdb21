/** Summary of a sample: mean, median, 95th percentile, sample standard deviation, range. */
export interface SampleSummary {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  /** Sample standard deviation (n − 1); 0 for fewer than two values. */
  sigma: number;
  min: number;
  max: number;
}

/** Percentile by linear interpolation between closest ranks (numpy's default), p in [0, 100]. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export function sampleSigma(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  let sum = 0;
  for (const v of values) sum += (v - m) ** 2;
  return Math.sqrt(sum / (values.length - 1));
}

/** Undefined for an empty sample (a report says "no parts" rather than NaN). */
export function summarize(values: readonly number[]): SampleSummary | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: values.length,
    mean: mean(values),
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    sigma: sampleSigma(values),
    min: sorted[0]!,
    max: sorted.at(-1)!,
  };
}
