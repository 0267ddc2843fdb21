import { randomUUID } from 'node:crypto';
import type { DefectRecord, LineEvent, PartRecord } from '../line-records.ts';

export function storedPart(overrides: Partial<PartRecord> = {}): PartRecord {
  return {
    id: randomUUID(),
    lineId: 'assembly1',
    partId: `P-${randomUUID().slice(0, 8)}`,
    sku: 'SKU-1',
    batch: 'B20261201',
    station: 'station01',
    result: 'pass',
    reason: null,
    cycleTimeMs: 1234.5,
    qualityScore: 0.98,
    attempt: 1,
    measures: { width_mm: 10.02 },
    time: Date.UTC(2026, 11, 1, 7, 0, 0),
    ...overrides,
  };
}

export function storedDefect(part: PartRecord, overrides: Partial<DefectRecord> = {}): DefectRecord {
  return {
    id: randomUUID(),
    inspectionId: part.id,
    partId: part.partId,
    lineId: part.lineId,
    station: part.station,
    class: 'scratch',
    confidence: 0.91,
    box: { x: 120, y: 80, width: 16, height: 9 },
    disposition: 'pending',
    note: null,
    dispositionBy: null,
    dispositionAt: null,
    time: part.time,
    ...overrides,
  };
}

export function stateEvent(
  time: number,
  state: LineEvent['state'],
  previousDurationMs: number | null = null,
): LineEvent {
  return {
    id: randomUUID(),
    lineId: 'assembly1',
    time,
    kind: 'state',
    state,
    previousDurationMs,
    code: null,
    message: null,
  };
}
