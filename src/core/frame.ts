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
