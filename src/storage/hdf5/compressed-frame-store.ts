import { type FrameCodec, filterPipeline } from './chunk-codecs.ts';
import { ChunkCompressorPool, type CompressorStats } from './chunk-compressor-pool.ts';
import { CompressedFramesFile } from './compressed-frames-file.ts';
import { COMPRESSOR_QUEUE_CAPACITY } from './worker-protocol.ts';

export interface CompressionStats extends CompressorStats {
  codec: FrameCodec;
  level: number;
  /** Fraction of wall time the writer thread spent writing chunks and frames-file metadata. */
  diskBusy: number;
  /** The stage closer to saturation: compressor threads or the writer's disk writes. */
  limitingStage: 'compressor' | 'disk';
}

export interface CompressedFrameStoreOptions {
  codec: FrameCodec;
  level: number;
  directWrites: boolean;
  /** Compressor threads (default: ChunkCompressorPool's). */
  threads?: number;
  /** Chunks queued for the threads before frames are refused (default COMPRESSOR_QUEUE_CAPACITY). */
  capacity?: number;
  /** Nice value of the compressor threads (ChunkCompressorPool). */
  threadNice?: number;
  /** A compressor thread or a chunk write failed; the run fails with it. */
  onError(error: unknown): void;
  /** After each chunk written (progress reports). */
  onWritten?(): void;
}

/**
 * The camera frames of one run, compressed on ChunkCompressorPool's threads and written, in
 * the order they were submitted, into one CompressedFramesFile per data key. Lives on the HDF5
 * writer's thread: chunks come back to it and are written there.
 */
export class CompressedFrameStore {
  private readonly options: CompressedFrameStoreOptions;
  private pool: ChunkCompressorPool | null = null;
  private readonly files = new Map<string, CompressedFramesFile>();
  /** What each submitted chunk is: its data key and row. */
  private readonly pending = new Map<number, { dataKey: string; row: number }>();
  private drained: (() => void)[] = [];
  private roomWaiters: (() => void)[] = [];
  private readonly startedAt = performance.now();
  private diskMs = 0;
  private failed = false;

  constructor(options: CompressedFrameStoreOptions) {
    this.options = options;
  }

  get codec(): FrameCodec {
    return this.options.codec;
  }

  /** Creates the frames file of `dataKey` (uint16 frames of `shape`) and returns it. */
  open(dataKey: string, path: string, shape: [number, number], attrs: Record<string, string>): void {
    const file = CompressedFramesFile.create(path, {
      height: shape[0],
      width: shape[1],
      elementSize: 2,
      filters: filterPipeline(this.options.codec, this.options.level, 2),
      directWrites: this.options.directWrites,
    });
    file.setAttrs(attrs);
    this.files.set(dataKey, file);
  }

  setAttrs(dataKey: string, attrs: Record<string, string>): void {
    this.fileOf(dataKey).setAttrs(attrs);
  }

  extendTo(dataKey: string, rows: number): void {
    this.fileOf(dataKey).extendTo(rows);
  }

  /**
   * Queues frame `row` of `dataKey` for compression (its buffer is transferred). False when the
   * compressor queue is full: the caller counts and reports the refused frame.
   */
  submit(dataKey: string, row: number, pixels: Uint16Array): boolean {
    this.fileOf(dataKey);
    const seq = this.poolOf().submit(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
    if (seq === null) return false;
    this.pending.set(seq, { dataKey, row });
    return true;
  }

  /**
   * Null when `submit` has room for a frame; otherwise a promise that resolves once it has (or
   * the compressor failed). The writer thread awaits it before the next frame, so a burst
   * (a disk write that stalled the thread while frames and compressed chunks arrived) waits in
   * the writer's queue, which is bounded and counts what it refuses, instead of being refused
   * here while the compressor threads idle.
   */
  room(): Promise<void> | null {
    if (this.failed || !this.pool || this.pool.queued < this.capacity) return null;
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Resolves once every submitted chunk is written (or the compressor failed), and every
   * compressor thread has started (its nice value set back from the writer thread's).
   */
  drain(): Promise<void> {
    const started = this.pool?.started;
    return started ? started.then(() => this.written()) : this.written();
  }

  private written(): Promise<void> {
    if (this.failed || this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /** Makes every written chunk readable (CompressedFramesFile.flush). */
  flush(): void {
    this.timed(() => {
      for (const file of this.files.values()) file.flush();
    });
  }

  /** Flushes and closes the frames files; call after `drain`. */
  closeFiles(): void {
    this.timed(() => {
      for (const file of this.files.values()) file.close();
    });
  }

  /** After a failure: the frames files stay as of their last flush. */
  abandonFiles(): void {
    for (const file of this.files.values()) file.abandon();
  }

  /** Ends the compressor threads. */
  async stop(): Promise<void> {
    await this.pool?.close();
  }

  get bytesWritten(): number {
    let n = 0;
    for (const file of this.files.values()) n += file.bytesWritten;
    return n;
  }

  get directBytes(): number {
    let n = 0;
    for (const file of this.files.values()) n += file.directBytes;
    return n;
  }

  stats(): CompressionStats | null {
    if (!this.pool) return null;
    const compressor = this.pool.stats();
    const wall = performance.now() - this.startedAt;
    const diskBusy = wall > 0 ? Math.min(1, this.diskMs / wall) : 0;
    return {
      ...compressor,
      codec: this.options.codec,
      level: this.options.level,
      diskBusy,
      limitingStage: compressor.overflow > 0 || compressor.busy >= diskBusy ? 'compressor' : 'disk',
    };
  }

  private fileOf(dataKey: string): CompressedFramesFile {
    const file = this.files.get(dataKey);
    if (!file) throw new Error(`no frames file open for ${dataKey}`);
    return file;
  }

  private get capacity(): number {
    return this.options.capacity ?? COMPRESSOR_QUEUE_CAPACITY;
  }

  private poolOf(): ChunkCompressorPool {
    this.pool ??= new ChunkCompressorPool({
      codec: this.options.codec,
      level: this.options.level,
      elementSize: 2,
      capacity: this.capacity,
      ...(this.options.threads !== undefined ? { threads: this.options.threads } : {}),
      ...(this.options.threadNice !== undefined ? { threadNice: this.options.threadNice } : {}),
      onCompressed: (chunk) => {
        const target = this.pending.get(chunk.seq);
        this.pending.delete(chunk.seq);
        if (target && !this.failed) {
          try {
            this.timed(() => this.fileOf(target.dataKey).writeChunk(target.row, chunk.compressed));
          } catch (err) {
            this.fail(err);
          }
        }
        this.options.onWritten?.();
        if (this.pending.size === 0) this.wake();
        if (this.roomWaiters.length > 0 && this.pool!.queued < this.capacity) this.wakeRoom();
      },
      onError: (error) => this.fail(error),
    });
    return this.pool;
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.wake();
    this.wakeRoom();
    this.options.onError(err);
  }

  private wake(): void {
    const waiting = this.drained;
    this.drained = [];
    for (const resolve of waiting) resolve();
  }

  private wakeRoom(): void {
    const waiting = this.roomWaiters;
    this.roomWaiters = [];
    for (const resolve of waiting) resolve();
  }

  private timed(write: () => void): void {
    const started = performance.now();
    try {
      write();
    } finally {
      this.diskMs += performance.now() - started;
    }
  }
}
