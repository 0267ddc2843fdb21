import type { FrameData } from './fourier-accumulator.ts';
import type { FrameDtype } from './fourier-worker-protocol.ts';
import type { SweepTiming } from './sweep-timing.ts';

export const DIRECTIONS = ['LR', 'RL', 'TB', 'BT'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** The forward direction of each axis and its reverse (stage 2 pairs them). */
export const AXES = {
  azimuth: { forward: 'LR', reverse: 'RL' },
  altitude: { forward: 'TB', reverse: 'BT' },
} as const satisfies Record<string, { forward: Direction; reverse: Direction }>;

export interface FrameChunk {
  /** count frames of width × height, one after the other. */
  frames: FrameData;
  /** Each frame's timestamp (µs, the same clock as the sweep timing). */
  timestampsUs: ArrayLike<number | bigint>;
}

/** One direction of a session as the analysis sees it, whatever the file layout. */
export interface DirectionRecording {
  direction: Direction;
  width: number;
  height: number;
  frameCount: number;
  timing: SweepTiming;
  /** Frames [start, start + count). */
  readFrames(start: number, count: number): Promise<FrameChunk>;
  /** Set when every frame lies whole in a file: the workers read them there themselves. */
  framesInFile?: FramesOnDisk;
}

/** Where a recording's frames lie in its file, and their timestamps. */
export interface FramesOnDisk {
  path: string;
  dtype: FrameDtype;
  /** Byte offset of each frame. */
  offsets: Float64Array;
  timestampsUs: ArrayLike<number | bigint>;
}
