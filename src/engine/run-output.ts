import type { EventBus } from '../core/bus.ts';
import type { Clock } from '../core/clock.ts';
import type {
  EventDescriptor,
  ExitStatus,
  RunDocument,
  RunEvent,
  RunStart,
  RunStop,
} from '../core/documents.ts';
import { BenchtopError, toBenchtopError } from '../core/errors.ts';
import type { BenchtopEvents } from '../core/events.ts';
import { type Frame, frameShape } from '../core/frame.ts';
import {
  composeRun,
  type DescriptorBundle,
  type ResourceBundle,
  type RunBundle,
  type StartFields,
} from './compose.ts';
import type { RunWarningKind } from './run-events.ts';
import type { EngineRunWriter, RunRecorder, WriterFactory } from './run-storage.ts';

/** Frames per stream_datum: one document per frame would double the documents of an acquisition. */
export const DATUM_BATCH = 32;

/** Share of the writer's queue in use above which the run warns that the disk is falling behind. */
const BACKPRESSURE_HIGH = 0.75;
const BACKPRESSURE_LOW = 0.5;

export type DescriptorFields = Pick<EventDescriptor, 'data_keys' | 'configuration' | 'object_keys' | 'hints'>;

export interface FieldValue {
  value: unknown;
  /** Epoch milliseconds. */
  timestamp: number;
}

/**
 * A value that could not be taken (its instrument was away when the point was due). In the
 * event it is `null` in `data` with no entry in `timestamps`: the absent timestamp is the
 * per-key validity flag. HDF5 stores NaN (or the fill value) in both columns, Arrow a null.
 */
export const MISSING: FieldValue = Object.freeze({ value: null, timestamp: Number.NaN });

export interface RunOutputDeps {
  uid: string;
  clock: Clock;
  bus: EventBus<BenchtopEvents>;
  writerFactory: WriterFactory;
  recorder: RunRecorder | undefined;
  warn(kind: RunWarningKind, message: string, details: Record<string, unknown>): void;
  /** The writer failed: the run must end with exit_status fail. */
  writerFailed(error: BenchtopError): void;
}

interface Stream {
  bundle: DescriptorBundle;
  keys: string;
}

interface FrameKey {
  stream: string;
  descriptor: string;
  resource: ResourceBundle;
  /** `frame()` calls so far: row n of the writer's dataset is call n. */
  rows: number;
  /** The frames stay in a file where the camera is (Frame.storedAt): the writer gets none. */
  elsewhere: boolean;
  pending: { startRow: number; startSeq: number; count: number } | null;
}

/**
 * Everything a run produces goes through here, in order: documents are composed (linked uids
 * and seq_nums), handed to the writer, recorded in the catalog and published on the bus;
 * camera frames go to the writer with stream_resource / stream_datum documents pointing at
 * their rows. The writer's health is watched: drops and backpressure become `run.warning`
 * events and the stop reason, a failure ends the run.
 */
export class RunOutput {
  private readonly deps: RunOutputDeps;
  private bundle: RunBundle | null = null;
  private writer: EngineRunWriter | null = null;
  private readonly streams = new Map<string, Stream>();
  private readonly frameKeys = new Map<string, FrameKey>();
  private writerFailure: BenchtopError | null = null;
  private catalogFailed = false;
  private reportedDrops = 0;
  private lastDropWarningAt = Number.NEGATIVE_INFINITY;
  private backpressure = false;
  private closed = false;

  constructor(deps: RunOutputDeps) {
    this.deps = deps;
  }

