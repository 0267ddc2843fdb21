import type { DefectRecord } from './line-records.ts';

export interface ParetoBar {
  key: string;
  count: number;
  /** Share of all defects, 0..100. */
  percent: number;
  /** Running total of `percent` down the sorted bars, 0..100. */
  cumulativePercent: number;
}

/** Bars sorted by count (ties by key), with the cumulative % a Pareto chart draws as its line. */
export function pareto(keys: readonly string[]): ParetoBar[] {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  const total = keys.length;
  let running = 0;
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([key, count]) => {
      running += count;
      return { key, count, percent: (100 * count) / total, cumulativePercent: (100 * running) / total };
    });
}

export interface DefectPareto {
  total: number;
  byClass: ParetoBar[];
  byStation: ParetoBar[];
  /** `station/class` pairs, for the station × class breakdown. */
  byStationClass: ParetoBar[];
}

export function defectPareto(defects: readonly Pick<DefectRecord, 'class' | 'station'>[]): DefectPareto {
  return {
    total: defects.length,
    byClass: pareto(defects.map((d) => d.class)),
    byStation: pareto(defects.map((d) => d.station)),
    byStationClass: pareto(defects.map((d) => `${d.station}/${d.class}`)),
  };
}
