import type { Frame } from '../core/frame.ts';
import type { RunDocument } from '../engine/documents.ts';

/** Counters every writer keeps, reported on the bus and in metrics. */
export interface WriterStats {
  /** Messages waiting in the writer's bounded queue. */
  queued: number;
  capacity: number;
  /** Documents or frames refused because the queue was full (never silent: also on the bus). */
  dropped: number;
  bytesWritten: number;
  /** Of those, camera frame bytes written past the page cache (HDF5 `direct_frame_writes`). */
  bytesWrittenDirect?: number;
  framesWritten: number;
  eventsWritten: number;
  lastFlushAt: number | null;
  /** First write error, if any; the run is marked with it. */
  error: string | null;
}

/**
 * A run's file writer. Documents arrive in order through `document`; camera frames arrive out
 * of band through `frame` (their stream_datum documents reference rows in the file). Neither
 * call blocks: work is queued (bounded) and done off the event loop.
 */
export interface RunWriter {
  /** Backend name: hdf5 | arrow. */
  readonly format: string;
  document(doc: RunDocument): void;
  frame(dataKey: string, frame: Frame): void;
  /** Everything queued so far is on disk (checkpoints, auto-flush). */
  flush(): Promise<void>;
  /** Writes what is queued, closes the files and returns their paths (relative to output_dir). */
  close(): Promise<{ files: string[] }>;
  stats(): WriterStats;
}
