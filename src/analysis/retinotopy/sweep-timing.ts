/**
 * When one direction's sweeps happened, on the camera's clock: what stage 1 needs to turn frame
 * timestamps into phases, and what stage 2 needs to turn phases into degrees.
 */
export interface SweepTiming {
  /** Start of the first sweep (µs, the frames' clock): t = 0 of the phase model. */
  startUs: number;
  /** Sweep repetition period T (s): sweep plus the gap after it. f = 1/T. */
  periodS: number;
  /** Duration of the bar's travel T_s (s), ≤ T. */
  sweepS: number;
  /** Whole cycles analysed: frames in [startUs, startUs + cycles·T) are used, the rest ignored. */
  cycles: number;
  /** Bar position (degrees) at the start and end of each sweep of this direction. */
  startDeg: number;
  endDeg: number;
}

export function sweepFrequencyHz(timing: SweepTiming): number {
  return 1 / timing.periodS;
}

/**
 * Seconds since the first sweep for a frame, or undefined when the frame lies outside the window of
 * whole cycles (baselines, and the part of an unfinished last cycle: a window that is not whole
 * cycles leaks the mean and the conjugate frequency into G).
 */
export function frameTimeInWindow(timing: SweepTiming, timestampUs: number): number | undefined {
  const t = (timestampUs - timing.startUs) / 1e6;
  return t >= 0 && t < timing.cycles * timing.periodS ? t : undefined;
}
