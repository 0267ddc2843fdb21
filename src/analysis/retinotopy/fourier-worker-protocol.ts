/** Messages between OnlineFourier and its stage-1 workers (fourier-worker.ts). */
export type FrameDtype = 'uint8' | 'uint16' | 'uint32' | 'int16' | 'float32' | 'float64';

export interface AccumulateRequest {
  id: number;
  /** The direction's PixelSums (SUMS_PER_PIXEL × pixels float64). */
  sums: SharedArrayBuffer;
  pixels: number;
  /** frameCount frames of `pixels` values each, of type dtype. */
  frames: SharedArrayBuffer;
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
