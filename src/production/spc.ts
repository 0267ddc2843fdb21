import type { SpecLimitsConfig } from '../config/line-schema.ts';
import { mean } from './descriptive-statistics.ts';

/**
 * SPC chart data: individuals (I-MR) and X̄-R charts with ±3σ limits and the four Western
 * Electric rules, and process capability. σ is estimated from ranges (within-subgroup
 * variation), as Shewhart charts do, so a shift in the mean shows up against the limits
 * instead of widening them.
 */

/** d2 for moving ranges of 2 and X̄-R constants A2, D3, D4 by subgroup size (ASTM E2587). */
const D2: Record<number, number> = {
  2: 1.128,
  3: 1.693,
  4: 2.059,
  5: 2.326,
  6: 2.534,
  7: 2.704,
  8: 2.847,
  9: 2.97,
  10: 3.078,
};
const A2: Record<number, number> = {
  2: 1.88,
  3: 1.023,
  4: 0.729,
  5: 0.577,
  6: 0.483,
  7: 0.419,
  8: 0.373,
  9: 0.337,
  10: 0.308,
};
const D3: Record<number, number> = { 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0.076, 8: 0.136, 9: 0.184, 10: 0.223 };
const D4: Record<number, number> = {
  2: 3.267,
  3: 2.574,
  4: 2.282,
  5: 2.114,
  6: 2.004,
  7: 1.924,
  8: 1.864,
  9: 1.816,
  10: 1.777,
};

/**
 * Western Electric rules: 1 one point beyond 3σ; 2 two of three successive beyond 2σ on one
 * side; 3 four of five successive beyond 1σ on one side; 4 eight successive on one side of
 * the centre line. A point is flagged with every rule whose window ends at it.
 */
export type WesternElectricRule = 1 | 2 | 3 | 4;

export interface ChartPoint {
  index: number;
  value: number;
  violations: WesternElectricRule[];
}

export interface ControlLimits {
  center: number;
  sigma: number;
  ucl: number;
  lcl: number;
}

export function westernElectric(
  values: readonly number[],
  center: number,
  sigma: number,
): WesternElectricRule[][] {
  const z = values.map((v) => (sigma > 0 ? (v - center) / sigma : 0));
  const flags: WesternElectricRule[][] = values.map(() => []);
  const window = (i: number, length: number, need: number, beyond: number) => {
    if (i + 1 < need) return false;
    for (const side of [1, -1]) {
      let count = 0;
      for (let j = Math.max(0, i - length + 1); j <= i; j++) if (side * z[j]! > beyond) count++;
      // the point itself must be one of those beyond, on that side
      if (count >= need && side * z[i]! > beyond) return true;
    }
    return false;
  };
  for (let i = 0; i < z.length; i++) {
    if (Math.abs(z[i]!) > 3) flags[i]!.push(1);
    if (window(i, 3, 2, 2)) flags[i]!.push(2);
    if (window(i, 5, 4, 1)) flags[i]!.push(3);
    if (window(i, 8, 8, 0)) flags[i]!.push(4);
  }
  return flags;
}

export interface IndividualsChart extends ControlLimits {
  /** Mean moving range and its limit (the MR chart). */
  mrBar: number;
  mrUcl: number;
  points: ChartPoint[];
}

/** Individuals chart: σ̂ = MR̄ / 1.128. Undefined for fewer than two values. */
export function individualsChart(values: readonly number[]): IndividualsChart | undefined {
  if (values.length < 2) return undefined;
  const ranges = values.slice(1).map((v, i) => Math.abs(v - values[i]!));
  const mrBar = mean(ranges);
  const center = mean(values);
  const sigma = mrBar / D2[2]!;
  const flags = westernElectric(values, center, sigma);
  return {
    center,
    sigma,
    ucl: center + 3 * sigma,
    lcl: center - 3 * sigma,
    mrBar,
    mrUcl: D4[2]! * mrBar,
    points: values.map((value, index) => ({ index, value, violations: flags[index]! })),
  };
}

export interface XbarRChart extends ControlLimits {
  subgroupSize: number;
  rBar: number;
  rUcl: number;
  rLcl: number;
  /** One point per complete subgroup: its mean (value) and range. */
  points: (ChartPoint & { range: number })[];
}

/** X̄-R chart over consecutive subgroups of `size` (2–10); a trailing partial subgroup is left out. */
export function xbarRChart(values: readonly number[], size = 5): XbarRChart | undefined {
  if (!(size in A2)) throw new RangeError(`subgroup size ${size} is outside 2..10`);
  const groups: number[][] = [];
  for (let i = 0; i + size <= values.length; i += size) groups.push(values.slice(i, i + size));
  if (groups.length < 2) return undefined;
  const means = groups.map(mean);
  const ranges = groups.map((g) => Math.max(...g) - Math.min(...g));
  const center = mean(means);
  const rBar = mean(ranges);
  const sigmaOfMean = (A2[size]! * rBar) / 3;
  const flags = westernElectric(means, center, sigmaOfMean);
  return {
    subgroupSize: size,
    center,
    sigma: rBar / D2[size]!,
    ucl: center + A2[size]! * rBar,
    lcl: center - A2[size]! * rBar,
    rBar,
    rUcl: D4[size]! * rBar,
    rLcl: D3[size]! * rBar,
    points: means.map((value, index) => ({ index, value, range: ranges[index]!, violations: flags[index]! })),
  };
}

export interface Capability {
  cp: number | null;
  cpk: number | null;
}

/** Cp = (USL − LSL) / 6σ̂ (both limits needed); Cpk = min(USL − μ, μ − LSL) / 3σ̂ (either). */
export function capability(center: number, sigma: number, spec: SpecLimitsConfig): Capability {
  if (!(sigma > 0)) return { cp: null, cpk: null };
  const { lsl, usl } = spec;
  const cp = lsl !== undefined && usl !== undefined ? (usl - lsl) / (6 * sigma) : null;
  const sides: number[] = [];
  if (usl !== undefined) sides.push((usl - center) / (3 * sigma));
  if (lsl !== undefined) sides.push((center - lsl) / (3 * sigma));
  return { cp, cpk: sides.length ? Math.min(...sides) : null };
}
