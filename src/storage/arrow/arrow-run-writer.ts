import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Schema } from 'apache-arrow';
import { type Clock, systemClock } from '../../core/clock.ts';
import type { EventDescriptor, RunDocument, RunStart } from '../../core/documents.ts';
import { BenchtopError } from '../../core/errors.ts';
import type { Frame } from '../../core/frame.ts';
import type { RunWriter, WriterStats } from '../../engine/run-storage.ts';
import { EventBatchBuilder } from './event-batch-builder.ts';
import { frameBatch, frameSchema } from './frame-batch.ts';
import { IpcFileAppender } from './ipc-file-appender.ts';
import { runDirectoryName, safeFileName } from './run-directory.ts';
import { MANIFEST_FILE, newManifest, type RunManifest, writeManifest } from './run-manifest.ts';
import { streamLayout } from './stream-schema.ts';

export type DropReason =
  /** The bounded queue was full. */
  | 'queue_full'
  /** An event for a descriptor the writer never received. */
  | 'unknown_descriptor'
  /** A frame for a data key no descriptor declares as external. */
  | 'unknown_data_key'
  /** A frame whose size differs from the stream's frame shape. */
  | 'frame_shape';

export interface WriterDrop {
  kind: 'event' | 'frame';
  reason: DropReason;
  /** Descriptor uid (events) or data key (frames). */
  key: string;
  /** Total dropped so far, this one included. */
  dropped: number;
}

export interface ArrowRunWriterOptions {
  /** `[storage] output_dir`; the run gets its own directory inside it. */
  outputDir: string;
  /** `[storage] queue_capacity`: events and frames waiting to be written. */
  queueCapacity?: number;
  /** Events per record batch; a batch is written when full, at `flush` and at `close`. */
  batchRows?: number;
  clock?: Clock;
  /** Every refused event or frame (queue full, unknown stream, wrong frame size). */
  onDrop?: (drop: WriterDrop) => void;
  /** The first write error; the writer stops writing and `flush`/`close` reject with it. */
  onError?: (error: BenchtopError) => void;
}

interface Deferred<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

type Job =
  | { kind: 'document'; doc: RunDocument }
  | { kind: 'frame'; dataKey: string; frame: Frame }
  | { kind: 'flush'; done: Deferred<void> }
  | { kind: 'close'; done: Deferred<{ files: string[] }> };

interface EventStream {
  descriptor: EventDescriptor;
  builder: EventBatchBuilder;
  file: IpcFileAppender;
}

interface FrameStream {
  descriptor: EventDescriptor;
  dataKey: string;
  fileName: string;
  /** Opened at the first frame, whose size fixes the list length when the descriptor has no shape. */
  file: IpcFileAppender | null;
  schema: Schema | null;
  width: number;
  height: number;
}

const DEFAULT_QUEUE_CAPACITY = 256;
const DEFAULT_BATCH_ROWS = 1024;

/**
 * Writes a run as Arrow IPC files, one per stream, plus one per camera data key, and run.json.
 * See docs/decisions/0006-arrow-layout.md for the layout and the crash behaviour.
 *
 * `document` and `frame` only enqueue. One drain loop takes jobs in order; events accumulate in
 * memory and are encoded into a record batch every `batchRows` events, at `flush` and at `close`;
 * disk writes are asynchronous (libuv's thread pool), so the event loop never waits on the disk.
 * Only events and frames count against the queue bound: start, descriptor, stop and resource
 * documents are few, and a run without them is unreadable.
 */
export class ArrowRunWriter implements RunWriter {
  readonly format = 'arrow';
  private readonly outputDir: string;
  private readonly capacity: number;
  private readonly batchRows: number;
  private readonly clock: Clock;
  private readonly onDrop: (drop: WriterDrop) => void;
  private readonly onError: (error: BenchtopError) => void;

  private readonly queue: Job[] = [];
  /** Events and frames in the queue (the bounded part). */
  private queuedData = 0;
  private draining = false;
  private closeRequested = false;

