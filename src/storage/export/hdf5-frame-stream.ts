import {
  Field,
  type FixedSizeList,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Uint16,
} from 'apache-arrow';
import type { Dataset } from 'h5wasm/node';
import type { EventDescriptor, RunStart } from '../../core/documents.ts';
import { frameSchema } from '../arrow/frame-batch.ts';
import { timeType } from '../arrow/stream-schema.ts';

/** What the stream reads pixels from: an h5wasm dataset, or a frames file decoded here. */
export interface FramePixels {
  readonly shape: number[] | null;
  slice(ranges: [[number, number]]): unknown;
}

/** Frame numbers are scanned in slices of this many rows when counting stored frames. */
const SCAN_ROWS = 65_536;

/**
 * Per-frame columns that files written before they were added do not hold: present in the
 * schema so both formats export the same columns, null when the dataset is missing.
 */
const OPTIONAL = new Set(['bit_depth', 'exposure_ms']);

/**
 * One camera data key of an HDF5 run file (`<key>` (n, height, width) uint16 with
 * `<key>_frame_number` and `<key>_timestamp` beside it) read back as ArrowRunWriter's frames
 * layout: one row per stored frame, pixels as FixedSizeList<uint16>[height × width].
 *
 * Rows whose frame number is -1 are frames the writer never got (refused by its queue, or of
 * the wrong size) and are left out, as the Arrow writer leaves them out. Pixels are read a few
 * frames at a time, so a long camera run is never held whole.
 */
export class Hdf5FrameStream {
  readonly dataKey: string;
  readonly schema: Schema;
  private readonly pixels: FramePixels;
  private readonly frameNumbers: Dataset;
  private readonly timestamps: Dataset;
  private readonly bitDepths: Dataset | undefined;
  private readonly exposures: Dataset | undefined;
  private readonly height: number;
  private readonly width: number;
  /** Rows present in all three datasets (a killed writer may leave the pixels ahead). */
  private readonly storedRows: number;
  private readonly batchBytes: number;
  private counted: number | null = null;

  constructor(
    start: RunStart,
    descriptor: EventDescriptor,
    dataKey: string,
    datasets: {
      pixels: FramePixels;
      frameNumbers: Dataset;
      timestamps: Dataset;
      bitDepths?: Dataset;
      exposures?: Dataset;
    },
    /** Pixels per batch take about this much memory (at least one frame). */
    batchBytes: number,
  ) {
    this.batchBytes = batchBytes;
    this.dataKey = dataKey;
    this.pixels = datasets.pixels;
    this.frameNumbers = datasets.frameNumbers;
    this.timestamps = datasets.timestamps;
    this.bitDepths = datasets.bitDepths;
    this.exposures = datasets.exposures;
    const [rows = 0, height = 0, width = 0] = this.pixels.shape ?? [];
    this.height = height;
    this.width = width;
    this.storedRows = Math.min(rows, this.frameNumbers.shape?.[0] ?? 0, this.timestamps.shape?.[0] ?? 0);
    const arrow = frameSchema(start, descriptor, dataKey, height, width);
    this.schema = new Schema(
      arrow.fields.map((f) => (OPTIONAL.has(f.name) ? new Field(f.name, f.type, true, f.metadata) : f)),
      arrow.metadata,
    );
  }

  /** Frames that were stored (rows with a frame number), counted without reading any pixels. */
  rows(): number {
    if (this.counted === null) {
      let n = 0;
      for (let first = 0; first < this.storedRows; first += SCAN_ROWS) {
        const numbers = this.frameNumbers.slice([
          [first, Math.min(this.storedRows, first + SCAN_ROWS)],
        ]) as BigInt64Array;
        for (const number of numbers) if (number >= 0n) n++;
      }
      this.counted = n;
    }
    return this.counted;
  }

  async *batches(): AsyncGenerator<RecordBatch> {
    const frameLength = this.height * this.width;
    const step = Math.max(1, Math.floor(this.batchBytes / Math.max(1, 2 * frameLength)));
    for (let first = 0; first < this.storedRows; first += step) {
      const range = [[first, Math.min(this.storedRows, first + step)]] as [[number, number]];
      const numbers = this.frameNumbers.slice(range) as BigInt64Array;
      const kept: number[] = [];
      numbers.forEach((n, i) => {
        if (n >= 0n) kept.push(i);
      });
      if (kept.length === 0) continue;
      const seconds = this.timestamps.slice(range) as Float64Array;
      const pixels = this.pixels.slice(range) as Uint16Array;
      const depths = this.bitDepths?.slice(range) as BigInt64Array | undefined;
      const exposures = this.exposures?.slice(range) as Float64Array | undefined;
      yield this.batch(kept, numbers, seconds, pixels, frameLength, depths, exposures);
    }
  }

  private batch(
    kept: number[],
    numbers: BigInt64Array,
    seconds: Float64Array,
    pixels: Uint16Array,
    frameLength: number,
    depths: BigInt64Array | undefined,
    exposures: Float64Array | undefined,
  ): RecordBatch {
    const length = kept.length;
    const all = length === numbers.length;
    let stack = pixels;
    if (!all) {
      stack = new Uint16Array(length * frameLength);
      kept.forEach((row, i) => {
        stack.set(pixels.subarray(row * frameLength, (row + 1) * frameLength), i * frameLength);
      });
    }
    const int32 = (value: number) => new Int32Array(length).fill(value);
    const fields = this.schema.fields;
    const scalar = { length, nullCount: 0 };
    const noValues = { length, nullCount: length, nullBitmap: new Uint8Array(Math.ceil(length / 8)) };
    const children = [
      makeData({ ...scalar, type: new Int64(), data: BigInt64Array.from(kept, (i) => numbers[i]!) }),
      // Stored as float epoch seconds; the Arrow layout keeps microseconds.
      makeData({
        ...scalar,
        type: timeType(),
        data: BigInt64Array.from(kept, (i) => BigInt(Math.round(seconds[i]! * 1e6))),
      }),
      makeData({ ...scalar, type: new Int32(), data: int32(this.width) }),
      makeData({ ...scalar, type: new Int32(), data: int32(this.height) }),
      depths
        ? makeData({ ...scalar, type: new Int32(), data: Int32Array.from(kept, (i) => Number(depths[i]!)) })
        : makeData({ ...noValues, type: new Int32(), data: new Int32Array(length) }),
      exposures
        ? makeData({ ...scalar, type: new Float64(), data: Float64Array.from(kept, (i) => exposures[i]!) })
        : makeData({ ...noValues, type: new Float64(), data: new Float64Array(length) }),
      makeData({
        ...scalar,
        type: fields[6]!.type as FixedSizeList<Uint16>,
        child: makeData({ type: new Uint16(), length: stack.length, nullCount: 0, data: stack }),
      }),
    ];
    return new RecordBatch(
      this.schema,
      makeData({ type: new Struct(fields), length, nullCount: 0, children }),
    );
  }
}
