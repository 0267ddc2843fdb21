import type { PartRecord, PartResult } from '../line-records.ts';

let counter = 0;

/** A part record with defaults, for tests. */
export function partRecord(
  overrides: Partial<PartRecord> & { partId: string; result: PartResult },
): PartRecord {
  counter += 1;
  return {
    id: `inspection-${counter}`,
    lineId: 'assembly1',
    sku: 'SKU-1',
    batch: 'B20261201',
    station: 'station01',
    reason: null,
    cycleTimeMs: null,
    qualityScore: null,
    attempt: 1,
    measures: {},
    time: 0,
    ...overrides,
  };
}