  private runUid: string | null = null;
  private runDirName: string | null = null;
  private manifest: RunManifest | null = null;
  private manifestDirty = false;
  private readonly eventStreams = new Map<string, EventStream>();
  private readonly frameStreams = new Map<string, FrameStream>();
  private readonly usedFileNames = new Set<string>([MANIFEST_FILE]);
  private failure: BenchtopError | null = null;

  private dropped = 0;
  private eventsWritten = 0;
  private framesWritten = 0;
  private manifestBytes = 0;
  private lastFlushAt: number | null = null;

  constructor(options: ArrowRunWriterOptions) {
    this.outputDir = options.outputDir;
    this.capacity = options.queueCapacity ?? DEFAULT_QUEUE_CAPACITY;
    this.batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
    this.clock = options.clock ?? systemClock;
    this.onDrop = options.onDrop ?? (() => {});
    this.onError = options.onError ?? (() => {});
  }

  document(doc: RunDocument): void {
    this.assertOpen('document');
    if (doc.name === 'event') {
      if (this.refuseData('event', doc.doc.descriptor)) return;
      this.queuedData++;
    }
    this.enqueue({ kind: 'document', doc });
  }

  frame(dataKey: string, frame: Frame): void {
    this.assertOpen('frame');
    if (this.refuseData('frame', dataKey)) return;
    this.queuedData++;
    this.enqueue({ kind: 'frame', dataKey, frame });
  }

