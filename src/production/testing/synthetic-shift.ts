import { randomUUID } from 'node:crypto';
import type { LineConfig } from '../../config/line-schema.ts';
import { plannedIntervals } from '../../config/shift-times.ts';
import { SeededRandom } from '../../sim/random.ts';
import { batchOf, type DefectRecord, type LineEvent, type PartRecord } from '../line-records.ts';
import type { LineWriteBatch } from '../store/line-store.ts';

export interface SyntheticShiftOptions {
  seed: number;
  date: string;
  shiftName: string;
  /** When the fault starts (HH:MM) and how long it lasts. */
  faultAt: string;
  faultMs: number;
  faultCode: string;
  /** Fraction of cycles with a micro-stop, and its length (the line stays running). */
  microStopRate: number;
  microStopMs: number;
  jitterMs: number;
  /** Per-class chance of a defect (independent); classes in rework_classes rework, others scrap. */
  defectRates: Record<string, number>;
}

/**
 * A shift's records as a well-behaved line would produce them, with its truth: the
 * availability, performance and quality the configuration implies. For report and KPI tests.
 */
export function syntheticShiftRecords(line: LineConfig, o: SyntheticShiftOptions) {
  const random = new SeededRandom(o.seed);
  const shift = line.shifts.find((s) => s.name === o.shiftName)!;
  const planned = plannedIntervals(shift, o.date, line.utc_offset_minutes);
  const midnight = Date.parse(`${o.date}T00:00:00Z`) - line.utc_offset_minutes * 60_000;
  const at = (hhmm: string) => {
    const [h, m] = hhmm.split(':').map(Number);
    return midnight + (h! * 60 + m!) * 60_000;
  };
  const interruptions = [
    { start: at(o.faultAt), end: at(o.faultAt) + o.faultMs, state: 'fault' as const },
    ...planned.slice(1).map((p, i) => ({ start: planned[i]!.end, end: p.start, state: 'stopped' as const })),
  ].sort((a, b) => a.start - b.start);
  const station = line.stations[0]!;
  const parts: PartRecord[] = [];
  const defects: DefectRecord[] = [];
  const events: LineEvent[] = [];
  const event = (time: number, e: Partial<LineEvent>): LineEvent => ({
    id: randomUUID(),
    lineId: line.id,
    time,
    kind: 'state',
    state: null,
    previousDurationMs: null,
    code: null,
    message: null,
    ...e,
  });
  let t = planned[0]!.start;
  const end = planned.at(-1)!.end;
  events.push(event(t, { state: 'running' }));
  let n = 0;
  while (t < end) {
    const next = interruptions.find((i) => i.end > t);
    const cycle =
      line.ideal_cycle_ms +
      o.jitterMs * random.next() +
      (random.next() < o.microStopRate ? o.microStopMs : 0);
    if (next && t + cycle > next.start) {
      events.push(event(next.start, { state: next.state, previousDurationMs: next.start - t }));
      if (next.state === 'fault') {
        events.push(event(next.start, { kind: 'alarm_raised', code: o.faultCode, message: 'fault' }));
        events.push(event(next.end, { kind: 'alarm_cleared', code: o.faultCode }));
      }
      events.push(event(next.end, { state: 'running', previousDurationMs: next.end - next.start }));
      t = next.end;
      continue;
    }
    if (t + cycle > end) break;
    t += cycle;
    n += 1;
    const found = Object.entries(o.defectRates)
      .filter(([, rate]) => random.next() < rate)
      .map(([cls]) => cls);
    const result =
      found.length === 0
        ? 'pass'
        : found.every((c) => station.rework_classes.includes(c))
          ? 'rework'
          : 'fail';
    const part: PartRecord = {
      id: randomUUID(),
      lineId: line.id,
      partId: `P${n}`,
      sku: 'SKU-1',
      batch: batchOf(t, line.utc_offset_minutes),
      station: station.id,
      result,
      reason: null,
      cycleTimeMs: cycle,
      qualityScore: found.length ? 0.1 : 0.95,
      attempt: 1,
      measures: { width_mm: 10 + 0.03 * random.gaussian() },
      time: t,
    };
    parts.push(part);
    for (const cls of found)
      defects.push({
        id: randomUUID(),
        inspectionId: part.id,
        partId: part.partId,
        lineId: line.id,
        station: station.id,
        class: cls,
        confidence: 0.9,
        box: { x: 10, y: 20 },
        disposition: 'pending',
        note: null,
        dispositionBy: null,
        dispositionAt: null,
        time: t,
      });
  }
  const plannedMs = planned.reduce((s, p) => s + p.end - p.start, 0);
  const goodChance = Object.values(o.defectRates).reduce((q, r) => q * (1 - r), 1);
  const truth = {
    availability: (plannedMs - o.faultMs) / plannedMs,
    performance:
      line.ideal_cycle_ms / (line.ideal_cycle_ms + o.jitterMs / 2 + o.microStopRate * o.microStopMs),
    quality: goodChance,
  };
  const batch: LineWriteBatch = { parts, defects, events };
  return { batch, truth, planned };
}
