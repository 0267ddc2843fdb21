import type { RunDocument } from '../../core/documents.ts';
import type { ErrorCode } from '../../core/errors.ts';
import type { Frame } from '../../core/frame.ts';
import type { CompressionStats } from './compressed-frame-store.ts';
import type { ThreadNice } from './thread-nice.ts';

/**
 * Frame chunks handed to the compressor threads and not yet written. The writer thread waits
 * for room before it hands over the next frame (`room`), so frames wait in the writer's own
 * bounded queue rather than being refused at the compressor. Here, not beside the compressor, because the
 * main thread reports it too and should not load the codecs (lz4-napi) to know it.
 */
export const COMPRESSOR_QUEUE_CAPACITY = 32;

export type CameraCompression = 'none' | 'gzip' | 'deflate' | 'lz4' | 'bitshuffle-lz4' | 'zstd';

/** Messages between `Hdf5RunWriter` (main thread) and `hdf5-worker.ts`, in posting order. */

export interface Hdf5FileSettings {
  outputDir: string;
  /** gzip level for scalar and array datasets; 0 writes them uncompressed. */
  compressionLevel: number;
  /**
   * `gzip`: HDF5's deflate inside h5wasm on the writer thread (slow). A codec name: chunks
   * compressed on worker threads into a frames file per camera (decision 0012).
   */
  cameraCompression: CameraCompression;
  /** Level of the codec (`deflate` 1–9, `zstd` 1–22, `lz4` 0 or 1; ignored by bitshuffle-lz4). */
  cameraCompressionLevel: number;
  /** Frames queued for the compressor threads (default COMPRESSOR_QUEUE_CAPACITY). */
  compressorQueueCapacity?: number;
  /** Uncompressed frame chunks go out with O_DIRECT where the filesystem allows (DirectChunkWriter). */
  directFrameWrites: boolean;
  /** Nice value the writer and compressor threads ask for (`[storage] writer_nice`; thread-nice.ts). */
  writerNice?: number;
}

export type ToWorker =
  /** `frameRows` comes with the stop document (see the flush message). */
  | { t: 'doc'; doc: RunDocument; frameRows?: Record<string, number> }
  /** `row` is assigned on the main thread: the n-th `frame(dataKey, …)` call, dropped or not. */
  | { t: 'frame'; dataKey: string; row: number; frame: Frame }
  /**
   * `frameRows`: rows assigned so far per camera data key, so rows of refused frames at the end
   * still exist in the file.
   */
  | { t: 'flush'; id: number; frameRows: Record<string, number> }
  | { t: 'close'; id: number; frameRows: Record<string, number> };

export interface WorkerProgress {
  /** Messages handled so far (the main thread's queue length is posted − processed). */
  processed: number;
  bytesWritten: number;
  /** Of those, frame bytes written with O_DIRECT. */
  directBytes: number;
  framesWritten: number;
  eventsWritten: number;
  /** Compressed camera frames: the compressor queue, its overflow and which stage limits. */
  compression: CompressionStats | null;
  /** The writer thread's nice value request and outcome (null when none was asked for). */
  threadNice: ThreadNice | null;
}

export interface WorkerProblem {
  code: ErrorCode;
  message: string;
  details: Record<string, unknown>;
}

export type FromWorker =
  | ({ t: 'progress' } & WorkerProgress)
  | ({ t: 'flushed'; id: number } & WorkerProgress)
  | ({ t: 'closed'; id: number; files: string[] } & WorkerProgress)
  /** A frame the compressor queue refused: counted and reported like the writer queue's refusals. */
  | { t: 'refused'; dataKey: string; row: number }
  /** Data that could not be stored as given (wrong type, wrong frame size); the run goes on. */
  | { t: 'warning'; problem: WorkerProblem }
  /** A write failed; nothing more is written and close() reports it. */
  | { t: 'failed'; problem: WorkerProblem };
