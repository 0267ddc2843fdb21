import { BenchtopError } from '../../../core/errors.ts';
import type { SweepTiming } from '../sweep-timing.ts';

/**
 * Sweep timing from a direction's presented stimulus frames (the guide's `{dir}_stimulus.h5`:
 * timestamps µs, frame_indices, angles): a new sweep starts where the frame index goes back or
 * the frames pause for longer than five frame intervals. Each sweep's first and last frame give
 * S, E and the travel time T_s (the last frame is taken to show the end position); the period T is
 * the median spacing of sweep starts (T_s when there is a single sweep).
 */
export function sweepTimingFromStimulus(
  direction: string,
  timestampsUs: ArrayLike<number | bigint>,
  frameIndices: ArrayLike<number | bigint>,
  angles: ArrayLike<number>,
): SweepTiming {
  const n = timestampsUs.length;
  if (n < 2 || angles.length !== n || frameIndices.length !== n) {
    throw new BenchtopError(
      'VALUE_INVALID',
      `${direction}: the stimulus record holds ${n} frames (with ${angles.length} angles, ${frameIndices.length} indices); at least 2 aligned frames are needed to time the sweeps`,
      { direction, frames: n },
    );
  }
  const t = Array.from({ length: n }, (_, k) => Number(timestampsUs[k]));
  const steps = t.slice(1).map((v, k) => v - (t[k] as number));
  const medianStep = median(steps);
  const starts = [0];
  for (let k = 1; k < n; k++) {
    const reset = Number(frameIndices[k]) < Number(frameIndices[k - 1]);
    if (reset || (t[k] as number) - (t[k - 1] as number) > 5 * medianStep) starts.push(k);
  }
  const first = starts[0] as number;
  const firstEnd = (starts[1] ?? n) - 1;
  const sweepS = ((t[firstEnd] as number) - (t[first] as number)) / 1e6;
  const startTimes = starts.map((k) => t[k] as number);
  const periodS =
    starts.length > 1
      ? median(startTimes.slice(1).map((v, k) => v - (startTimes[k] as number))) / 1e6
      : sweepS;
  if (!(sweepS > 0) || !(periodS >= sweepS * 0.999)) {
    throw new BenchtopError(
      'VALUE_INVALID',
      `${direction}: sweeps of ${sweepS} s every ${periodS} s cannot be analysed`,
      {
        direction,
        sweepS,
        periodS,
      },
    );
  }
  return {
    startUs: t[0] as number,
    periodS,
    sweepS: Math.min(sweepS, periodS),
    cycles: starts.length,
    startDeg: angles[first] as number,
    endDeg: angles[firstEnd] as number,
  };
}

/** The median (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
