import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type {
  EventDescriptor,
  RunDocument,
  RunEvent,
  RunStart,
  RunStop,
  StreamResource,
} from '../../core/documents.ts';
import { type Frame, frameShape } from '../../core/frame.ts';
import type { FrameCodec } from './chunk-codecs.ts';
import { toJson } from './column.ts';
import { CompressedFrameStore, type CompressionStats } from './compressed-frame-store.ts';
import { FRAME_REFUSED, FRAMES_DATASET, FrameSeries } from './frame-series.ts';
import {
  ENTRY,
  fieldName,
  frameDatasetPath,
  framesFileName,
  framesOnAnotherHost,
  linkName,
  runFileName,
  streamGroupPath,
} from './run-file-layout.ts';
import { StreamTable } from './stream-table.ts';
import { type H5Module, SwmrRunFile } from './swmr-run-file.ts';
import type { Hdf5FileSettings, WorkerProblem } from './worker-protocol.ts';

/** Scalar rows per chunk when the plan does not say how many points to expect. */
const DEFAULT_CHUNK_ROWS = 1024;

export interface NexusRunFileOptions extends Hdf5FileSettings {
  module: H5Module;
  /** Data that could not be stored as given; the run goes on. */
  warn(problem: WorkerProblem): void;
  /** A frame the compressor queue refused (row `row` of `dataKey` stays empty). */
  refused?(dataKey: string, row: number): void;
  /** Compressor threads or frames-file writes failed (asynchronously); the run fails with it. */
  fail?(error: unknown): void;
  /** A compressed frame reached its frames file. */
  frameStored?(): void;
  /**
   * Nice value for the compressor threads: the process's own, set back on them because they
   * inherit the writer thread's raised one (thread-nice.ts).
   */
  compressorNice?: number;
}

/** The `[storage] camera_compression` values compressed on worker threads into frames files. */
export function frameCodecOf(setting: Hdf5FileSettings['cameraCompression']): FrameCodec | null {
  return setting === 'none' || setting === 'gzip' ? null : setting;
}

/**
 * Turns one run's documents and frames into a NeXus-style HDF5 file (layout in
 * docs/decisions/0004-hdf5-layout.md). Synchronous: it runs in the writer's worker thread.
 * HDF5 failures throw; the worker turns them into the run's storage error.
 */
export class NexusRunFile {
  private readonly options: NexusRunFileOptions;
  private file: SwmrRunFile | null = null;
  private fileName: string | null = null;
  private start: RunStart | null = null;
  /** Set by the stop document or close(): nothing more goes into the file. */
  private fileClosed = false;
  private readonly streams = new Map<string, StreamTable>();
  private readonly byDescriptor = new Map<string, StreamTable>();
  private readonly frames = new Map<string, FrameSeries>();
  private readonly resources = new Set<string>();
  /** Compressed camera frames (frames files), when `cameraCompression` names a codec. */
  private readonly store: CompressedFrameStore | null;
  /** Frames file of each compressed camera key (it exists once the key's dataset is created). */
  private readonly framesFiles = new Map<string, string>();
  framesWritten = 0;
  eventsWritten = 0;

  constructor(options: NexusRunFileOptions) {
    this.options = options;
    const codec = frameCodecOf(options.cameraCompression);
    this.store = codec
      ? new CompressedFrameStore({
          codec,
          level: options.cameraCompressionLevel,
          ...(options.compressorQueueCapacity !== undefined
            ? { capacity: options.compressorQueueCapacity }
            : {}),
          directWrites: options.directFrameWrites,
          ...(options.compressorNice !== undefined ? { threadNice: options.compressorNice } : {}),
          onError: (err) => options.fail?.(err),
          onWritten: () => options.frameStored?.(),
        })
      : null;
  }

  /** The run's files relative to the output directory: the run file first, then frames files. */
  get files(): string[] {
    if (!this.fileName) return [];
    const frames = [...this.framesFiles].filter(([key]) => this.frames.get(key)?.created).map(([, f]) => f);
    return [this.fileName, ...frames];
  }

  /** Frame bytes that went past the page cache (DirectChunkWriter). */
  get directBytes(): number {
    return (this.file?.frameWriteMode().directBytes ?? 0) + (this.store?.directBytes ?? 0);
  }

  /** Raw data bytes written; compressed frames count as stored (compressed). */
  get bytesWritten(): number {
    return (this.file?.bytesWritten ?? 0) + (this.store?.bytesWritten ?? 0);
  }

  compressionStats(): CompressionStats | null {
    return this.store?.stats() ?? null;
  }

  /** Null when a frame can go to the compressor now; else resolves when it can (CompressedFrameStore.room). */
  frameRoom(): Promise<void> | null {
    return this.store?.room() ?? null;
  }

