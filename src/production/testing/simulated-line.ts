import type { LineConfig } from '../../config/line-schema.ts';
import { plannedIntervals } from '../../config/shift-times.ts';
import type { ManualClock } from '../../core/clock.ts';
import { SeededRandom } from '../../sim/random.ts';
import type { LineTracker } from '../line-tracker.ts';
import type { FakeLinePlc } from './fake-line-plc.ts';
import type { FakeStationVision } from './fake-station-vision.ts';

export interface SimulatedShiftOptions {
  line: LineConfig;
  clock: ManualClock;
  plc: FakeLinePlc;
  vision: FakeStationVision;
  tracker: LineTracker;
  /** Resolves once the tracker has finished `n` parts in all. */
  untilTracked: (n: number) => Promise<void>;
  seed: number;
  date: string;
  shiftName: string;
  faultAt: string;
  faultMs: number;
  faultCode: string;
  microStopRate: number;
  microStopMs: number;
  jitterMs: number;
  /** Chance per part of each defect class (independent). */
  defectRates: Record<string, number>;
  /** Called after each part with its number (1-based), e.g. to take the database down mid-shift. */
  afterPart?: (n: number) => Promise<void> | void;
}

/**
 * Drives a shift, time-scaled on the ManualClock, through the tracker's real path: the fake
 * PLC pulses `Part.Completed` each cycle (ideal + jitter, plus a micro-stop on some cycles with
 * the line still running), changes `Line.State` for one fault (with its alarm code) and the
 * planned breaks, and the fake camera answers each trigger with scores drawn from the
 * configured defect rates. Returns the truth the configuration implies.
 */
export async function runSimulatedShift(o: SimulatedShiftOptions) {
  const random = new SeededRandom(o.seed);
  const { line, clock, plc } = o;
  const shift = line.shifts.find((s) => s.name === o.shiftName)!;
  const planned = plannedIntervals(shift, o.date, line.utc_offset_minutes);
  const midnight = Date.parse(`${o.date}T00:00:00Z`) - line.utc_offset_minutes * 60_000;
  const at = (hhmm: string) => {
    const [h, m] = hhmm.split(':').map(Number);
    return midnight + (h! * 60 + m!) * 60_000;
  };
  const interruptions = [
    { start: at(o.faultAt), end: at(o.faultAt) + o.faultMs, state: 3, alarm: o.faultCode },
    ...planned.slice(1).map((p, i) => ({ start: planned[i]!.end, end: p.start, state: 0, alarm: undefined })),
  ].sort((a, b) => a.start - b.start);
  const advanceTo = async (time: number) => {
    if (time > clock.now()) await clock.advance(time - clock.now());
  };
  await advanceTo(planned[0]!.start);
  plc.set(line.state_tag, 1);
  const end = planned.at(-1)!.end;
  const scores = Object.fromEntries(
    Object.values(line.stations[0]!.defect_classes).map((output) => [output, 0]),
  );
  let n = 0;
  let defective = 0;
  while (clock.now() < end) {
    const t = clock.now();
    const next = interruptions.find((i) => i.end > t);
    const cycle =
      line.ideal_cycle_ms +
      o.jitterMs * random.next() +
      (random.next() < o.microStopRate ? o.microStopMs : 0);
    if (next && t + cycle > next.start) {
      await advanceTo(next.start);
      plc.set(line.state_tag, next.state);
      if (next.alarm) o.tracker.recordAlarm(next.alarm, true, 'simulated fault');
      await advanceTo(next.end);
      if (next.alarm) o.tracker.recordAlarm(next.alarm, false);
      plc.set(line.state_tag, 1);
      continue;
    }
    if (t + cycle > end) break;
    await clock.advance(cycle);
    n += 1;
    const fields: Record<string, number> = {
      judgement: 0,
      width_mm: 10 + 0.03 * random.gaussian(),
      ...scores,
    };
    let any = false;
    for (const [cls, output] of Object.entries(line.stations[0]!.defect_classes)) {
      const hit = random.next() < (o.defectRates[cls] ?? 0);
      fields[output] = hit ? 0.8 + 0.2 * random.next() : 0.3 * random.next();
      any ||= hit;
    }
    if (any) {
      fields.judgement = 1;
      defective += 1;
    }
    o.vision.script({ fields });
    plc.completePart({ 'Part.Id': `S${n}`, 'Part.Sku': 'SKU-1' });
    await o.untilTracked(n);
    await o.afterPart?.(n);
  }
  // the line runs to the end of the shift (the last, unfinished cycle makes no part)
  await advanceTo(end);
  plc.set(line.state_tag, 0);
  const plannedMs = planned.reduce((s, p) => s + p.end - p.start, 0);
  return {
    parts: n,
    defective,
    truth: {
      availability: (plannedMs - o.faultMs) / plannedMs,
      performance:
        line.ideal_cycle_ms / (line.ideal_cycle_ms + o.jitterMs / 2 + o.microStopRate * o.microStopMs),
      quality: Object.values(o.defectRates).reduce((q, r) => q * (1 - r), 1),
    },
  };
}
