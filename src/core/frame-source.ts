import type { Frame } from './frame.ts';

export interface FrameRequest {
  /** Stop after this many frames… */
  count?: number;
  /** …or after this long (milliseconds on the camera's clock). */
  durationMs?: number;
  /** Exposure for this acquisition; the camera's current exposure when absent. */
  exposureMs?: number;
  /** Aborted when the run stops waiting (pause, suspend, abort): acquisition must stop. */
  signal: AbortSignal;
  /** The run the frames are for (a camera on another host names its frames file by it). */
  run?: string;
}

/**
 * How the engine gets frames from a camera. Frames are too large for the actor's mailbox and
 * the `instrument.reading` topic, so a camera driver (one whose description has the `camera`
 * capability) offers this seam beside its signals: frames arrive in order, as buffers the
 * engine hands to the writer without touching pixels.
 */
export interface FrameSource {
  acquire(request: FrameRequest): AsyncIterable<Frame>;
}
