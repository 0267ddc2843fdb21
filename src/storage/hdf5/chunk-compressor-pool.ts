import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BenchtopError } from '../../core/errors.ts';
import type { FrameCodec } from './chunk-codecs.ts';

export interface CompressRequest {
  id: number;
  codec: FrameCodec;
  level: number;
  elementSize: number;
  chunk: ArrayBuffer;
}

export interface CompressReply {
  id: number;
  /** Holds the compressed bytes at [offset, offset + length): often the request's own chunk buffer. */
  compressed: ArrayBuffer;
  offset: number;
  length: number;
  /** The chunk's size before compression. */
  rawBytes: number;
  busyMs: number;
}

/** A thread's first message: it is running, with its nice value set (thread-nice.ts). */
export interface CompressorStarted {
  started: true;
}

export interface CompressedChunk {
  /** The caller's sequence number: results come back in submission order. */
  seq: number;
  /** Often a view of the submitted chunk's own buffer, which the thread overwrote with it. */
  compressed: Uint8Array;
  rawBytes: number;
}

export interface ChunkCompressorPoolOptions {
  codec: FrameCodec;
  level: number;
  elementSize: number;
  /** Chunks accepted but not yet handed to `onCompressed`; beyond it `submit` refuses. */
  capacity: number;
  /** Threads; default one per core, at most 2 (the writer's own thread needs the rest). */
  threads?: number;
  /** Nice value each thread asks for (thread-nice.ts); a refusal leaves it as it was. */
  threadNice?: number;
  /** Each compressed chunk, in submission order. */
  onCompressed(chunk: CompressedChunk): void;
  onError(error: BenchtopError): void;
}

export interface CompressorStats {
  threads: number;
  queued: number;
  /** Most chunks queued at once. */
  peak: number;
  capacity: number;
  /** Chunks refused because the queue was full. */
  overflow: number;
  rawBytes: number;
  compressedBytes: number;
  /** Fraction of the threads' wall time spent compressing since the pool started (1: saturated). */
  busy: number;
}

/**
 * Compresses camera chunks on worker threads, several at once, and hands them back in the order
 * they were submitted. The queue is bounded: `submit` returns false (and counts an overflow)
 * rather than let memory grow when the threads fall behind, so nothing is dropped silently; the
 * caller reports the refusal. `stats().busy` near 1 says the compressor is the limiting stage.
 */
export class ChunkCompressorPool {
  private readonly options: ChunkCompressorPoolOptions;
  private readonly workers: Worker[] = [];
  private readonly inFlight: number[] = [];
  private readonly done = new Map<number, CompressedChunk>();
  /** Which thread each chunk in flight went to. */
  private readonly owner = new Map<number, number>();
  private readonly startedAt = performance.now();
  private nextId = 0;
  private nextToDeliver = 0;
  private nextWorker = 0;
  private peak = 0;
  private overflow = 0;
  private rawBytes = 0;
  private compressedBytes = 0;
  private busyMs = 0;
  private failed = false;
  /**
   * Every thread is running with its nice value set (or has failed): what a flush waits for, so
   * no thread is left at the writer's raised value afterwards.
   */
  readonly started: Promise<void>;

  constructor(options: ChunkCompressorPoolOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity <= 0) {
      throw new BenchtopError(
        'VALUE_INVALID',
        `compressor queue capacity must be an integer > 0, got ${options.capacity}`,
        {
          capacity: options.capacity,
        },
      );
    }
    this.options = options;
    const threads = options.threads ?? Math.max(1, Math.min(2, availableParallelism()));
    const starts: Promise<void>[] = [];
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(new URL('./chunk-compressor-worker.ts', import.meta.url), {
        workerData: { threadNice: options.threadNice ?? null },
      });
      let started = () => {};
      starts.push(
        new Promise<void>((resolve) => {
          started = resolve;
        }),
      );
      worker.on('message', (reply: CompressReply | CompressorStarted) => {
        if ('started' in reply) started();
        else this.onReply(reply);
      });
      worker.on('error', (err) => {
        started();
        this.fail(err);
      });
      worker.once('exit', () => started());
      worker.unref();
      this.workers.push(worker);
      this.inFlight.push(0);
    }
    this.started = Promise.all(starts).then(() => {});
  }

  get queued(): number {
    return this.nextId - this.nextToDeliver;
  }

  /**
   * Queues `chunk` (its buffer is transferred and overwritten: the caller must not use it again) and returns
   * its sequence number, or null when the queue is full (counted in `overflow`).
   */
  submit(chunk: Uint8Array): number | null {
    if (this.failed) return null;
    if (this.queued >= this.options.capacity) {
      this.overflow++;
      return null;
    }
    const buffer =
      chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength
        ? (chunk.buffer as ArrayBuffer)
        : new Uint8Array(chunk).buffer; // a copy (a Buffer's slice would share its pool)
    const id = this.nextId++;
    this.peak = Math.max(this.peak, this.queued);
    // The least busy thread; ties rotate so equal chunks spread evenly.
    let best = this.nextWorker;
    for (let i = 0; i < this.workers.length; i++) {
      const w = (this.nextWorker + i) % this.workers.length;
      if (this.inFlight[w]! < this.inFlight[best]!) best = w;
    }
    this.nextWorker = (best + 1) % this.workers.length;
    this.inFlight[best]!++;
    this.owner.set(id, best);
    const request: CompressRequest = {
      id,
      codec: this.options.codec,
      level: this.options.level,
      elementSize: this.options.elementSize,
      chunk: buffer,
    };
    const worker = this.workers[best]!;
    worker.ref();
    worker.postMessage(request, [buffer]);
    return id;
  }

  stats(): CompressorStats {
    const wall = (performance.now() - this.startedAt) * this.workers.length;
    return {
      threads: this.workers.length,
      queued: this.queued,
      peak: this.peak,
      capacity: this.options.capacity,
      overflow: this.overflow,
      rawBytes: this.rawBytes,
      compressedBytes: this.compressedBytes,
      busy: wall > 0 ? Math.min(1, this.busyMs / wall) : 0,
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private onReply(reply: CompressReply): void {
    const w = this.owner.get(reply.id);
    this.owner.delete(reply.id);
    if (w !== undefined) {
      this.inFlight[w]!--;
      if (this.inFlight[w] === 0) this.workers[w]!.unref();
    }
    this.busyMs += reply.busyMs;
    this.rawBytes += reply.rawBytes;
    this.compressedBytes += reply.length;
    this.done.set(reply.id, {
      seq: reply.id,
      compressed: new Uint8Array(reply.compressed, reply.offset, reply.length),
      rawBytes: reply.rawBytes,
    });
    // In submission order: a chunk finished early waits for the ones before it.
    for (let next = this.done.get(this.nextToDeliver); next; next = this.done.get(this.nextToDeliver)) {
      this.done.delete(this.nextToDeliver);
      this.nextToDeliver++;
      this.options.onCompressed(next);
    }
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.options.onError(
      new BenchtopError(
        'STORAGE_ERROR',
        `frame compressor thread failed: ${(err as Error).message ?? String(err)}`,
        {
          codec: this.options.codec,
        },
      ),
    );
  }
}
