import type { LineConfig } from '../config/line-schema.ts';
import { type ReportPeriod, shiftPeriod, windowPeriod } from './line-report-data.ts';

/** When no shift is running, live KPIs cover this much of the past. */
const OFF_SHIFT_WINDOW_MS = 8 * 3600_000;

/**
 * The shift running at `now`, from its start to `now` (planned time clipped to it): what the
 * line page's live KPIs are over. Off shift, the last 8 hours.
 */
export function currentShiftPeriod(line: LineConfig, now: number): ReportPeriod {
  const local = now + line.utc_offset_minutes * 60_000;
  const today = Math.floor(local / 86_400_000);
  // A night shift running now may have started on the day before.
  for (const day of [today, today - 1]) {
    const date = new Date(day * 86_400_000).toISOString().slice(0, 10);
    for (const shift of line.shifts) {
      const period = shiftPeriod(line, date, shift.name);
      if (period.window.start <= now && now < period.window.end) {
        const sofar = windowPeriod(line, period.window.start, now);
        return { ...sofar, title: `${period.title} (so far)` };
      }
    }
  }
  return windowPeriod(line, now - OFF_SHIFT_WINDOW_MS, now);
}
