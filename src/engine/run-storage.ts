import type { RunDocument, RunStart, RunStop, StreamResource } from '../core/documents.ts';
import type { Frame } from '../core/frame.ts';

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
  /**
   * Camera frames compressed on worker threads (HDF5 `camera_compression`): the compressor
   * queue (peak, overflow = frames refused), how busy its threads and the writer's disk writes
   * are, and which of the two limits the writer.
   */
  compression?: {
    codec: string;
    level: number;
    threads: number;
    queued: number;
    peak: number;
    capacity: number;
    overflow: number;
    rawBytes: number;
    compressedBytes: number;
    busy: number;
    diskBusy: number;
    limitingStage: 'compressor' | 'disk';
  };
  /**
   * The nice value the writer's threads asked for (HDF5 `writer_nice`) and whether they got it;
   * `applied` null means they run at the process's own priority (see `refused`).
   */
  threadNice?: { requested: number; applied: number | null; refused?: string };
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
  /**
   * Whether `frame` takes frames stored on another host (Frame.storedAt, no pixels) to keep
   * their per-frame metadata beside the link to that file; otherwise such frames are not passed.
   */
  readonly recordsFramesElsewhere?: boolean;
  /** Everything queued so far is on disk (checkpoints, auto-flush). */
  flush(): Promise<void>;
  /** Writes what is queued, closes the files and returns their paths (relative to output_dir). */
  close(): Promise<{ files: string[] }>;
  stats(): WriterStats;
}

/**
 * Where the engine records runs in the catalog. `RunCatalog` (src/storage/catalog) is the
 * real one; the engine only needs these calls.
 */
export interface RunRecorder {
  recordStart(start: RunStart, format: string): unknown;
  /** Every document, in order (the start document included). */
  document(doc: RunDocument): void;
  /** After the writer has closed; `files` are relative to output_dir. */
  recordStop(stop: RunStop, files: string[]): unknown;
  /** Files known while the run is open, so a run cut short by a crash still lists them. */
  addFiles?(uid: string, files: string[]): unknown;
}

/** What a writer tells the engine as it happens, so a loss is never silent. */
export interface WriterReport {
  /** Data refused (queue full, unknown stream, wrong frame size); `dropped` is the total so far. */
  dropped(details: { dropped: number; reason?: string; key?: string; kind?: string }): void;
  /** The writer failed and writes nothing more: the run ends with exit_status fail. */
  failed(error: unknown): void;
  /** Data stored differently from how it arrived (a wrong type, an inconsistent frame). */
  warned(message: string, details: Record<string, unknown>): void;
}

/** Where a writer puts a camera data key's frames, for the stream_resource document. */
export type FrameResourceFields = Pick<StreamResource, 'mimetype' | 'uri' | 'parameters'>;

/**
 * A run's writer, optionally able to say where frames go (the HDF5 writer names its dataset;
 * without it the resource names the writer's format and the data key).
 */
export type EngineRunWriter = RunWriter & {
  /** The files (relative to output_dir) the writer is writing, known from the start document. */
  plannedFiles?(): string[];
  frameResource?(
    stream: string,
    dataKey: string,
    /** [height, width], or [height, width, 3] for RGB frames. */
    shape: readonly number[],
  ): FrameResourceFields;
};

/** Chosen by the app from `[storage] default_backend`; called once per run with its start document. */
export type WriterFactory = (start: RunStart, report: WriterReport) => EngineRunWriter;
