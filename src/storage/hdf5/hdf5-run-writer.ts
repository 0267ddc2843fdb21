import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BenchtopConfig } from '../../config/schema.ts';
import { type Clock, systemClock, type TimerHandle } from '../../core/clock.ts';
import type { RunDocument } from '../../core/documents.ts';
import { BenchtopError, toBenchtopError } from '../../core/errors.ts';
import type { Frame } from '../../core/frame.ts';
import type { RunWriter, WriterStats } from '../../engine/run-storage.ts';
import { FrameRowLedger } from './frame-row-ledger.ts';
import { recoverRunFile } from './run-file-recovery.ts';
import {
  COMPRESSOR_QUEUE_CAPACITY,
  type FromWorker,
  type Hdf5FileSettings,
  type ToWorker,
  type WorkerProgress,
} from './worker-protocol.ts';

/** An event or frame the writer refused because its queue was full. */
export interface WriterDrop {
  kind: 'event' | 'frame';
  /** The event's descriptor uid, or the frame's data key. */
  source: string;
  /** For events the seq_num, for frames the row left empty. */
  index: number;
  /** Refused so far in this run. */
  dropped: number;
  capacity: number;
  /**
   * The writer's queue was full (frames waiting for the compressor threads count in it), or
   * `compressor_full`: the compressor refused a frame, which happens only after it failed.
   */
  reason: 'queue_full' | 'compressor_full';
}

export interface Hdf5RunWriterOptions
  extends Omit<Hdf5FileSettings, 'directFrameWrites' | 'cameraCompressionLevel'> {
  /** Default 1 (`[storage] camera_compression_level`). */
  cameraCompressionLevel?: number;
  /** Default true, as `[storage] direct_frame_writes`. */
  directFrameWrites?: boolean;
  /** Messages (documents and frames) waiting for the worker before events and frames are refused. */
  queueCapacity: number;
  autoFlushIntervalSecs: number;
  clock?: Clock;
  /** Every refused event or frame (the engine publishes these on the bus). */
  onDrop?: (drop: WriterDrop) => void;
  /** The first write failure (disk full, permissions, …); nothing is written after it. */
  onError?: (error: BenchtopError) => void;
  /** Data stored differently from how it arrived (wrong type, wrong frame size, inconsistent stream_datum). */
  onWarning?: (warning: BenchtopError) => void;
}

/** The writer settings from `[storage]`. */
export function hdf5WriterOptions(
  storage: BenchtopConfig['storage'],
): Pick<
  Hdf5RunWriterOptions,
  | 'outputDir'
  | 'compressionLevel'
  | 'cameraCompression'
  | 'cameraCompressionLevel'
  | 'directFrameWrites'
  | 'writerNice'
  | 'queueCapacity'
  | 'autoFlushIntervalSecs'
> {
  return {
    outputDir: storage.output_dir,
    compressionLevel: storage.compression_level,
    cameraCompression: storage.camera_compression,
    cameraCompressionLevel: storage.camera_compression_level,
    directFrameWrites: storage.direct_frame_writes,
    writerNice: storage.writer_nice,
    queueCapacity: storage.queue_capacity,
    autoFlushIntervalSecs: storage.auto_flush_interval_secs,
  };
}

interface PendingRequest {
  resolve(files: string[]): void;
  reject(error: BenchtopError): void;
}

/**
 * Writes one run to one NeXus-style HDF5 file (docs/decisions/0004-hdf5-layout.md) from a
 * worker thread. `document` and `frame` never block: they post to the worker, frames with
 * their pixel buffer transferred rather than copied. The queue is bounded by counting messages
 * the worker has not finished yet; when it is full, events and frames are refused, counted and
 * reported through `onDrop`. Documents that give the file its shape (start, descriptor,
 * stream_resource, stream_datum, stop) are never refused: there are few of them and without
 * them nothing after could be stored.
 */
export class Hdf5RunWriter implements RunWriter {
  readonly format = 'hdf5';
  /** An agent camera's frames: their metadata datasets beside the external link (FrameSeries.linkTo). */
  readonly recordsFramesElsewhere = true;
  private readonly options: Hdf5RunWriterOptions;
  private readonly clock: Clock;
  private readonly worker: Worker;
  private readonly ledger = new FrameRowLedger();
  private readonly requests = new Map<number, PendingRequest>();
  private nextRequestId = 1;
  private posted = 0;
  private progress: WorkerProgress = {
    processed: 0,
    bytesWritten: 0,
    directBytes: 0,
    framesWritten: 0,
    eventsWritten: 0,
    compression: null,
    threadNice: null,
  };
  private dropped = 0;
  private lastFlushAt: number | null = null;
  private error: BenchtopError | null = null;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private workerExited = false;
  private closing: Promise<{ files: string[] }> | null = null;
  private autoFlush: TimerHandle | null = null;

