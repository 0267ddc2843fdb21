import type { FrameElement } from '../../storage/hdf5/frame-file-offsets.ts';

/** Messages between OnlineFourier and its stage-1 workers (fourier-worker.ts). */
export type FrameDtype = FrameElement;

export interface AccumulateRequest {
  id: number;
  /** The direction's PixelSums (SUMS_PER_PIXEL × pixels float64). */
  sums: SharedArrayBuffer;
  pixels: number;
  /** frameCount frames of `pixels` values each (or of the source size when binned), of type dtype. */
  frames?: SharedArrayBuffer;
  /** Elements from one frame's start to the next in `frames` (default `pixels`; frameStride). */
  stride?: number;
  /** Instead of `frames`: each worker reads its own pixels of the frames from this file. */
  file?: FramesInFile;
  /** Set: the frames are `width` × `height` and each of the `pixels` sums takes a factor × factor block's mean. */
  binning?: FrameBinning;
  dtype: FrameDtype;
  frameCount: number;
  /** cos(ωt) for each frame, then sin(ωt) (2 × frameCount float64). */
  phasors: SharedArrayBuffer;
  from: number;
  to: number;
}

export interface AccumulateDone {
  id: number;
}

/** Source frames binned by block means before they are accumulated (the online maps of a large camera). */
export interface FrameBinning {
  factor: number;
  width: number;
  height: number;
}

/** Frames lying whole in a file, one after another or not (frame-file-offsets.ts finds them). */
export interface FramesInFile {
  path: string;
  /** Byte offset of each of the frameCount frames (`pixels` elements of dtype each). */
  offsets: Float64Array;
}