  get opened(): boolean {
    return this.bundle !== null;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  numEvents(): Record<string, number> {
    return this.bundle?.numEvents() ?? {};
  }

  open(fields: StartFields): RunStart {
    if (this.bundle) {
      throw new BenchtopError(
        'RUN_STATE_CONFLICT',
        `run ${this.deps.uid} is already open: a plan opens one run`,
        {
          uid: this.deps.uid,
        },
      );
    }
    const bundle = composeRun({ uid: this.deps.uid, time: this.now(), ...fields });
    // A writer that cannot be made (bad settings) leaves the run unopened: it fails with nothing written.
    this.writer = this.deps.writerFactory(bundle.start, {
      dropped: (details) => this.onDropped(details.dropped, details),
      failed: (error) => this.onWriterFailed(error),
      warned: (message, details) => this.deps.warn('writer_warning', message, details),
    });
    this.bundle = bundle;
    this.catalog((recorder) => recorder.recordStart(bundle.start, this.writer!.format));
    const planned = this.writer.plannedFiles?.() ?? [];
    if (planned.length > 0) this.catalog((recorder) => recorder.addFiles?.(bundle.start.uid, planned));
    this.emit({ name: 'start', doc: bundle.start });
    return bundle.start;
  }

  hasStream(stream: string): boolean {
    return this.streams.has(stream);
  }

  /**
   * Saves one event in `stream`: inline values plus camera frames by reference. The first event
   * of a stream declares it (its descriptor); later events must carry the same fields.
   */
  event(
    stream: string,
    values: Record<string, FieldValue>,
    frames: [camera: string, frame: Frame][],
    describe: () => DescriptorFields,
    /** The event's time (epoch ms) when it is not now: a missing point's own slot. */
    at?: number,
  ): RunEvent {
    const bundle = this.requireOpen('event');
    const keys = [...Object.keys(values), ...frames.map(([camera]) => camera)].sort().join(',');
    let target = this.streams.get(stream);
    if (!target) {
      const fields = describe();
      target = { bundle: bundle.descriptor({ name: stream, time: this.now(), ...fields }), keys };
      this.streams.set(stream, target);
      this.emit({ name: 'descriptor', doc: target.bundle.doc });
      for (const [camera, frame] of frames) this.declareFrames(stream, target.bundle.doc.uid, camera, frame);
    } else if (target.keys !== keys) {
      throw new BenchtopError(
        'VALIDATION_FAILED',
        `stream "${stream}" records ${target.keys}; this reading has ${keys}. Use another stream name for other fields.`,
        { stream, declared: target.keys.split(','), given: keys.split(',') },
      );
    }
    const data: Record<string, unknown> = {};
    const timestamps: Record<string, number> = {};
    for (const [key, field] of Object.entries(values)) {
      data[key] = field.value;
      if (field !== MISSING) timestamps[key] = field.timestamp / 1000;
    }
    const filled: Record<string, boolean> = {};
    for (const [camera, frame] of frames) {
      timestamps[camera] = frame.timestamp / 1000;
      filled[camera] = false;
    }
    const time = at !== undefined ? at / 1000 : this.now();
    const event = target.bundle.event(data, timestamps, time, frames.length > 0 ? filled : undefined);
    for (const [camera, frame] of frames) this.writeFrame(camera, frame, event.seq_num);
    this.emit({ name: 'event', doc: event });
    this.watchWriter();
    return event;
  }

  /** Emits the stream_datum documents of frames not yet referenced. */
  flushDatums(): void {
    for (const key of this.frameKeys.values()) {
      const pending = key.pending;
      if (!pending) continue;
      key.pending = null;
      const datum = key.resource.datum(
        key.descriptor,
        { start: pending.startRow, stop: pending.startRow + pending.count },
        { start: pending.startSeq, stop: pending.startSeq + pending.count },
      );
      this.emit({ name: 'stream_datum', doc: datum });
    }
  }

  /** Checkpoint: everything so far is referenced and on disk. */
  async checkpoint(): Promise<void> {
    if (!this.writer || this.closed) return;
    this.flushDatums();
    try {
      await this.writer.flush();
    } catch (error) {
      this.onWriterFailed(error);
    }
    this.watchWriter();
  }

  /** The stop document, then the writer's files closed and the run recorded in the catalog. */
  async close(
    exitStatus: ExitStatus,
    reason: string,
  ): Promise<{ stop: RunStop; files: string[]; storageError: BenchtopError | null }> {
    const bundle = this.requireOpen('stop');
    this.flushDatums();
    let status = exitStatus;
    let why = reason;
    if (this.writerFailure && status !== 'fail') {
      status = 'fail';
      why = join(why, `storage failed: ${this.writerFailure.message}`);
    }
    const dropped = this.writer!.stats().dropped;
    if (dropped > 0) why = join(why, `the ${this.writer!.format} writer dropped ${dropped} events/frames`);
    const stop = bundle.stop(status, why, this.now());
    this.emit({ name: 'stop', doc: stop });
    this.closed = true;
    let files: string[] = [];
    let recorded = stop;
    let storageError = this.writerFailure;
    try {
      files = (await this.writer!.close()).files;
    } catch (error) {
      // After a reported failure, close rejects with that same failure: nothing new to say.
      if (!this.writerFailure) {
        storageError = toBenchtopError(error, 'STORAGE_ERROR');
        // The stop document is already in the file; the catalog carries the late failure.
        recorded = {
          ...stop,
          exit_status: 'fail',
          reason: join(stop.reason, `closing the files failed: ${storageError.message}`),
        };
        this.deps.warn('writer_error', recorded.reason, { code: storageError.code });
      }
    }
    this.catalog((recorder) => recorder.recordStop(recorded, files));
    return { stop: recorded, files, storageError };
  }

  private declareFrames(stream: string, descriptor: string, camera: string, frame: Frame): void {
    const existing = this.frameKeys.get(camera);
    if (existing) {
      throw new BenchtopError(
        'VALIDATION_FAILED',
        `${camera}'s frames already go to stream "${existing.stream}"; a camera records into one stream per run`,
        { camera, stream, existing: existing.stream },
      );
    }
    const shape = frameShape(frame);
    const stored = frame.storedAt;
    if (stored) this.catalog((recorder) => recorder.addFiles?.(this.deps.uid, [stored.file]));
    const location = (stored
      ? { mimetype: stored.mimetype, uri: stored.uri, parameters: stored.parameters }
      : undefined) ??
      this.writer!.frameResource?.(stream, camera, shape) ?? {
        mimetype: `application/x-benchtop-${this.writer!.format}-frames`,
        uri: `benchtop:${this.writer!.format}`,
        parameters: { stream, data_key: camera },
      };
    const resource = this.bundle!.streamResource({ data_key: camera, ...location });
    this.frameKeys.set(camera, {
      stream,
      descriptor,
      resource,
      rows: 0,
      pending: null,
      elsewhere: stored !== undefined,
    });
    this.emit({ name: 'stream_resource', doc: resource.doc });
  }

  private writeFrame(camera: string, frame: Frame, seqNum: number): void {
    const key = this.frameKeys.get(camera)!;
    try {
      if (!key.elsewhere || this.writer!.recordsFramesElsewhere) this.writer!.frame(camera, frame);
    } catch (error) {
      this.onWriterFailed(error);
    }
    const row = key.rows++;
    if (key.pending && key.pending.startSeq + key.pending.count === seqNum) key.pending.count++;
    else {
      if (key.pending) this.flushDatums();
      key.pending = { startRow: row, startSeq: seqNum, count: 1 };
    }
    if (key.pending.count >= DATUM_BATCH) this.flushDatums();
  }

  private emit(document: RunDocument): void {
    if (this.writer && !this.writerFailure) {
      try {
        this.writer.document(document);
      } catch (error) {
        this.onWriterFailed(error);
      }
    }
    this.catalog((recorder) => recorder.document(document));
    this.deps.bus.emit('run.document', { uid: this.deps.uid, document });
  }

  /** Catalog trouble never stops the acquisition (the files are the data); it is reported once. */
  private catalog(call: (recorder: RunRecorder) => unknown): void {
    const recorder = this.deps.recorder;
    if (!recorder) return;
    try {
      call(recorder);
    } catch (error) {
      if (this.catalogFailed) return;
      this.catalogFailed = true;
      const failure = toBenchtopError(error, 'STORAGE_ERROR');
      this.deps.warn(
        'catalog_error',
        `the run catalog could not record run ${this.deps.uid}: ${failure.message}`,
        {
          code: failure.code,
        },
      );
    }
  }

  private watchWriter(): void {
    const stats = this.writer!.stats();
    if (stats.dropped > this.reportedDrops) this.onDropped(stats.dropped, {});
    if (stats.error && !this.writerFailure)
      this.onWriterFailed(new BenchtopError('STORAGE_ERROR', stats.error));
    const load = stats.capacity > 0 ? stats.queued / stats.capacity : 0;
    if (!this.backpressure && load > BACKPRESSURE_HIGH) {
      this.backpressure = true;
      this.deps.warn(
        'writer_backpressure',
        `the ${this.writer!.format} writer is falling behind: ${stats.queued} of ${stats.capacity} queue slots in use`,
        { queued: stats.queued, capacity: stats.capacity },
      );
    } else if (this.backpressure && load < BACKPRESSURE_LOW) this.backpressure = false;
  }

  /** Every newly dropped item counts; warnings are at most one per second so a flood stays readable. */
  private onDropped(total: number, details: Record<string, unknown>): void {
    if (total <= this.reportedDrops) return;
    this.reportedDrops = total;
    const now = this.deps.clock.monotonic();
    if (now - this.lastDropWarningAt < 1000) return;
    this.lastDropWarningAt = now;
    // With compressed camera frames, which stage falls behind: compressor threads or the disk.
    const compression = this.writer?.stats().compression;
    const stage = compression
      ? `; the ${compression.limitingStage} is the limit (compressor threads ${Math.round(compression.busy * 100)} % busy, disk writes ${Math.round(compression.diskBusy * 100)} %)`
      : '';
    this.deps.warn('writer_dropped', `the writer dropped data: ${total} events/frames lost so far${stage}`, {
      ...details,
      dropped: total,
      ...(compression
        ? {
            limitingStage: compression.limitingStage,
            compressorBusy: compression.busy,
            diskBusy: compression.diskBusy,
            compressorOverflow: compression.overflow,
          }
        : {}),
    });
  }

  private onWriterFailed(error: unknown): void {
    if (this.writerFailure) return;
    this.writerFailure = toBenchtopError(error, 'STORAGE_ERROR');
    this.deps.warn('writer_error', `storage failed: ${this.writerFailure.message}`, {
      code: this.writerFailure.code,
    });
    this.deps.writerFailed(this.writerFailure);
  }

  private requireOpen(what: string): RunBundle {
    if (!this.bundle) {
      throw new BenchtopError(
        'RUN_STATE_CONFLICT',
        `${what} before open_run: the plan must open its run first`,
        {
          uid: this.deps.uid,
        },
      );
    }
    if (this.closed) {
      throw new BenchtopError('RUN_STATE_CONFLICT', `${what} after close_run`, { uid: this.deps.uid });
    }
    return this.bundle;
  }

  private now(): number {
    return this.deps.clock.now() / 1000;
  }
}

function join(a: string, b: string): string {
  return a ? `${a}; ${b}` : b;
}