  constructor(options: Hdf5RunWriterOptions) {
    checkOptions(options);
    this.options = options;
    this.clock = options.clock ?? systemClock;
    const settings: Hdf5FileSettings = {
      outputDir: options.outputDir,
      compressionLevel: options.compressionLevel,
      cameraCompression: options.cameraCompression,
      cameraCompressionLevel: options.cameraCompressionLevel ?? 1,
      ...(options.compressorQueueCapacity !== undefined
        ? { compressorQueueCapacity: options.compressorQueueCapacity }
        : {}),
      directFrameWrites: options.directFrameWrites ?? true,
      ...(options.writerNice !== undefined ? { writerNice: options.writerNice } : {}),
    };
    this.worker = new Worker(new URL('./hdf5-worker.ts', import.meta.url), { workerData: settings });
    this.worker.on('message', (message: FromWorker) => this.onWorkerMessage(message));
    this.worker.on('error', (err) => this.fail(toBenchtopError(err, 'STORAGE_ERROR')));
    this.worker.on('exit', (code) => this.onWorkerExit(code));
    // Keeps the process alive only while the worker has work (see keepAliveWhileBusy).
    this.worker.unref();
    this.scheduleAutoFlush();
  }

  document(doc: RunDocument): void {
    this.assertOpen(`${doc.name} document`);
    if (this.error) return; // reported once through onError; close() reports it again
    const problem = this.ledger.observe(doc);
    if (problem) this.warn(problem, { document: doc.name });
    if (doc.name === 'event' && this.queued >= this.options.queueCapacity) {
      this.drop('event', doc.doc.descriptor, doc.doc.seq_num);
      return;
    }
    this.post(doc.name === 'stop' ? { t: 'doc', doc, frameRows: this.ledger.snapshot() } : { t: 'doc', doc });
  }

  frame(dataKey: string, frame: Frame): void {
    this.assertOpen(`frame ${frame.frameNumber} of ${dataKey}`);
    if (this.error) return;
    if (!this.ledger.isCameraKey(dataKey)) {
      this.warn(
        `frame ${frame.frameNumber} for "${dataKey}": no descriptor declares that data key external; not stored`,
        {
          dataKey,
        },
      );
      return;
    }
    const row = this.ledger.assignRow(dataKey);
    if (this.queued >= this.options.queueCapacity) {
      this.drop('frame', dataKey, row);
      return;
    }
    this.post({ t: 'frame', dataKey, row, frame }, [frame.pixels.buffer as ArrayBuffer]);
  }

  async flush(): Promise<void> {
    if (this.state !== 'open') {
      throw new BenchtopError('RUN_STATE_CONFLICT', 'flush() after close(): the HDF5 run file is closed');
    }
    if (this.error) throw this.error;
    await this.request('flush');
    this.lastFlushAt = this.clock.now();
  }

  close(): Promise<{ files: string[] }> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  stats(): WriterStats {
    return {
      queued: this.queued,
      capacity: this.options.queueCapacity,
      dropped: this.dropped,
      bytesWritten: this.progress.bytesWritten,
      bytesWrittenDirect: this.progress.directBytes,
      framesWritten: this.progress.framesWritten,
      eventsWritten: this.progress.eventsWritten,
      ...(this.progress.compression ? { compression: this.progress.compression } : {}),
      ...(this.progress.threadNice ? { threadNice: this.progress.threadNice } : {}),
      lastFlushAt: this.lastFlushAt,
      error: this.error?.message ?? null,
    };
  }

  private get queued(): number {
    return this.posted - this.progress.processed;
  }

  private async closeOnce(): Promise<{ files: string[] }> {
    this.state = 'closing';
    this.keepAliveWhileBusy();
    this.autoFlush?.cancel();
    let files: string[] = [];
    if (!this.workerExited) {
      try {
        files = await this.request('close');
      } catch {
        // The worker died; this.error says why.
      }
    }
    await this.worker.terminate();
    this.state = 'closed';
    if (this.error) {
      throw new BenchtopError(
        this.error.code,
        this.error.message,
        { ...this.error.details, files, recovery: this.recoverAfterFailure(files) },
        { cause: this.error },
      );
    }
    return { files };
  }

