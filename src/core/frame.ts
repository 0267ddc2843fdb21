/** A colour filter array's 2×2 tile, read from the frame's top-left pixel (PFNC's BayerRG → 'RGGB'). */
export type BayerPattern = 'RGGB' | 'GRBG' | 'GBRG' | 'BGGR';

/**
 * One camera frame. Pixels are row-major uint16 in their own ArrayBuffer (never a view into a
 * shared ring), so a frame can be transferred to a worker thread without copying. A colour
 * frame is either a raw Bayer mosaic (one sample per pixel, `bayerPattern` set) or RGB
 * (`channels: 3`, samples interleaved R, G, B: `pixels.length` is width × height × 3).
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
  /** Samples per pixel; 1 when absent. */
  channels?: 1 | 3;
  /** Set for a raw frame from a sensor behind a colour filter array. */
  bayerPattern?: BayerPattern;
  /**
   * Set when the pixels are not here but in a file where the camera is (a camera on another
   * host): `pixels` is empty and this frame is the next row of that file. The run's documents
   * reference the file (stream_resource with these fields) and list `file` among its files.
   */
  storedAt?: StoredFrames;
}

/** Where frames kept by their camera's host are: the stream_resource fields and the run's file entry. */
export interface StoredFrames {
  mimetype: string;
  uri: string;
  parameters: Record<string, unknown>;
  /** The run's file entry for it (a name the hub knows how to fetch). */
  file: string;
}

/** The frame's array shape: [height, width] or, for RGB, [height, width, 3]. */
export function frameShape(frame: Pick<Frame, 'width' | 'height' | 'channels'>): number[] {
  return frame.channels === 3 ? [frame.height, frame.width, 3] : [frame.height, frame.width];
}
