import { dirname, isAbsolute, join } from 'node:path';
import h5wasm, { type Dataset, type File, type Group } from 'h5wasm/node';
import type { EventDescriptor, RunStart } from '../../core/documents.ts';
import { BenchtopError, isBenchtopError } from '../../core/errors.ts';
import { safeFileName } from '../arrow/run-directory.ts';
import { CompressedFramesReader } from '../hdf5/compressed-frames-reader.ts';
import { ENTRY, FRAMES_FILE_SUFFIX, fieldName } from '../hdf5/run-file-layout.ts';
import { Hdf5EventStream } from './hdf5-event-stream.ts';
import { type FramePixels, Hdf5FrameStream } from './hdf5-frame-stream.ts';
import type { RunDataReader, RunDataReaderFactory, StreamData, StreamInfo } from './run-data-reader.ts';

export interface Hdf5RunReaderOptions {
  /**
   * Values read from the file per batch, about: what export holds in memory at once, whatever
   * the run's length. At least one row or frame is read.
   */
  batchBytes?: number;
}

const DEFAULT_BATCH_BYTES = 16 * 2 ** 20;

interface StreamSource {
  info: StreamInfo;
  stream: Hdf5EventStream | Hdf5FrameStream;
}

/**
 * Reads a run file written by Hdf5RunWriter (docs/decisions/0004-hdf5-layout.md) for export,
 * read-only, on the calling thread (export is an offline operation; the server never runs it).
 * Streams are named as ArrowRunWriter names its files (`primary`, `camera`, `camera_frames`)
 * and yield the same schemas and values, so exporting an HDF5 run and an Arrow run of the same
 * documents gives the same files. Datasets are read a slice at a time.
 *
 * A run cut short by a crash is readable up to the writer's last flush: its file is still
 * marked open for SWMR writing, which HDF5 lets only SWMR readers open, so it is opened that
 * way rather than cleared (clearing the mark writes to the file; export never does).
 */
export class Hdf5RunReader implements RunDataReader {
  readonly runUid: string;
  readonly path: string;
  private readonly file: File;
  private readonly sources: StreamSource[];
  /** Frames files read without h5wasm (filters it lacks), closed with the run. */
  private readonly framesReaders: CompressedFramesReader[] = [];

  private constructor(path: string, file: File, start: RunStart, batchBytes: number) {
    this.path = path;
    this.file = file;
    this.runUid = start.uid;
    this.sources = discoverStreams(file, start, batchBytes, (dataset, datasetPath) =>
      this.pixelsOf(dataset, datasetPath),
    );
  }

  /**
   * Compressed camera frames live in a frames file behind an external link (decision 0012);
   * h5wasm decodes deflate and shuffle itself, LZ4, bitshuffle and Zstandard chunks are
   * decoded here (CompressedFramesReader).
   */
  private pixelsOf(dataset: Dataset, datasetPath: string): FramePixels {
    if (dataset.filters.every((f) => f.id === 1 || f.id === 2)) return dataset;
    const link = this.file.get_external_link(datasetPath) as { filename?: string; obj_path?: string };
    if (!link.filename || !link.obj_path) return dataset;
    const target = isAbsolute(link.filename) ? link.filename : join(dirname(this.path), link.filename);
    const reader = CompressedFramesReader.open(target, link.obj_path);
    this.framesReaders.push(reader);
    return {
      shape: reader.shape,
      slice: ([[first, end]]: [[number, number]]) => reader.rows(first, end),
    };
  }

  static async open(path: string, options: Hdf5RunReaderOptions = {}): Promise<Hdf5RunReader> {
    const module = await h5wasm.ready;
    // Throw on HDF5 errors (by default h5wasm prints them and hands back an unusable file).
    module.activate_throwing_error_handler();
    const file = openReadOnly(path);
    try {
      return new Hdf5RunReader(path, file, readStart(file, path), options.batchBytes ?? DEFAULT_BATCH_BYTES);
    } catch (err) {
      file.close();
      throw isBenchtopError(err)
        ? err
        : new BenchtopError(
            'STORAGE_ERROR',
            `${path} is not a Benchtop run file: ${(err as Error).message}`,
            { path },
            { cause: err },
          );
    }
  }

  async streams(): Promise<StreamInfo[]> {
    return this.sources.map((s) => s.info);
  }

  async read(stream: string): Promise<StreamData> {
    const source = this.sources.find((s) => s.info.name === stream);
    if (!source) {
      throw new BenchtopError('NOT_FOUND', `run ${this.runUid} has no stream "${stream}"`, {
        runUid: this.runUid,
        stream,
        streams: this.sources.map((s) => s.info.name),
      });
    }
    return { schema: source.stream.schema, batches: source.stream.batches() };
  }

  async close(): Promise<void> {
    for (const reader of this.framesReaders) reader.close();
    this.file.close();
  }
}

/** The catalog lists an HDF5 run's one `.h5` file, relative to output_dir. */
export const openHdf5Run: RunDataReaderFactory = async (run, outputDir) => {
  // Compressed camera frames sit beside it in frames files (decision 0012), linked from it.
  const file = run.files.find((f) => f.endsWith('.h5') && !f.endsWith(FRAMES_FILE_SUFFIX));
  if (!file) {
    throw new BenchtopError('STORAGE_ERROR', `run ${run.uid}: no .h5 file among its files`, {
      runUid: run.uid,
      files: run.files,
    });
  }
  return Hdf5RunReader.open(join(outputDir, file));
};

function openReadOnly(path: string): File {
  try {
    return new h5wasm.File(path, 'r');
  } catch (closedErr) {
    try {
      return new h5wasm.File(path, 'Sr');
    } catch {
      throw new BenchtopError(
        'STORAGE_ERROR',
        `cannot open HDF5 run file ${path}: ${(closedErr as Error).message}`,
        { path },
        { cause: closedErr },
      );
    }
  }
}

