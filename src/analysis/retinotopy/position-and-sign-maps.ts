import { AXES, DIRECTIONS, type Direction } from './direction-recording.ts';
import { type AxisSweep, positionFromOppositeSweeps } from './position-maps.ts';
import type { SweepTiming } from './sweep-timing.ts';
import { visualFieldSign } from './visual-field-sign.ts';

/**
 * Stages 2 and 3 from plain arrays: what the stage worker (stage-worker.ts) receives, so the
 * same function runs on the calling thread (mapsFromFourier) and in the worker.
 */
export interface PositionAndSignInput {
  width: number;
  height: number;
  /** Each direction's stage-1 phase and coherence. */
  phase: Record<Direction, Float64Array>;
  coherence: Record<Direction, Float64Array>;
  sweeps: Record<keyof typeof AXES, AxisSweep>;
  cameraFlip: boolean;
  /** coherence_vfs_map keeps the VFS only where all four directions' coherence reach this. */
  coherenceThreshold: number;
}

export interface PositionAndSignMaps {
  /** Degrees. */
  azimuth: Float64Array;
  altitude: Float64Array;
  /** Radians of each axis's sweep period. */
  azimuthDelay: Float64Array;
  altitudeDelay: Float64Array;
  rawVfs: Float64Array;
  coherenceVfs: Float64Array;
}

/** Each axis's sweep as stage 2 scales it: the forward direction's angles and travel ratio. */
export function axisSweepsOf(
  timings: Record<Direction, { timing: SweepTiming }>,
): Record<keyof typeof AXES, AxisSweep> {
  const sweep = (axis: keyof typeof AXES): AxisSweep => {
    const { timing } = timings[AXES[axis].forward];
    return { startDeg: timing.startDeg, endDeg: timing.endDeg, travelRatio: timing.sweepS / timing.periodS };
  };
  return { azimuth: sweep('azimuth'), altitude: sweep('altitude') };
}

export function positionAndSignMaps(input: PositionAndSignInput): PositionAndSignMaps {
  const { phase, coherence, sweeps, width, height } = input;
  const axis = (name: keyof typeof AXES) =>
    positionFromOppositeSweeps(phase[AXES[name].forward], phase[AXES[name].reverse], sweeps[name]);
  const az = axis('azimuth');
  const alt = axis('altitude');
  const rawVfs = visualFieldSign(az.position, alt.position, width, height, {
    cameraFlip: input.cameraFlip,
  });
  const threshold = input.coherenceThreshold;
  const coherenceVfs = rawVfs.map((v, i) =>
    DIRECTIONS.every((d) => (coherence[d][i] as number) >= threshold) ? v : 0,
  );
  return {
    azimuth: az.position,
    altitude: alt.position,
    azimuthDelay: az.delay,
    altitudeDelay: alt.delay,
    rawVfs,
    coherenceVfs,
  };
}
