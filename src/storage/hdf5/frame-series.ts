import type { DataKey } from '../../core/documents.ts';
import { type Frame, frameShape } from '../../core/frame.ts';
import { Column, extendibleSpec } from './column.ts';
import type { CompressedFrameStore } from './compressed-frame-store.ts';
import type { SwmrRunFile } from './swmr-run-file.ts';

/** Rows per chunk of the per-frame metadata datasets (`_frame_number`, `_timestamp`, …). */
const META_CHUNK_ROWS = 1024;

export interface FrameSettings {
  /** gzip level for the pixels; 0 writes them uncompressed (the default, to keep up with the sensor). */
  gzipLevel: number;
  /** gzip level for the frame number and timestamp datasets. */
  metaGzipLevel: number;
  /**
   * Pixels compressed on worker threads into a frames file of their own beside the run file
   * (CompressedFrameStore), `<key>` in the run file an external link to its `/data`.
   */
  compressed?: { store: CompressedFrameStore; framesPath: string; framesFileName: string };
}

/** `write`'s answer when the compressor queue was full: the row stays empty, the caller reports it. */
export const FRAME_REFUSED = Symbol('frame refused by the compressor queue');

/** The dataset inside a frames file that the run file's external link points at. */
export const FRAMES_DATASET = '/data';

/**
 * One camera data key: `<key>` (n, height, width) uint16 chunked one frame per chunk — (n,
 * height, width, 3) for RGB, and raw Bayer frames with the mosaic's `bayer_pattern` attribute
 * (decision 0014) — with
 * `<key>_frame_number` (int64, the camera's counter), `<key>_timestamp` (float64 epoch
 * seconds), `<key>_bit_depth` (int64) and `<key>_exposure_ms` (float64) beside it. Row n holds the n-th frame the run engine passed for this key; a frame
 * the queue refused leaves its row with frame_number -1 and pixels reading 0, so rows still
 * match the stream_datum documents.
 */
export class FrameSeries {
  readonly dataKey: string;
  readonly path: string;
  private readonly numberPath: string;
  private readonly timestampPath: string;
  private readonly bitDepthPath: string;
  private readonly exposurePath: string;
  private readonly settings: FrameSettings;
  private readonly dataKeyDoc: DataKey;
  /** [height, width] or [height, width, 3]. */
  private shape: number[] | null = null;
  /** The Bayer pattern the dataset records (null: not a mosaic); undefined until the first frame. */
  private bayerPattern: string | null | undefined;
  private readonly frameNumbers = new Column({ kind: 'int64', rowShape: [] });
  private readonly timestamps = new Column({ kind: 'float64', rowShape: [] });
  private readonly bitDepths = new Column({ kind: 'int64', rowShape: [] });
  private readonly exposures = new Column({ kind: 'float64', rowShape: [] });
  /** Next row expected; rows below it are written or accounted for as gaps. */
  private nextRow = 0;
  private metaRowsWritten = 0;
  /**
   * The pixels are in a file on another host, `<key>` a link to it: this series writes only the
   * per-frame metadata (frame number, timestamp, bit depth, exposure) of the frames it is told of,
   * so the run file and that file downloaded beside it read as one run.
   */
  private linked = false;
  /** The pixels go to the compressed frames file (set at create: RGB frames stay in the run file). */
  private store: CompressedFrameStore | null = null;

  constructor(dataKey: string, path: string, key: DataKey, settings: FrameSettings) {
    this.dataKey = dataKey;
    this.path = path;
    this.numberPath = `${path}_frame_number`;
    this.timestampPath = `${path}_timestamp`;
    this.bitDepthPath = `${path}_bit_depth`;
    this.exposurePath = `${path}_exposure_ms`;
    this.dataKeyDoc = key;
    this.settings = settings;
  }

  get created(): boolean {
    return this.shape !== null;
  }

  /** The [height, width] (or [height, width, 3]) the descriptor declares, if it declares one. */
  declaredShape(): number[] | null {
    const shape = this.dataKeyDoc.shape;
    const [h, w, c] = shape;
    const image = isDimension(h) && isDimension(w);
    if (shape.length === 2 && image) return [h, w];
    return shape.length === 3 && image && c === 3 ? [h, w, 3] : null;
  }

  /**
   * Frames kept in a file on another host: `<key>` becomes an external link to its dataset, and
   * the metadata datasets beside it are this file's own, filled by `write` (without pixels).
   */
  linkTo(file: SwmrRunFile, fileName: string, dataset: string, shape: number[]): void {
    if (this.created || this.linked) return;
    file.createExternalLink(this.path, fileName, dataset);
    this.createMetadata(file);
    this.shape = shape;
    this.linked = true;
  }

  /**
   * The datasets at the descriptor's shape, unless a frame or a stream_resource made them (or a
   * link) already: created late, since until then the frames may turn out to be on another host.
   */
  createDeclared(file: SwmrRunFile): void {
    const shape = this.declaredShape();
    if (!this.created && !this.linked && shape) this.create(file, shape);
  }

  create(file: SwmrRunFile, shape: number[]): void {
    const attrs: Record<string, string> = {
      source: this.dataKeyDoc.source,
      // NeXus NXdata interpretations: the last axis of an RGB frame is its colour.
      interpretation: shape.length === 3 ? 'rgb-image' : 'image',
    };
    if (this.dataKeyDoc.units) attrs.units = this.dataKeyDoc.units;
    const compressed = this.settings.compressed;
    // The frames file holds (rows, height, width) uint16 only; RGB frames stay in the run file.
    if (compressed && shape.length === 2) {
      compressed.store.open(this.dataKey, compressed.framesPath, [shape[0]!, shape[1]!], attrs);
      this.store = compressed.store;
      file.createExternalLink(this.path, compressed.framesFileName, FRAMES_DATASET);
    } else {
      file.createExtendible(
        this.path,
        { dtype: '<H', rowShape: shape, chunkRows: 1, gzipLevel: this.settings.gzipLevel },
        attrs,
      );
    }
    this.createMetadata(file);
    this.shape = shape;
  }

