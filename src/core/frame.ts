/**
 * One camera frame. Pixels are row-major uint16 in their own ArrayBuffer (never a view into a
 * shared ring), so a frame can be transferred to a worker thread without copying.
 */
export interface Frame {
  pixels: Uint16Array;
  width: number;
  height: number;
  /** Camera frame counter; a gap means frames were lost before this point (and counted). */
  frameNumber: number;
  /** Epoch milliseconds at the end of readout. */
  timestamp: number;
  bitDepth: number;
  exposureMs: number;
}