  /** Resolves when every frame handed to the compressor is in its frames file. */
  drain(): Promise<void> {
    return this.store?.drain() ?? Promise.resolve();
  }

  /** Ends the compressor threads (after close or abandon). */
  async shutdown(): Promise<void> {
    await this.store?.stop();
  }

  /** `frameRows` (with the stop document): rows assigned per camera key, see FrameSeries.padTo. */
  document(doc: RunDocument, frameRows: Record<string, number> = {}): void {
    if (doc.name === 'start') {
      this.onStart(doc.doc);
      return;
    }
    const file = this.file;
    if (!file || this.fileClosed) {
      this.problem(
        `${doc.name} document arrived ${file ? 'after the stop document' : 'before the start document'}; not stored`,
        {
          document: doc.name,
        },
      );
      return;
    }
    switch (doc.name) {
      case 'descriptor':
        this.onDescriptor(file, doc.doc);
        break;
      case 'event':
        this.onEvent(file, doc.doc);
        break;
      case 'stream_resource':
        this.onStreamResource(file, doc.doc);
        break;
      case 'stream_datum':
        // Rows were checked against the frames on the main thread; nothing new to store.
        break;
      case 'stop':
        this.onStop(file, doc.doc, frameRows);
        break;
    }
  }

  frame(dataKey: string, row: number, frame: Frame): void {
    const file = this.file;
    const series = this.frames.get(dataKey);
    if (!file || this.fileClosed || !series) {
      const why = this.fileClosed
        ? 'arrived after the stop document'
        : 'no descriptor declares that camera key';
      this.problem(`frame ${frame.frameNumber} for "${dataKey}": ${why}; not stored`, {
        dataKey,
        frameNumber: frame.frameNumber,
      });
      return;
    }
    if (!series.created) series.create(file, frameShape(frame));
    const problem = series.write(file, row, frame);
    if (problem === FRAME_REFUSED) this.options.refused?.(dataKey, row);
    else if (problem) this.problem(problem, { dataKey, row, frameNumber: frame.frameNumber });
    else this.framesWritten++;
  }

  /** Writes every queued row and flushes the file; `frameRows` pads camera datasets (see FrameSeries). */
  flush(frameRows: Record<string, number>): void {
    const file = this.file;
    if (!file || this.fileClosed) return;
    this.writePending(file, frameRows);
    // Frames files first: the run file's rows then never name frames a reader cannot find.
    this.store?.flush();
    file.flush();
  }

  /** After a write failure: closes the file without writing more (SwmrRunFile.abandon). */
  abandon(): string[] {
    if (this.file && !this.fileClosed) {
      this.fileClosed = true;
      try {
        this.store?.abandonFiles();
      } finally {
        this.file.abandon();
      }
    }
    return this.files;
  }

  /** Writes what is left and closes the file; returns its name relative to the output directory. */
  close(frameRows: Record<string, number>): string[] {
    const file = this.file;
    if (file && !this.fileClosed) {
      this.fileClosed = true;
      try {
        this.writePending(file, frameRows, true);
        this.store?.closeFiles();
      } finally {
        file.close();
      }
    }
    return this.files;
  }

  private onStart(start: RunStart): void {
    if (this.start) {
      this.problem(
        `a second start document (uid ${start.uid}) arrived in run ${this.start.uid}; not stored`,
        {
          uid: start.uid,
        },
      );
      return;
    }
    this.start = start;
    const fileName = runFileName(start);
    makeOutputDir(this.options.outputDir);
    const file = SwmrRunFile.create(this.options.module, join(this.options.outputDir, fileName), {
      directWrites: this.options.directFrameWrites,
    });
    this.file = file;
    this.fileName = fileName;
    file.setAttrs('/', { default: 'entry', creator: 'Benchtop', file_name: fileName });
    file.createGroup(ENTRY, { NX_class: 'NXentry' });
    file.writeScalar(`${ENTRY}/uid`, start.uid);
    file.writeScalar(`${ENTRY}/plan_name`, start.plan_name);
    file.writeScalar(`${ENTRY}/start_time`, isoTime(start.time));
    file.writeScalar(`${ENTRY}/plan_args`, toJson(start.plan_args ?? {}));
    file.writeScalar(`${ENTRY}/metadata`, toJson(start.metadata ?? {}));
    if (typeof start.scan_id === 'number') file.writeScalar(`${ENTRY}/scan_id`, start.scan_id);
    if (typeof start.num_points === 'number') file.writeScalar(`${ENTRY}/num_points`, start.num_points);
    file.createGroup(`${ENTRY}/benchtop`, { NX_class: 'NXcollection' });
    file.writeScalar(`${ENTRY}/benchtop/start_document`, toJson(start));
    this.writeInstruments(file, start.instruments ?? {});
  }