  private createMetadata(file: SwmrRunFile): void {
    const meta = (kind: 'int64' | 'float64') =>
      extendibleSpec({ kind, rowShape: [] }, META_CHUNK_ROWS, this.settings.metaGzipLevel);
    file.createExtendible(this.numberPath, meta('int64'), {
      long_name: 'camera frame counter (-1: not stored)',
    });
    file.createExtendible(this.timestampPath, meta('float64'), {
      units: 's',
      long_name: 'end of readout, seconds since 1970-01-01T00:00:00Z',
    });
    file.createExtendible(this.bitDepthPath, meta('int64'), {
      long_name: 'bits per pixel the camera delivered (-1: not stored)',
    });
    file.createExtendible(this.exposurePath, meta('float64'), { units: 'ms', long_name: 'exposure time' });
  }

  /**
   * Writes one frame at `row` with a single hyperslab write of its pixel buffer. Returns a
   * problem description instead of writing if the frame does not fit the dataset.
   */
  write(file: SwmrRunFile, row: number, frame: Frame): string | null | typeof FRAME_REFUSED {
    const shape = this.shape;
    if (!shape) throw new Error(`frame dataset ${this.path} not created`);
    if (row < this.nextRow) return `row ${row} of ${this.dataKey} was already written`;
    if (this.linked) {
      // The pixels are row `row` of the linked file on the camera's host; only what they are is kept here.
      this.skipTo(row);
      this.pushMetadata(frame, row);
      if (this.frameNumbers.pending >= META_CHUNK_ROWS) this.writePending(file);
      return null;
    }
    const given = frameShape(frame);
    const samples = shape.reduce((a, b) => a * b, 1);
    if (given.join('×') !== shape.join('×') || frame.pixels.length !== samples) {
      return `frame ${frame.frameNumber} of ${this.dataKey} is ${given.join('×')} (${frame.pixels.length} samples) but the dataset holds ${shape.join('×')} (height×width[×colour]); row ${row} left empty`;
    }
    const pattern = frame.bayerPattern ?? null;
    if (this.bayerPattern === undefined) {
      // A raw mosaic: readers need the tile to demosaic it (areaDetector's BayerPattern, OpenCV's COLOR_Bayer*).
      if (pattern) this.setAttrs(file, { bayer_pattern: pattern, color_mode: 'bayer' });
      this.bayerPattern = pattern;
    } else if (pattern !== this.bayerPattern) {
      return `frame ${frame.frameNumber} of ${this.dataKey} has Bayer pattern ${pattern ?? 'none'} but the dataset records ${this.bayerPattern ?? 'none'}; row ${row} left empty`;
    }
    this.skipTo(row);
    const pixels = frame.pixels;
    const store = this.store;
    if (store) {
      // Refused: the row is left for the next frame (or padding) to mark as never stored.
      if (!store.submit(this.dataKey, row, pixels)) return FRAME_REFUSED;
    } else {
      file.writeRows(
        this.path,
        row,
        1,
        shape,
        new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength),
      );
    }
    this.pushMetadata(frame, row);
    if (this.frameNumbers.pending >= META_CHUNK_ROWS) this.writePending(file);
    return null;
  }

  private pushMetadata(frame: Frame, row: number): void {
    this.frameNumbers.push(frame.frameNumber);
    this.timestamps.push(frame.timestamp / 1000);
    this.bitDepths.push(frame.bitDepth);
    this.exposures.push(frame.exposureMs);
    this.nextRow = row + 1;
  }

  /**
   * Makes the dataset `rows` long even if its last frames never arrived (the queue refused
   * them), so every row a stream_datum may name exists.
   */
  padTo(file: SwmrRunFile, rows: number): void {
    if (!this.shape || rows <= this.nextRow) return;
    this.skipTo(rows);
    if (this.linked) return;
    if (this.store) this.store.extendTo(this.dataKey, rows);
    else file.extend(this.path, rows, this.shape);
  }

  /** Attributes of the pixel dataset (in the frames file when compressed: the link holds none). */
  setAttrs(file: SwmrRunFile, attrs: Record<string, string>): void {
    if (this.store) this.store.setAttrs(this.dataKey, attrs);
    else file.setAttrs(this.path, attrs);
  }

  /** Marks rows up to (not including) `row` that never got a frame. */
  private skipTo(row: number): void {
    const gap = row - this.nextRow;
    if (gap <= 0) return;
    for (let i = 0; i < gap; i++) {
      this.frameNumbers.push(-1);
      this.timestamps.push(Number.NaN);
      this.bitDepths.push(-1);
      this.exposures.push(Number.NaN);
    }
    this.nextRow = row;
  }

  writePending(file: SwmrRunFile): void {
    const count = this.frameNumbers.pending;
    if (count === 0 || !this.shape) return;
    const ignore = () => {};
    const columns: [Column, string][] = [
      [this.frameNumbers, this.numberPath],
      [this.timestamps, this.timestampPath],
      [this.bitDepths, this.bitDepthPath],
      [this.exposures, this.exposurePath],
    ];
    for (const [column, path] of columns) {
      const taken = column.take(ignore);
      if ('bytes' in taken) file.writeRows(path, this.metaRowsWritten, count, [], taken.bytes);
    }
    this.metaRowsWritten += count;
  }
}

function isDimension(n: number | undefined): n is number {
  return n !== undefined && Number.isInteger(n) && n > 0;
}
