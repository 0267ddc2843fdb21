import { BenchtopError } from '../../core/errors.ts';
import { DIRECTIONS, type Direction, type DirectionRecording } from './direction-recording.ts';
import type { FourierMaps, ReadOutOptions } from './fourier-accumulator.ts';
import type { FourierWorkerPool } from './fourier-worker-pool.ts';
import { OnlineFourier } from './online-fourier.ts';
import {
  axisSweepsOf,
  type PositionAndSignInput,
  type PositionAndSignMaps,
  positionAndSignMaps,
} from './position-and-sign-maps.ts';
import type { SweepTiming } from './sweep-timing.ts';

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

export interface RetinotopyMaps extends PositionAndSignMaps {
  width: number;
  height: number;
  fourier: Record<Direction, FourierMaps>;
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

/** The four directions' phases and coherences, as stages 2–3 take them. */
export function positionAndSignInput(
  fourier: Record<Direction, FourierMaps>,
  timings: Record<Direction, { timing: SweepTiming }>,
  options: Pick<RetinotopyMapOptions, 'cameraFlip' | 'coherenceThreshold'> = {},
): PositionAndSignInput {
  const phase = {} as Record<Direction, Float64Array>;
  const coherence = {} as Record<Direction, Float64Array>;
  for (const d of DIRECTIONS) {
    phase[d] = fourier[d].phase;
    coherence[d] = fourier[d].coherence;
  }
  return {
    width: fourier.LR.width,
    height: fourier.LR.height,
    phase,
    coherence,
    sweeps: axisSweepsOf(timings),
    cameraFlip: options.cameraFlip ?? false,
    coherenceThreshold: options.coherenceThreshold ?? 0,
  };
}

/**
 * Stages 2 and 3 from the four directions' stage-1 maps, on the calling thread (the server and
 * the CLI run them in the stage worker, stage-worker-client.ts: the same function there).
 */
export function mapsFromFourier(
  fourier: Record<Direction, FourierMaps>,
  timings: Record<Direction, { timing: SweepTiming }>,
  options: Pick<RetinotopyMapOptions, 'cameraFlip' | 'coherenceThreshold'> = {},
): RetinotopyMaps {
  const { width, height } = fourier.LR;
  return {
    width,
    height,
    fourier,
    ...positionAndSignMaps(positionAndSignInput(fourier, timings, options)),
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

/**
 * Stages 1–3 for a whole session, stages 2–3 on the calling thread (what the tests compare with;
 * the server and the CLI go through RetinotopyAnalysis and its stage worker).
 */
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
