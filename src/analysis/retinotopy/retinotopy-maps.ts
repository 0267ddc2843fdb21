import { BenchtopError } from '../../core/errors.ts';
import { AXES, DIRECTIONS, type Direction, type DirectionRecording } from './direction-recording.ts';
import type { FourierMaps, ReadOutOptions } from './fourier-accumulator.ts';
import type { FourierWorkerPool } from './fourier-worker-pool.ts';
import { OnlineFourier } from './online-fourier.ts';
import { positionFromOppositeSweeps } from './position-maps.ts';
import { visualFieldSign } from './visual-field-sign.ts';

export interface RetinotopyMapOptions {
  /** Frames read and accumulated per step. Any value gives the same maps. */
  chunkFrames?: number;
  cameraFlip?: boolean;
  /** coherence_vfs_map keeps the VFS only where all four directions' coherence reach this. */
  coherenceThreshold?: number;
  /** See ReadOutOptions.leakageCorrection (default true). */
  leakageCorrection?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface RetinotopyMaps {
  width: number;
  height: number;
  fourier: Record<Direction, FourierMaps>;
  /** Degrees. */
  azimuth: Float64Array;
  altitude: Float64Array;
  /** Radians of each axis's sweep period. */
  azimuthDelay: Float64Array;
  altitudeDelay: Float64Array;
  rawVfs: Float64Array;
  coherenceVfs: Float64Array;
}

/** Stage 1 over every frame of one direction, chunk by chunk. */
export async function accumulateDirection(
  pool: FourierWorkerPool,
  recording: DirectionRecording,
  chunkFrames: number,
  onChunk?: (frames: number) => void,
  options: ReadOutOptions = {},
): Promise<FourierMaps> {
  const fourier = new OnlineFourier(pool, recording.width, recording.height, recording.timing);
  // One chunk with the workers while the next is read: reading and accumulating overlap, and
  // at most two chunks are held (addFrames posts chunks in order, so the sums are the same).
  let pending: Promise<void> = Promise.resolve();
  for (let start = 0; start < recording.frameCount; start += chunkFrames) {
    const count = Math.min(chunkFrames, recording.frameCount - start);
    const chunk = await recording.readFrames(start, count);
    await pending;
    pending = fourier.addFrames(chunk.frames, chunk.timestampsUs);
    onChunk?.(count);
  }
  await pending;
  return await fourier.maps(options);
}

/** Stages 2 and 3 from the four directions' stage-1 maps. */
export function mapsFromFourier(
  fourier: Record<Direction, FourierMaps>,
  recordings: Record<Direction, DirectionRecording>,
  options: Pick<RetinotopyMapOptions, 'cameraFlip' | 'coherenceThreshold'> = {},
): RetinotopyMaps {
  const { width, height } = fourier.LR;
  const axis = (name: keyof typeof AXES) => {
    const { forward, reverse } = AXES[name];
    const timing = recordings[forward].timing;
    return positionFromOppositeSweeps(fourier[forward].phase, fourier[reverse].phase, {
      startDeg: timing.startDeg,
      endDeg: timing.endDeg,
      travelRatio: timing.sweepS / timing.periodS,
    });
  };
  const az = axis('azimuth');
  const alt = axis('altitude');
  const rawVfs = visualFieldSign(az.position, alt.position, width, height, {
    cameraFlip: options.cameraFlip ?? false,
  });
  const threshold = options.coherenceThreshold ?? 0;
  const coherenceVfs = rawVfs.map((v, i) =>
    DIRECTIONS.every((d) => (fourier[d].coherence[i] as number) >= threshold) ? v : 0,
  );
  return {
    width,
    height,
    fourier,
    azimuth: az.position,
    altitude: alt.position,
    azimuthDelay: az.delay,
    altitudeDelay: alt.delay,
    rawVfs,
    coherenceVfs,
  };
}

/** All four directions must have frames of one size (the maps combine them pixel by pixel). */
export function assertSameFrameSize(recordings: Record<Direction, DirectionRecording>): void {
  const { width, height } = recordings.LR;
  for (const d of DIRECTIONS) {
    if (recordings[d].width !== width || recordings[d].height !== height) {
      throw new BenchtopError('VALUE_INVALID', `direction ${d} has frames of another size than LR`, {
        direction: d,
      });
    }
  }
}

/** Stages 1–3 for a whole session. */
export async function computeRetinotopyMaps(
  pool: FourierWorkerPool,
  recordings: Record<Direction, DirectionRecording>,
  options: RetinotopyMapOptions = {},
): Promise<RetinotopyMaps> {
  assertSameFrameSize(recordings);
  const chunkFrames = Math.max(1, Math.floor(options.chunkFrames ?? 64));
  const total = DIRECTIONS.reduce((s, d) => s + recordings[d].frameCount, 0);
  let done = 0;
  const fourier = {} as Record<Direction, FourierMaps>;
  for (const d of DIRECTIONS) {
    fourier[d] = await accumulateDirection(
      pool,
      recordings[d],
      chunkFrames,
      (n) => {
        done += n;
        options.onProgress?.(done, total);
      },
      { leakageCorrection: options.leakageCorrection ?? true },
    );
  }
  return mapsFromFourier(fourier, recordings, options);
}
