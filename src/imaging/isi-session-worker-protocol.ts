import type { Frame } from '../core/frame.ts';
import type { PresentedStimulusFrame } from '../core/stimulus-frame.ts';
import type { AttrValue } from '../storage/hdf5/swmr-run-file.ts';
import type { AnatomicalImage } from './anatomical-image.ts';
import type { SessionStart } from './isi-session-file.ts';

/** Messages between `IsiSessionWriter` (main thread) and `isi-session-worker.ts`, in posting order. */

export type ToSessionWorker =
  /** The pixels' buffer is transferred, not copied. */
  | { t: 'camera'; dir: string; frame: Frame }
  | { t: 'stimulus'; dir: string; frames: PresentedStimulusFrame[] }
  | { t: 'anatomical'; image: AnatomicalImage }
  | { t: 'latency'; latencyMs: number }
  | { t: 'flush'; id: number }
  | { t: 'close'; id: number; attrs: Record<string, AttrValue> };

export interface SessionWorkerData {
  path: string;
  start: SessionStart;
}

export type FromSessionWorker =
  | { t: 'opened' }
  /** Messages handled so far (the writer's queue is posted − processed). */
  /** `spares`: pixel buffers of frames written, given back (transferred) for the next copies. */
  | { t: 'progress'; processed: number; cameraFramesWritten: number; spares: ArrayBuffer[] }
  | { t: 'done'; id: number; processed: number; cameraFramesWritten: number }
  /** The first write failure; nothing more is written. */
  | { t: 'failed'; message: string };