  /** Configuration at start: scalars as datasets, anything nested as a JSON string. */
  private writeInstruments(file: SwmrRunFile, instruments: Record<string, unknown>): void {
    const base = `${ENTRY}/instrument`;
    file.createGroup(base, { NX_class: 'NXinstrument' });
    for (const [id, config] of Object.entries(instruments)) {
      const group = `${base}/${linkName(id)}`;
      file.createGroup(group, { NX_class: 'NXcollection', instrument_id: id });
      const entries =
        config !== null && typeof config === 'object' && !Array.isArray(config)
          ? Object.entries(config as Record<string, unknown>)
          : [['value', config] as const];
      for (const [key, value] of entries) {
        const path = `${group}/${linkName(key)}`;
        if (
          typeof value === 'string' ||
          typeof value === 'boolean' ||
          (typeof value === 'number' && Number.isFinite(value))
        ) {
          file.writeScalar(path, value);
        } else {
          file.writeScalar(path, toJson(value ?? null), { encoding: 'json' });
        }
      }
    }
  }

  private onDescriptor(file: SwmrRunFile, descriptor: EventDescriptor): void {
    if (this.byDescriptor.has(descriptor.uid)) {
      this.problem(`descriptor ${descriptor.uid} arrived twice; the second is ignored`, {
        descriptor: descriptor.uid,
      });
      return;
    }
    let table = this.streams.get(descriptor.name);
    const descriptorJson = toJson(descriptor);
    if (!table) {
      const chunkRows = chunkRowsFor(this.start?.num_points);
      table = StreamTable.create(
        file,
        descriptor.name,
        streamGroupPath(descriptor.name),
        chunkRows,
        this.options.compressionLevel,
      );
      this.streams.set(descriptor.name, table);
      table.addFields(file, descriptor);
      file.setAttrs(table.group, { descriptor: descriptorJson, ...this.plotAttrs(descriptor) });
      if (descriptor.name === 'primary') file.setAttrs(ENTRY, { default: 'data' });
    } else {
      table.addFields(file, descriptor);
      file.setAttrs(table.group, { [`descriptor_${descriptor.uid}`]: descriptorJson });
    }
    this.byDescriptor.set(descriptor.uid, table);
    for (const [key, dataKey] of Object.entries(descriptor.data_keys)) {
      if (!dataKey.external || this.frames.has(key)) continue;
      const framesFile =
        this.store && this.fileName ? framesFileName(this.fileName, descriptor.name, key) : null;
      if (framesFile) this.framesFiles.set(key, framesFile);
      const series = new FrameSeries(key, frameDatasetPath(descriptor.name, key), dataKey, {
        gzipLevel: this.options.cameraCompression === 'gzip' ? Math.max(1, this.options.compressionLevel) : 0,
        metaGzipLevel: this.options.compressionLevel,
        ...(this.store && framesFile
          ? {
              compressed: {
                store: this.store,
                framesPath: join(this.options.outputDir, framesFile),
                framesFileName: framesFile,
              },
            }
          : {}),
      });
      this.frames.set(key, series);
    }
  }

  /**
   * NXdata `signal` (the first hinted inline field, else the first one) and, when the start
   * document's hints name one dimension for this stream, `axes`, so NeXus viewers plot it.
   */
  private plotAttrs(descriptor: EventDescriptor): Record<string, string | string[]> {
    const inline = Object.keys(descriptor.data_keys).filter((k) => !descriptor.data_keys[k]?.external);
    const hinted = Object.values(descriptor.hints ?? {}).flatMap((h) => h.fields);
    const frameKey = Object.keys(descriptor.data_keys).find((k) => descriptor.data_keys[k]?.external);
    const signal =
      hinted.find((f) => inline.includes(f)) ??
      inline.find((f) => !isAxis(this.start, descriptor.name, f)) ??
      frameKey;
    const attrs: Record<string, string | string[]> = {};
    if (signal) attrs.signal = fieldName(signal);
    const dims = (this.start?.hints?.dimensions ?? []).filter(([, stream]) => stream === descriptor.name);
    const axis = dims.length === 1 ? dims[0]?.[0][0] : undefined;
    if (axis && inline.includes(axis) && axis !== signal) attrs.axes = [fieldName(axis)];
    return attrs;
  }

  private onEvent(file: SwmrRunFile, event: RunEvent): void {
    const table = this.byDescriptor.get(event.descriptor);
    if (!table) {
      this.problem(
        `event seq_num ${event.seq_num} names descriptor ${event.descriptor}, which never arrived; not stored`,
        {
          descriptor: event.descriptor,
          seq_num: event.seq_num,
        },
      );
      return;
    }
    if (table.addEvent(file, event, (message, details) => this.problem(message, details))) {
      this.eventsWritten = this.countWritten();
    }
  }