function readStart(file: File, path: string): RunStart {
  const stored = datasetAt(file, `${ENTRY}/benchtop/start_document`)?.value;
  if (typeof stored !== 'string') {
    throw new BenchtopError('STORAGE_ERROR', `${path} has no ${ENTRY}/benchtop/start_document`, { path });
  }
  return JSON.parse(stored) as RunStart;
}

/**
 * A camera key whose frames were stored, but whose pixels are an external link to a file that is
 * not there (an agent's frames file not downloaded beside the run file): exporting the run
 * without them would look whole, so it is refused.
 */
function framesNotBeside(file: File, path: string, dataKey: string): BenchtopError {
  let link: { filename?: string; obj_path?: string } | undefined;
  try {
    link = file.get_external_link(path) as typeof link;
  } catch {
    // Not a link at all: the pixel dataset is simply missing.
  }
  const target = link?.filename ? `${link.filename}:${link.obj_path ?? '/data'}` : 'another file';
  return new BenchtopError(
    'STORAGE_ERROR',
    `${file.filename}: the frames of "${dataKey}" are in ${target}, which is not beside the run file (a camera on an agent: export the run through the hub, which fetches it)`,
    { path: file.filename, dataKey, framesFile: link?.filename ?? null },
  );
}

function datasetAt(file: File, path: string): Dataset | null {
  const entity = file.get(path);
  return entity instanceof h5wasm.Dataset ? entity : null;
}

function attrText(group: Group, name: string): string | undefined {
  const value = group.attrs[name]?.json_value;
  return typeof value === 'string' ? value : undefined;
}

/** The group's descriptors: `descriptor` first, then later ones (`descriptor_<uid>`) in time order. */
function groupDescriptors(group: Group): EventDescriptor[] {
  const first = attrText(group, 'descriptor');
  if (first === undefined) return [];
  const later = Object.keys(group.attrs)
    .filter((name) => name.startsWith('descriptor_'))
    .map((name) => JSON.parse(attrText(group, name) ?? 'null') as EventDescriptor)
    .filter((d) => d !== null)
    .sort((a, b) => a.time - b.time);
  return [JSON.parse(first) as EventDescriptor, ...later];
}

/**
 * Event streams are the NXdata groups under /entry that carry a `stream` and a `descriptor`
 * attribute; each camera data key of theirs with a frame dataset is a frames stream.
 */
function discoverStreams(
  file: File,
  start: RunStart,
  batchBytes: number,
  pixelsOf: (dataset: Dataset, path: string) => FramePixels,
): StreamSource[] {
  const entry = file.get(ENTRY);
  if (!(entry instanceof h5wasm.Group)) return [];
  const events: { descriptors: EventDescriptor[]; stream: Hdf5EventStream }[] = [];
  for (const name of entry.keys()) {
    const group = entry.get(name);
    if (!(group instanceof h5wasm.Group) || attrText(group, 'stream') === undefined) continue;
    const descriptors = groupDescriptors(group);
    const time = datasetAt(file, `${group.path}/time`);
    const seqNum = datasetAt(file, `${group.path}/seq_num`);
    if (descriptors.length === 0 || !time || !seqNum) continue;
    const dataset = (path: string) => datasetAt(file, path);
    events.push({
      descriptors,
      stream: new Hdf5EventStream(group.path, start, descriptors, dataset, time, seqNum, batchBytes),
    });
  }
  // ArrowRunWriter's order: streams as their descriptors arrived, frame files after them.
  events.sort((a, b) => a.stream.descriptor.time - b.stream.descriptor.time);

  const used = new Set<string>();
  const claim = (base: string) => {
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}-${n}`;
    used.add(name);
    return name;
  };
  const sources: StreamSource[] = events.map(({ stream }) => ({
    stream,
    info: {
      name: claim(safeFileName(stream.descriptor.name)),
      stream: stream.descriptor.name,
      kind: 'events',
      rows: stream.rows,
    },
  }));
  for (const { descriptors, stream } of events) {
    const external = stream.layout.externalKeys;
    for (const dataKey of external) {
      const path = `${stream.group}/${fieldName(dataKey)}`;
      const pixels = datasetAt(file, path);
      const frameNumbers = datasetAt(file, `${path}_frame_number`);
      const timestamps = datasetAt(file, `${path}_timestamp`);
      const bitDepths = datasetAt(file, `${path}_bit_depth`);
      const exposures = datasetAt(file, `${path}_exposure_ms`);
      if (!pixels && frameNumbers && timestamps) throw framesNotBeside(file, path, dataKey);
      if (!pixels || !frameNumbers || !timestamps) continue;
      const declaring = descriptors.find((d) => d.data_keys[dataKey]) ?? stream.descriptor;
      const frames = new Hdf5FrameStream(
        start,
        declaring,
        dataKey,
        {
          pixels: pixelsOf(pixels, path),
          frameNumbers,
          timestamps,
          ...(bitDepths ? { bitDepths } : {}),
          ...(exposures ? { exposures } : {}),
        },
        batchBytes,
      );
      // Like the Arrow writer, which creates a frames file at the first frame it stores.
      if (frames.rows() === 0) continue;
      const base = safeFileName(stream.descriptor.name);
      sources.push({
        stream: frames,
        info: {
          name: claim(external.length === 1 ? `${base}_frames` : `${base}_${safeFileName(dataKey)}_frames`),
          stream: stream.descriptor.name,
          kind: 'frames',
          dataKey,
          rows: frames.rows(),
        },
      });
    }
  }
  return sources;
}
