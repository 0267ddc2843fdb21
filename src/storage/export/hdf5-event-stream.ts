import type { RecordBatch, Schema } from 'apache-arrow';
import type { Dataset } from 'h5wasm/node';
import type { DataKey, EventDescriptor, RunEvent, RunStart } from '../../core/documents.ts';
import { EventBatchBuilder } from '../arrow/event-batch-builder.ts';
import { type StreamLayout, streamLayout } from '../arrow/stream-schema.ts';
import { type ColumnSpec, columnSpecFor } from '../hdf5/column.ts';
import { fieldName } from '../hdf5/run-file-layout.ts';

/** Rows per batch are cut so one batch's values take about `batchBytes` of memory, at most this many. */
const MAX_BATCH_ROWS = 65_536;

/** Finds a dataset in the run file, or null when the file has none at that path. */
export type DatasetLookup = (path: string) => Dataset | null;

interface StoredField {
  key: string;
  spec: ColumnSpec;
  values: Dataset | null;
  /** `timestamps/<field>`: NaN where the event had no reading for the key. */
  stamps: Dataset | null;
}

/**
 * One event stream of an HDF5 run file (an NXdata group written by StreamTable), read back as
 * the record batches ArrowRunWriter would have written for the same events: the schema comes
 * from the same `streamLayout`, and rows go through the same `EventBatchBuilder`, so units,
 * source, precision, types and the time conversion are identical by construction.
 *
 * HDF5 has no nulls: the writer stores a missing reading as the column's fill value (NaN, 0,
 * false, "") and its timestamp as NaN. A fill value whose timestamp is NaN reads back as null,
 * as the Arrow writer stores it; a real reading that happens to equal the fill value keeps its
 * timestamp and its value.
 */
export class Hdf5EventStream {
  readonly group: string;
  readonly descriptor: EventDescriptor;
  readonly layout: StreamLayout;
  /** Rows every dataset of the group holds (a killed writer may leave some columns longer). */
  readonly rows: number;
  private readonly time: Dataset;
  private readonly seqNum: Dataset;
  private readonly fields: StoredField[];
  private readonly batchBytes: number;

  /**
   * `descriptors`: every descriptor of the stream, first one first. The HDF5 writer keeps one
   * group per stream name and adds the data keys of later descriptors to it, so they are merged.
   */
  constructor(
    group: string,
    start: RunStart,
    descriptors: EventDescriptor[],
    dataset: DatasetLookup,
    time: Dataset,
    seqNum: Dataset,
    batchBytes: number,
  ) {
    this.group = group;
    this.batchBytes = batchBytes;
    const [first, ...later] = descriptors;
    if (!first) throw new Error(`${group}: no descriptor`);
    const dataKeys: Record<string, DataKey> = { ...first.data_keys };
    for (const d of later) for (const [k, v] of Object.entries(d.data_keys)) dataKeys[k] ??= v;
    this.descriptor = { ...first, data_keys: dataKeys };
    this.layout = streamLayout(start, this.descriptor);
    this.time = time;
    this.seqNum = seqNum;
    this.fields = this.layout.columns.map(({ key }) => {
      const name = fieldName(key);
      return {
        key,
        spec: columnSpecFor(dataKeys[key]!),
        values: dataset(`${group}/${name}`),
        stamps: dataset(`${group}/timestamps/${name}`),
      };
    });
    const lengths = [time, seqNum, ...this.fields.flatMap((f) => [f.values, f.stamps])]
      .filter((d) => d !== null)
      .map((d) => d.shape?.[0] ?? 0);
    this.rows = Math.min(...lengths);
  }

  get schema(): Schema {
    return this.layout.schema;
  }

  /** The rows in batches of bounded size, each read from the file only when asked for. */
  async *batches(): AsyncGenerator<RecordBatch> {
    const step = this.batchRows();
    const builder = new EventBatchBuilder(this.layout);
    for (let first = 0; first < this.rows; first += step) {
      const end = Math.min(this.rows, first + step);
      for (const event of this.readEvents(first, end)) builder.append(event);
      const batch = builder.take();
      if (batch) yield batch;
    }
  }

  private batchRows(): number {
    const rowBytes = 16 + this.fields.reduce((sum, f) => sum + 8 + storedRowBytes(f), 0);
    return Math.max(1, Math.min(MAX_BATCH_ROWS, Math.floor(this.batchBytes / rowBytes)));
  }

  private readEvents(first: number, end: number): RunEvent[] {
    const range = [[first, end]] as [[number, number]];
    const times = this.time.slice(range) as Float64Array;
    const seqNums = this.seqNum.slice(range) as BigInt64Array;
    const count = end - first;
    const events: RunEvent[] = Array.from({ length: count }, (_, i) => ({
      uid: '',
      descriptor: this.descriptor.uid,
      seq_num: Number(seqNums[i]),
      time: times[i]!,
      data: {},
      timestamps: {},
    }));
    for (const field of this.fields) {
      if (!field.values) continue; // the key has no dataset: every row reads as null
      const values = rowValues(field.spec, field.values.slice(range), count);
      const stamps = field.stamps ? (field.stamps.slice(range) as Float64Array) : null;
      for (let i = 0; i < count; i++) {
        const missing = stamps !== null && Number.isNaN(stamps[i]!) && isFill(field.spec, values[i]);
        if (!missing) events[i]!.data[field.key] = values[i];
      }
    }
    return events;
  }
}

/** One JS value per row: numbers, bigints, booleans, strings, parsed JSON, or arrays of numbers. */
function rowValues(spec: ColumnSpec, raw: unknown, count: number): unknown[] {
  switch (spec.kind) {
    case 'float64':
    case 'int64':
      return Array.from(raw as ArrayLike<number | bigint>);
    case 'bool':
      return Array.from(raw as Uint8Array, (v) => v !== 0);
    case 'string':
      return raw as string[];
    case 'json':
      return (raw as string[]).map((text) => JSON.parse(text) as unknown);
    case 'array': {
      // A fixed-shape value per row, stored as extra dimensions: each row is flattened to a list.
      const flat = raw as ArrayLike<number | bigint>;
      const rowLength = flat.length / count;
      return Array.from({ length: count }, (_, i) =>
        Array.from({ length: rowLength }, (_, j) => Number(flat[i * rowLength + j])),
      );
    }
  }
}

/** What the writer stores for a missing reading (column.ts): NaN, 0, false, "", JSON null. */
function isFill(spec: ColumnSpec, value: unknown): boolean {
  switch (spec.kind) {
    case 'float64':
      return Number.isNaN(value);
    case 'int64':
      return value === 0n;
    case 'bool':
      return value === false;
    case 'string':
      return value === '';
    case 'json':
      return value === null;
    case 'array':
      return (value as number[]).every((v) => v === 0 || Number.isNaN(v));
  }
}

function storedRowBytes(field: StoredField): number {
  const dataset = field.values;
  if (!dataset) return 0;
  if (dataset.metadata.vlen) return 64; // strings: a guess, as the writer makes
  const perRow = (dataset.shape ?? []).slice(1).reduce((a, b) => a * b, 1);
  return dataset.metadata.size * perRow;
}
