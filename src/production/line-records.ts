/**
 * What a production line records: parts, the defects found on them and the line's events. The
 * KPIs are computed from these facts only, so a report can always be recomputed from the store.
 * Times are epoch milliseconds.
 */
export const PartResults = ['pass', 'fail', 'rework', 'pending'] as const;
export type PartResult = (typeof PartResults)[number];

export const Dispositions = ['pending', 'accept', 'reject', 'rework'] as const;
export type Disposition = (typeof Dispositions)[number];

/** Line.State values: 0 stopped, 1 running, 2 paused, 3 fault. */
export const LineStates = ['stopped', 'running', 'paused', 'fault'] as const;
export type LineState = (typeof LineStates)[number];

export function lineStateOf(code: number): LineState | undefined {
  return LineStates[code];
}

/** One inspection of one part; a reworked part inspected again is a second record (attempt 2). */
export interface PartRecord {
  /** Unique per inspection (the row key). */
  id: string;
  lineId: string;
  /** The part's own id as the PLC gives it; shared by its re-inspections. */
  partId: string;
  sku: string;
  /** `BYYYYMMDD` of the factory-local day the part was made. */
  batch: string;
  station: string;
  result: PartResult;
  /** Why the result is what it is when not a plain judgement (e.g. the vision timed out). */
  reason: string | null;
  cycleTimeMs: number | null;
  /** 0..1, 1 = no defect evidence at all. */
  qualityScore: number | null;
  /** 1 for the first inspection, 2+ for re-inspections after rework. */
  attempt: number;
  /** Measure outputs of the inspection, for SPC. */
  measures: Record<string, number>;
  time: number;
}

export interface BoundingBox {
  x: number;
  y: number;
  width?: number;
  height?: number;
}

export interface DefectRecord {
  id: string;
  /** The inspection (PartRecord.id) it was found in. */
  inspectionId: string;
  partId: string;
  lineId: string;
  station: string;
  class: string;
  confidence: number;
  box: BoundingBox | null;
  disposition: Disposition;
  note: string | null;
  dispositionBy: string | null;
  dispositionAt: number | null;
  time: number;
}

export type LineEventKind = 'state' | 'alarm_raised' | 'alarm_cleared';

/**
 * A state change (the new state, and how long the previous one lasted) or an alarm raised or
 * cleared; downtime is attributed to the alarm codes.
 */
export interface LineEvent {
  id: string;
  lineId: string;
  time: number;
  kind: LineEventKind;
  state: LineState | null;
  /** For a state change: how long the previous state lasted (ms), when known. */
  previousDurationMs: number | null;
  code: string | null;
  message: string | null;
}

/** An alarm as an interval, from its raised and cleared events. */
export interface AlarmSpan {
  code: string;
  raisedAt: number;
  clearedAt: number | null;
}

/** Pairs alarm_raised/alarm_cleared events by code into spans (an unmatched raise stays open). */
export function alarmSpans(events: readonly LineEvent[]): AlarmSpan[] {
  const open = new Map<string, AlarmSpan>();
  const spans: AlarmSpan[] = [];
  for (const e of [...events].sort((a, b) => a.time - b.time)) {
    if (!e.code) continue;
    if (e.kind === 'alarm_raised' && !open.has(e.code)) {
      const span = { code: e.code, raisedAt: e.time, clearedAt: null };
      open.set(e.code, span);
      spans.push(span);
    } else if (e.kind === 'alarm_cleared') {
      const span = open.get(e.code);
      if (span) {
        span.clearedAt = e.time;
        open.delete(e.code);
      }
    }
  }
  return spans;
}

/** `B20261201` for the factory-local calendar day of `time`. */
export function batchOf(time: number, utcOffsetMinutes: number): string {
  const local = new Date(time + utcOffsetMinutes * 60_000);
  return `B${local.toISOString().slice(0, 10).replaceAll('-', '')}`;
}