  flush(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.assertOpen('flush');
      this.enqueue({ kind: 'flush', done: { resolve, reject } });
    });
  }

  close(): Promise<{ files: string[] }> {
    return new Promise((resolve, reject) => {
      this.assertOpen('close');
      this.closeRequested = true;
      this.enqueue({ kind: 'close', done: { resolve, reject } });
    });
  }

  stats(): WriterStats {
    let bytes = this.manifestBytes;
    for (const s of this.eventStreams.values()) bytes += s.file.bytesWritten;
    for (const f of this.frameStreams.values()) bytes += f.file?.bytesWritten ?? 0;
    return {
      queued: this.queuedData,
      capacity: this.capacity,
      dropped: this.dropped,
      bytesWritten: bytes,
      framesWritten: this.framesWritten,
      eventsWritten: this.eventsWritten,
      lastFlushAt: this.lastFlushAt,
      error: this.failure?.message ?? null,
    };
  }

  private assertOpen(call: string): void {
    if (this.closeRequested) {
      throw new BenchtopError('RUN_STATE_CONFLICT', `arrow writer: ${call}() after close()`, {
        runUid: this.runUid,
      });
    }
  }

  /** True when an event or frame must be refused now; counts it. */
  private refuseData(kind: 'event' | 'frame', key: string): boolean {
    if (this.failure) {
      // Already reported once through onError; counting keeps the loss visible in stats.
      this.dropped++;
      return true;
    }
    if (this.queuedData >= this.capacity) {
      this.drop(kind, 'queue_full', key);
      return true;
    }
    return false;
  }

  private drop(kind: 'event' | 'frame', reason: DropReason, key: string): void {
    this.dropped++;
    this.onDrop({ kind, reason, key, dropped: this.dropped });
  }

  private enqueue(job: Job): void {
    this.queue.push(job);
    if (this.draining) return;
    this.draining = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) {
        if (job.kind === 'document' || job.kind === 'frame') {
          if (job.kind === 'frame' || job.doc.name === 'event') this.queuedData--;
          if (this.failure) continue;
          try {
            if (job.kind === 'frame') await this.writeFrame(job.dataKey, job.frame);
            else await this.handleDocument(job.doc);
          } catch (err) {
            this.fail(err);
          }
        } else if (job.kind === 'flush') {
          await this.settle(job.done, () => this.flushAll(true), false);
        } else {
          await this.settle(job.done, () => this.finish(), true);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * Runs a flush or close for its caller: resolves with the result or rejects with the run's
   * error. After a failure only close still runs (to release the files), then rejects too.
   */
  private async settle<T>(done: Deferred<T>, work: () => Promise<T>, afterFailure: boolean): Promise<void> {
    if (this.failure && !afterFailure) {
      done.reject(this.failure);
      return;
    }
    try {
      const result = await work();
      if (this.failure) done.reject(this.failure);
      else done.resolve(result);
    } catch (err) {
      this.fail(err);
      done.reject(this.failure);
    }
  }

  private async handleDocument(doc: RunDocument): Promise<void> {
    switch (doc.name) {
      case 'start':
        return this.startRun(doc.doc);
      case 'descriptor':
        return this.addStream(doc.doc);
      case 'event': {
        const stream = this.eventStreams.get(doc.doc.descriptor);
        if (!stream) return this.drop('event', 'unknown_descriptor', doc.doc.descriptor);
        stream.builder.append(doc.doc);
        if (stream.builder.length >= this.batchRows) await this.writeEvents(stream);
        return;
      }
      case 'stream_resource':
        this.requireManifest('stream_resource').stream_resources.push(doc.doc);
        this.manifestDirty = true;
        return;
      case 'stream_datum':
        this.requireManifest('stream_datum').stream_datums.push(doc.doc);
        this.manifestDirty = true;
        return;
      case 'stop':
        this.requireManifest('stop').stop = doc.doc;
        return this.saveManifest();
    }
  }

  private requireManifest(documentName: string): RunManifest {
    if (!this.manifest) {
      throw new BenchtopError(
        'STORAGE_ERROR',
        `arrow writer: ${documentName} document before the start document`,
      );
    }
    return this.manifest;
  }

  private async startRun(start: RunStart): Promise<void> {
    if (this.runUid !== null) {
      throw new BenchtopError(
        'STORAGE_ERROR',
        `arrow writer: second start document (${start.uid}) for run ${this.runUid}`,
      );
    }
    this.runUid = start.uid;
    const name = runDirectoryName(start);
    await mkdir(this.outputDir, { recursive: true });
    // Not recursive: an existing directory holds another run's files, which we never touch.
    await mkdir(join(this.outputDir, name));
    this.runDirName = name;
    this.manifest = newManifest(start);
    await this.saveManifest();
  }

  private runDir(): string {
    return join(this.outputDir, this.runDirName!);
  }

  private claimFileName(base: string): string {
    let name = `${base}.arrow`;
    for (let n = 2; this.usedFileNames.has(name); n++) name = `${base}-${n}.arrow`;
    this.usedFileNames.add(name);
    return name;
  }

  private async addStream(descriptor: EventDescriptor): Promise<void> {
    const manifest = this.requireManifest('descriptor');
    const layout = streamLayout(manifest.start, descriptor);
    const stream = safeFileName(descriptor.name);
    const fileName = this.claimFileName(stream);
    const file = new IpcFileAppender(join(this.runDir(), fileName), layout.schema);
    this.eventStreams.set(descriptor.uid, { descriptor, builder: new EventBatchBuilder(layout), file });
    manifest.descriptors.push(descriptor);
    manifest.files.push({
      path: fileName,
      stream: descriptor.name,
      descriptor: descriptor.uid,
      kind: 'events',
    });
    for (const dataKey of layout.externalKeys) {
      // One camera per stream is the common case and keeps the short name.
      const base = layout.externalKeys.length === 1 ? stream : `${stream}_${safeFileName(dataKey)}`;
      const frameFile = this.claimFileName(`${base}_frames`);
      this.frameStreams.set(dataKey, {
        descriptor,
        dataKey,
        fileName: frameFile,
        file: null,
        schema: null,
        ...declaredFrameShape(descriptor, dataKey),
      });
    }
    await file.open();
    // The schema goes to disk now, so even a run cut short right here leaves a readable file.
    await file.write();
    await this.saveManifest();
  }

  private async writeEvents(stream: EventStream): Promise<void> {
    const batch = stream.builder.take();
    if (!batch) return;
    stream.file.append(batch);
    await stream.file.write();
    this.eventsWritten += batch.numRows;
  }

  private async writeFrame(dataKey: string, frame: Frame): Promise<void> {
    const target = this.frameStreams.get(dataKey);
    if (!target) return this.drop('frame', 'unknown_data_key', dataKey);
    if (target.width === 0) {
      target.width = frame.width;
      target.height = frame.height;
    }
    if (
      frame.width !== target.width ||
      frame.height !== target.height ||
      frame.pixels.length !== target.width * target.height
    ) {
      return this.drop('frame', 'frame_shape', dataKey);
    }
    if (!target.file) {
      const manifest = this.requireManifest('frame');
      target.schema = frameSchema(manifest.start, target.descriptor, dataKey, target.height, target.width);
      const file = new IpcFileAppender(join(this.runDir(), target.fileName), target.schema);
      await file.open();
      target.file = file;
      manifest.files.push({
        path: target.fileName,
        stream: target.descriptor.name,
        descriptor: target.descriptor.uid,
        kind: 'frames',
        data_key: dataKey,
      });
      await this.saveManifest();
    }
    // One frame per record batch: no pixel copy, and batch i of the file is the i-th frame kept.
    target.file.append(frameBatch(target.schema!, frame));
    await target.file.write();
    this.framesWritten++;
  }

  private async flushAll(sync: boolean): Promise<void> {
    for (const stream of this.eventStreams.values()) await this.writeEvents(stream);
    if (sync) {
      for (const stream of this.eventStreams.values()) await stream.file.sync();
      for (const target of this.frameStreams.values()) await target.file?.sync();
    }
    if (this.manifestDirty) await this.saveManifest();
    this.lastFlushAt = this.clock.now();
  }

  private async finish(): Promise<{ files: string[] }> {
    const manifest = this.manifest;
    if (!manifest) return { files: [] };
    if (!this.failure) await this.flushAll(false);
    const files = [...this.eventStreams.values()].map((s) => s.file);
    for (const target of this.frameStreams.values()) if (target.file) files.push(target.file);
    for (const file of files) {
      try {
        await file.close();
      } catch (err) {
        // After a failure, closing is best effort: a file without its footer stays recoverable.
        if (!this.failure) throw err;
        await file.abandon().catch(() => {});
      }
    }
    for (const entry of manifest.files) {
      entry.rows = files.find((f) => basename(f.path) === entry.path)?.rows ?? 0;
    }
    manifest.status = this.failure ? 'failed' : 'complete';
    manifest.writer = this.stats();
    try {
      await this.saveManifest();
    } catch (err) {
      if (!this.failure) throw err;
    }
    return {
      files: [MANIFEST_FILE, ...manifest.files.map((f) => f.path)].map((p) => join(this.runDirName!, p)),
    };
  }

  private async saveManifest(): Promise<void> {
    this.manifestDirty = false;
    this.manifestBytes = await writeManifest(this.runDir(), this.manifest!);
  }

  /** Records the first error, reports it once, and stops all further writing. */
  private fail(err: unknown): void {
    if (this.failure) return;
    const cause = err as NodeJS.ErrnoException;
    const runUid = this.runUid ?? undefined;
    const message = `arrow writer for run ${runUid ?? '(not started)'}: ${cause?.message ?? String(err)}`;
    this.failure =
      err instanceof BenchtopError
        ? new BenchtopError(err.code, message, { ...err.details, runUid }, { cause: err })
        : new BenchtopError(
            'STORAGE_ERROR',
            message,
            { runUid, path: cause?.path, errno: cause?.code, runDir: this.runDirName },
            { cause: err },
          );
    for (const job of this.queue) {
      if (job.kind === 'frame' || (job.kind === 'document' && job.doc.name === 'event')) this.dropped++;
    }
    try {
      this.onError(this.failure);
    } catch {
      // The error is already in stats() and in every flush/close rejection.
    }
  }
}

/** The descriptor's [height, width], or zeros when it does not say (the first frame decides). */
function declaredFrameShape(descriptor: EventDescriptor, dataKey: string): { height: number; width: number } {
  const shape = descriptor.data_keys[dataKey]?.shape ?? [];
  return shape.length === 2 ? { height: shape[0]!, width: shape[1]! } : { height: 0, width: 0 };
}