  private onStreamResource(file: SwmrRunFile, resource: StreamResource): void {
    if (this.resources.has(resource.uid)) {
      this.problem(`stream_resource ${resource.uid} arrived twice; the second is ignored`, {
        resource: resource.uid,
      });
      return;
    }
    this.resources.add(resource.uid);
    const series = this.frames.get(resource.data_key);
    if (!series) {
      this.problem(
        `stream_resource ${resource.uid} is for "${resource.data_key}", which no descriptor declares external; not stored`,
        {
          resource: resource.uid,
          dataKey: resource.data_key,
        },
      );
      return;
    }
    if (framesOnAnotherHost(resource)) {
      this.linkFramesElsewhere(file, series, resource);
      return;
    }
    const named = resource.parameters.dataset;
    if (named !== undefined && named !== series.path) {
      this.problem(
        `stream_resource ${resource.uid} names dataset ${String(named)} but frames of "${resource.data_key}" are written to ${series.path}`,
        {
          resource: resource.uid,
          dataset: named,
          written: series.path,
        },
      );
    }
    if (!series.created) {
      const shape = resource.parameters.chunk_shape;
      // [1, height, width], or [1, height, width, 3] for RGB.
      if (Array.isArray(shape) && (shape.length === 3 || shape.length === 4))
        series.create(file, shape.slice(1).map(Number));
    }
    if (series.created) series.setAttrs(file, { [`stream_resource_${resource.uid}`]: toJson(resource) });
  }

  /**
   * Frames in a file on another host (a camera on an agent): the key's path becomes an external
   * link to that file's dataset by its name, resolved once the file is downloaded beside this
   * one (the hub serves it as one of the run's files), and the stream group records the resource.
   * The frames' numbers, timestamps, bit depths and exposures are written here as for local
   * frames (the engine passes each frame without pixels), so a reader has the whole run.
   */
  private linkFramesElsewhere(file: SwmrRunFile, series: FrameSeries, resource: StreamResource): void {
    const { path, dataset, shape } = resource.parameters;
    series.linkTo(
      file,
      basename(String(path)),
      String(dataset ?? FRAMES_DATASET),
      Array.isArray(shape) ? shape.map(Number) : [],
    );
    const group = series.path.slice(0, series.path.lastIndexOf('/'));
    file.setAttrs(group, { [`stream_resource_${resource.uid}`]: toJson(resource) });
  }

  private onStop(file: SwmrRunFile, stop: RunStop, frameRows: Record<string, number>): void {
    // Stop is the last document: closing now clears the file's open-for-write mark at once.
    this.fileClosed = true;
    try {
      this.writePending(file, frameRows, true);
      this.store?.closeFiles();
      file.writeScalar(`${ENTRY}/end_time`, isoTime(stop.time));
      file.writeScalar(`${ENTRY}/exit_status`, stop.exit_status);
      file.writeScalar(`${ENTRY}/stop_reason`, stop.reason ?? '');
      file.writeScalar(`${ENTRY}/benchtop/stop_document`, toJson(stop));
    } finally {
      file.close();
    }
  }

  /** Writes what is pending; at the end (`last`), camera datasets no frame made still get the declared shape. */
  private writePending(file: SwmrRunFile, frameRows: Record<string, number>, last = false): void {
    if (last) for (const series of this.frames.values()) series.createDeclared(file);
    const report = (message: string, details: Record<string, unknown>) => this.problem(message, details);
    for (const table of this.streams.values()) table.writePending(file, report);
    for (const [key, series] of this.frames) {
      series.padTo(file, frameRows[key] ?? 0);
      series.writePending(file);
    }
    this.eventsWritten = this.countWritten();
  }

  private countWritten(): number {
    let n = 0;
    for (const table of this.streams.values()) n += table.eventsWritten;
    return n;
  }

  private problem(message: string, details: Record<string, unknown>): void {
    this.options.warn({ code: 'VALUE_INVALID', message, details: { file: this.fileName, ...details } });
  }
}

function makeOutputDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTDIR') throw err;
    throw Object.assign(new Error(`output_dir ${dir} (or a parent of it) exists and is not a directory`), {
      code,
    });
  }
}

function isoTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString();
}

function chunkRowsFor(numPoints: number | undefined): number {
  if (numPoints === undefined || !Number.isInteger(numPoints) || numPoints <= 0) return DEFAULT_CHUNK_ROWS;
  return Math.min(4096, Math.max(16, numPoints));
}

function isAxis(start: RunStart | null, stream: string, field: string): boolean {
  return (start?.hints?.dimensions ?? []).some(([fields, s]) => s === stream && fields.includes(field));
}
