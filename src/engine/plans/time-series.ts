import { type Static, Type } from '@sinclair/typebox';
import {
  checkpoint,
  closeRun,
  openRun,
  type PlanGenerator,
  sleepUntil,
  triggerAndRead,
} from '../messages.ts';
import { deviceName } from '../plan-arg-roles.ts';
import type { PlanDefinition, PlanSize } from '../plan-definition.ts';

export const TimeSeriesArgs = Type.Object(
  {
    signals: Type.Array(deviceName('readable', 'Signal to record'), { minItems: 1 }),
    interval_s: Type.Number({ exclusiveMinimum: 0, description: 'Seconds between points', 'x-unit': 's' }),
    duration_s: Type.Number({ minimum: 0, description: 'Length of the series', 'x-unit': 's' }),
  },
  { additionalProperties: false },
);
export type TimeSeriesArgs = Static<typeof TimeSeriesArgs>;

/** Points at 0, interval, 2·interval … up to and including duration (a tolerance absorbs float error). */
export function timeSeriesPoints(intervalS: number, durationS: number): number {
  return Math.floor(durationS / intervalS + 1e-9) + 1;
}

/**
 * Reads the signals on a deadline schedule: point k is due k·interval_s after the run opened,
 * whatever the previous points cost, so lateness never accumulates into drift. The points due
 * while an instrument was away are events without values: the series keeps its length and the
 * gap shows as a gap.
 */
export function* timeSeries(args: TimeSeriesArgs): PlanGenerator {
  const num = timeSeriesPoints(args.interval_s, args.duration_s);
  yield openRun(
    { signals: args.signals },
    { num_points: num, hints: { dimensions: [[['time'], 'primary']] } },
  );
  for (let k = 0; k < num; k++) {
    yield checkpoint();
    yield sleepUntil(k * args.interval_s);
    // A point whose slot passed while the run was suspended is recorded as missing.
    yield triggerAndRead(args.signals, 'primary', {
      due_s: k * args.interval_s,
      late_after_s: args.interval_s,
    });
  }
  yield closeRun();
}

export const timeSeriesPlan: PlanDefinition<TimeSeriesArgs> = {
  name: 'time_series',
  description: 'Read signals every interval_s for duration_s, on a fixed schedule (no drift)',
  args: TimeSeriesArgs,
  size: (args): PlanSize => ({
    points: { count: timeSeriesPoints(args.interval_s, args.duration_s), path: '/interval_s' },
    duration: { seconds: args.duration_s, path: '/duration_s' },
  }),
  plan: timeSeries,
};