  /**
   * The worker gave the file up without writing more (SwmrRunFile.abandon); clear its "open
   * for write" mark so h5py and h5dump open it as of its last flush, as after a crash.
   */
  private recoverAfterFailure(files: string[]): Record<string, string> {
    const outcome: Record<string, string> = {};
    for (const file of files) {
      try {
        recoverRunFile(join(this.options.outputDir, file));
        outcome[file] = 'readable up to the last flush';
      } catch (err) {
        outcome[file] = `could not be recovered: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    return outcome;
  }

  private request(t: 'flush' | 'close'): Promise<string[]> {
    if (this.workerExited) return Promise.reject(this.error ?? exitedError());
    const id = this.nextRequestId++;
    return new Promise<string[]>((resolve, reject) => {
      this.requests.set(id, { resolve, reject });
      this.post({ t, id, frameRows: this.ledger.snapshot() });
    });
  }

  private post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
    this.posted++;
    this.keepAliveWhileBusy();
  }

  /**
   * The worker holds the process open while it has queued work, a flush to answer or is being
   * closed, and not when idle, so a writer nobody closed (a failed test) cannot hang the process.
   */
  private keepAliveWhileBusy(): void {
    if (this.state !== 'open' || this.queued > 0 || this.requests.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  private onWorkerMessage(message: FromWorker): void {
    switch (message.t) {
      case 'progress':
        this.progress = message;
        this.keepAliveWhileBusy();
        break;
      case 'flushed':
      case 'closed': {
        this.progress = message;
        const request = this.requests.get(message.id);
        this.requests.delete(message.id);
        if (!request) break;
        this.keepAliveWhileBusy();
        // A failed run still names its file; closeOnce reports the failure with it.
        if (message.t === 'closed') request.resolve(message.files);
        else if (this.error) request.reject(this.error);
        else request.resolve([]);
        break;
      }
      case 'refused':
        this.drop('frame', message.dataKey, message.row, 'compressor_full');
        break;
      case 'warning':
        this.options.onWarning?.(
          new BenchtopError(message.problem.code, message.problem.message, message.problem.details),
        );
        break;
      case 'failed':
        this.fail(new BenchtopError(message.problem.code, message.problem.message, message.problem.details));
        break;
    }
  }

  private onWorkerExit(code: number): void {
    this.workerExited = true;
    if (this.state === 'open' || this.requests.size > 0) {
      this.fail(exitedError(code));
    }
    for (const request of this.requests.values()) request.reject(this.error ?? exitedError(code));
    this.requests.clear();
  }

  private fail(error: BenchtopError): void {
    if (this.error) return;
    this.error = error;
    this.autoFlush?.cancel();
    this.options.onError?.(error);
  }

  private drop(
    kind: WriterDrop['kind'],
    source: string,
    index: number,
    reason: WriterDrop['reason'] = 'queue_full',
  ): void {
    this.dropped++;
    this.options.onDrop?.({
      kind,
      source,
      index,
      dropped: this.dropped,
      capacity:
        reason === 'queue_full'
          ? this.options.queueCapacity
          : (this.options.compressorQueueCapacity ?? COMPRESSOR_QUEUE_CAPACITY),
      reason,
    });
  }

  private warn(message: string, details: Record<string, unknown>): void {
    this.options.onWarning?.(new BenchtopError('VALUE_INVALID', message, details));
  }

  private assertOpen(what: string): void {
    if (this.state !== 'open') {
      throw new BenchtopError('RUN_STATE_CONFLICT', `${what} after close(): the HDF5 run file is closed`);
    }
  }

  private scheduleAutoFlush(): void {
    this.autoFlush = this.clock.setTimeout(() => {
      if (this.state !== 'open' || this.error) return;
      // A failed flush is reported through onError and ends auto-flushing.
      this.flush().then(
        () => this.scheduleAutoFlush(),
        () => {},
      );
    }, this.options.autoFlushIntervalSecs * 1000);
  }
}

function exitedError(code?: number): BenchtopError {
  return new BenchtopError(
    'STORAGE_ERROR',
    `HDF5 writer thread exited unexpectedly (exit code ${code ?? 'unknown'})`,
    {
      exitCode: code,
    },
  );
}

/** Levels each camera codec accepts (`none` and `gzip` take theirs from compression_level). */
const LEVELS: Record<string, [number, number]> = {
  none: [0, 22],
  gzip: [0, 22],
  deflate: [1, 9],
  lz4: [0, 1],
  'bitshuffle-lz4': [0, 22],
  zstd: [1, 22],
};

function checkOptions(options: Hdf5RunWriterOptions): void {
  const bad = (setting: string, expected: string, got: unknown) =>
    new BenchtopError(
      'VALUE_INVALID',
      `Hdf5RunWriter ${setting}: expected ${expected}, got ${JSON.stringify(got)}`,
      {
        setting,
        value: got,
      },
    );
  if (!Number.isInteger(options.queueCapacity) || options.queueCapacity <= 0) {
    throw bad('queueCapacity', 'integer > 0', options.queueCapacity);
  }
  if (
    !Number.isInteger(options.compressionLevel) ||
    options.compressionLevel < 0 ||
    options.compressionLevel > 9
  ) {
    throw bad('compressionLevel', 'integer 0..9', options.compressionLevel);
  }
  if (!(options.autoFlushIntervalSecs > 0)) {
    throw bad('autoFlushIntervalSecs', 'number > 0', options.autoFlushIntervalSecs);
  }
  const codecs = ['none', 'gzip', 'deflate', 'lz4', 'bitshuffle-lz4', 'zstd'];
  if (!codecs.includes(options.cameraCompression)) {
    throw bad('cameraCompression', codecs.map((c) => `"${c}"`).join(', '), options.cameraCompression);
  }
  const [low, high] = LEVELS[options.cameraCompression] ?? [0, 0];
  const level = options.cameraCompressionLevel ?? 1;
  if (!Number.isInteger(level) || level < low || level > high) {
    throw bad('cameraCompressionLevel', `integer ${low}..${high} for ${options.cameraCompression}`, level);
  }
}
