import type { ShiftConfig } from './line-schema.ts';

const MINUTES_PER_DAY = 24 * 60;
const MS_PER_MINUTE = 60_000;

/** "06:30" → 390 (minutes after midnight). */
export function clockMinutes(text: string): number {
  const [h, m] = text.split(':').map(Number);
  return h! * 60 + m!;
}

/** A span in minutes after the shift day's midnight; `end` may pass 1440 (night shift). */
export interface MinuteSpan {
  start: number;
  end: number;
}

/** The shift's span: an end at or before the start is on the next day. */
export function shiftSpan(shift: Pick<ShiftConfig, 'start' | 'end'>): MinuteSpan {
  const start = clockMinutes(shift.start);
  let end = clockMinutes(shift.end);
  if (end <= start) end += MINUTES_PER_DAY;
  return { start, end };
}

/** A break "10:00-10:20" placed inside the shift's span (moved to the next day if the shift is). */
export function breakSpan(shift: Pick<ShiftConfig, 'start' | 'end'>, range: string): MinuteSpan {
  const span = shiftSpan(shift);
  const [a, b] = range.split('-') as [string, string];
  let start = clockMinutes(a);
  let end = clockMinutes(b);
  if (start < span.start) start += MINUTES_PER_DAY;
  if (end <= start) end += MINUTES_PER_DAY;
  return { start, end };
}

/** Whether two shifts overlap on the 24-hour circle (touching ends do not). */
export function shiftsOverlap(a: ShiftConfig, b: ShiftConfig): boolean {
  const x = shiftSpan(a);
  const y = shiftSpan(b);
  for (const shift of [-MINUTES_PER_DAY, 0, MINUTES_PER_DAY]) {
    if (x.start < y.end + shift && y.start + shift < x.end) return true;
  }
  return false;
}

/** Absolute epoch-ms interval. */
export interface TimeInterval {
  start: number;
  end: number;
}

/**
 * The planned busy time of one shift on one day: its span minus its breaks, in epoch ms.
 * `date` is the factory-local calendar day the shift starts on ("2026-12-01").
 */
export function plannedIntervals(shift: ShiftConfig, date: string, utcOffsetMinutes: number): TimeInterval[] {
  const midnight = Date.parse(`${date}T00:00:00Z`) - utcOffsetMinutes * MS_PER_MINUTE;
  const span = shiftSpan(shift);
  const breaks = shift.breaks.map((b) => breakSpan(shift, b)).sort((p, q) => p.start - q.start);
  const out: MinuteSpan[] = [];
  let cursor = span.start;
  for (const b of breaks) {
    const start = Math.max(b.start, span.start);
    const end = Math.min(b.end, span.end);
    if (end <= start) continue;
    if (start > cursor) out.push({ start: cursor, end: start });
    cursor = Math.max(cursor, end);
  }
  if (cursor < span.end) out.push({ start: cursor, end: span.end });
  return out.map((m) => ({
    start: midnight + m.start * MS_PER_MINUTE,
    end: midnight + m.end * MS_PER_MINUTE,
  }));
}

/** The whole shift (breaks included) in epoch ms: the window its parts and events are read from. */
export function shiftWindow(shift: ShiftConfig, date: string, utcOffsetMinutes: number): TimeInterval {
  const midnight = Date.parse(`${date}T00:00:00Z`) - utcOffsetMinutes * MS_PER_MINUTE;
  const span = shiftSpan(shift);
  return { start: midnight + span.start * MS_PER_MINUTE, end: midnight + span.end * MS_PER_MINUTE };
}
