import type { DataKey } from '../../core/documents.ts';
import type { ExtendibleSpec } from './swmr-run-file.ts';

/**
 * How one event field is stored: numbers float64 (NaN when missing), integers int64, booleans
 * uint8 (NeXus NX_BOOLEAN), strings variable-length UTF-8, fixed-shape arrays as extra
 * dimensions, and anything without a fixed shape as a JSON string.
 */
export type ColumnKind = 'float64' | 'int64' | 'bool' | 'string' | 'json' | 'array';

export interface ColumnSpec {
  kind: ColumnKind;
  /** For `array`: the numpy element type (`<f8`, `<u2`, …) and the shape of one value. */
  element?: NumericDtype;
  rowShape: number[];
}

type NumericDtype = '<f8' | '<f4' | '<i8' | '<i4' | '<i2' | '|i1' | '<u8' | '<u4' | '<u2' | '|u1';

const NUMERIC: Record<NumericDtype, { h5: string; bytes: number; array: ElementArrayConstructor }> = {
  '<f8': { h5: '<d', bytes: 8, array: Float64Array },
  '<f4': { h5: '<f', bytes: 4, array: Float32Array },
  '<i8': { h5: '<q', bytes: 8, array: BigInt64Array },
  '<i4': { h5: '<i', bytes: 4, array: Int32Array },
  '<i2': { h5: '<h', bytes: 2, array: Int16Array },
  '|i1': { h5: '<b', bytes: 1, array: Int8Array },
  '<u8': { h5: '<Q', bytes: 8, array: BigUint64Array },
  '<u4': { h5: '<I', bytes: 4, array: Uint32Array },
  '<u2': { h5: '<H', bytes: 2, array: Uint16Array },
  '|u1': { h5: '<B', bytes: 1, array: Uint8Array },
};

type ElementArray =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | BigUint64Array
  | Uint32Array
  | Uint16Array
  | Uint8Array;
type ElementArrayConstructor = new (length: number) => ElementArray;

/** numpy spells one-byte types with `|`; `<i1` and `|i1` are the same. */
function numericDtype(dtypeNumpy: string | undefined): NumericDtype | undefined {
  if (!dtypeNumpy) return undefined;
  const normal = dtypeNumpy.replace(/^[<|=]([iu]1)$/, '|$1').replace(/^=/, '<');
  return normal in NUMERIC ? (normal as NumericDtype) : undefined;
}

/** The column for an inline (non-external) data key. */
export function columnSpecFor(key: DataKey): ColumnSpec {
  if (key.shape.length > 0) {
    const known = key.shape.every((n) => Number.isInteger(n) && n > 0);
    if (!known || key.dtype === 'string') return { kind: 'json', rowShape: [] };
    const fallback: NumericDtype = key.dtype === 'integer' ? '<i8' : key.dtype === 'boolean' ? '|u1' : '<f8';
    return { kind: 'array', element: numericDtype(key.dtype_numpy) ?? fallback, rowShape: key.shape };
  }
  switch (key.dtype) {
    case 'number':
      return { kind: 'float64', rowShape: [] };
    case 'integer':
      return { kind: 'int64', rowShape: [] };
    case 'boolean':
      return { kind: 'bool', rowShape: [] };
    case 'string':
      return { kind: 'string', rowShape: [] };
    default:
      return { kind: 'json', rowShape: [] };
  }
}

export function extendibleSpec(spec: ColumnSpec, chunkRows: number, gzipLevel: number): ExtendibleSpec {
  const dtype = {
    float64: '<d',
    int64: '<q',
    bool: '<B',
    string: 'S',
    json: 'S',
    array: NUMERIC[spec.element ?? '<f8'].h5,
  }[spec.kind];
  return { dtype, rowShape: spec.rowShape, chunkRows: rowsPerChunk(spec, chunkRows), gzipLevel };
}

/** Bytes one row of the column takes in memory before it is written (strings: a guess). */
export function rowBytes(spec: ColumnSpec): number {
  if (spec.kind !== 'array') return spec.kind === 'string' || spec.kind === 'json' ? 64 : 8;
  return NUMERIC[spec.element ?? '<f8'].bytes * spec.rowShape.reduce((a, b) => a * b, 1);
}

/** Chunks of at most ~1 MiB: big arrays per row get fewer rows per chunk. */
function rowsPerChunk(spec: ColumnSpec, chunkRows: number): number {
  if (spec.kind !== 'array') return chunkRows;
  return Math.max(1, Math.min(chunkRows, Math.floor(2 ** 20 / rowBytes(spec))));
}

/** Rows ready for one write: raw little-endian bytes, or strings for variable-length datasets. */
export type ColumnBatch = { bytes: Uint8Array; count: number } | { strings: string[]; count: number };

/**
 * Values of one field waiting to be written. A value that does not fit the field's type is
 * stored as the fill value (NaN, 0, "") and reported once per column, so one bad reading never
 * stops a run.
 */
export class Column {
  readonly spec: ColumnSpec;
  private values: unknown[] = [];
  private mismatchReported = false;

  constructor(spec: ColumnSpec) {
    this.spec = spec;
  }

  get pending(): number {
    return this.values.length;
  }

  push(value: unknown): void {
    this.values.push(value);
  }

  /** Appends `count` missing values (rows that existed before this field did). */
  pushMissing(count: number): void {
    for (let i = 0; i < count; i++) this.values.push(undefined);
  }

  /**
   * Takes the pending values as one batch. `onMismatch` is called for the first value in this
   * column's life that had to be replaced by the fill value.
   */
  take(onMismatch: (value: unknown, index: number) => void): ColumnBatch {
    const values = this.values;
    this.values = [];
    const bad = (value: unknown, index: number) => {
      if (this.mismatchReported) return;
      this.mismatchReported = true;
      onMismatch(value, index);
    };
    const count = values.length;
    switch (this.spec.kind) {
      case 'string':
        return {
          count,
          strings: values.map((v, i) => {
            if (typeof v === 'string') return v;
            if (v !== undefined && v !== null) bad(v, i);
            return '';
          }),
        };
      case 'json':
        return { count, strings: values.map((v) => toJson(v ?? null)) };
      case 'float64': {
        const out = new Float64Array(count);
        values.forEach((v, i) => {
          if (typeof v === 'number') out[i] = v;
          else {
            if (v !== undefined && v !== null) bad(v, i);
            out[i] = Number.NaN;
          }
        });
        return { count, bytes: asBytes(out) };
      }
      case 'int64': {
        const out = new BigInt64Array(count);
        values.forEach((v, i) => {
          if (typeof v === 'number' && Number.isSafeInteger(v)) out[i] = BigInt(v);
          else if (typeof v === 'bigint') out[i] = v;
          else if (v !== undefined && v !== null) bad(v, i);
        });
        return { count, bytes: asBytes(out) };
      }
      case 'bool': {
        const out = new Uint8Array(count);
        values.forEach((v, i) => {
          if (typeof v === 'boolean') out[i] = v ? 1 : 0;
          else if (v === 0 || v === 1) out[i] = v;
          else if (v !== undefined && v !== null) bad(v, i);
        });
        return { count, bytes: out };
      }
      case 'array':
        return { count, bytes: this.arrayBytes(values, bad) };
    }
  }

  private arrayBytes(values: unknown[], bad: (value: unknown, index: number) => void): Uint8Array {
    const element = NUMERIC[this.spec.element ?? '<f8'];
    const rowLength = this.spec.rowShape.reduce((a, b) => a * b, 1);
    const buffer = new element.array(values.length * rowLength);
    if (buffer instanceof Float64Array || buffer instanceof Float32Array) buffer.fill(Number.NaN);
    const store =
      buffer instanceof BigInt64Array || buffer instanceof BigUint64Array
        ? (at: number, n: number) => {
            buffer[at] = Number.isFinite(n) ? BigInt(Math.trunc(n)) : 0n;
          }
        : (at: number, n: number) => {
            buffer[at] = n;
          };
    values.forEach((v, i) => {
      const flat = flatten(v);
      if (flat === null || flat.length !== rowLength) {
        if (v !== undefined && v !== null) bad(v, i);
        return;
      }
      for (let j = 0; j < rowLength; j++) store(i * rowLength + j, Number(flat[j]));
    });
    return asBytes(buffer);
  }
}

/** JSON for values as they arrive from drivers: typed arrays as arrays, bigints as numbers. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    if (ArrayBuffer.isView(v) && !(v instanceof DataView))
      return Array.from(v as unknown as ArrayLike<unknown>);
    return v;
  });
}

function flatten(value: unknown): unknown[] | null {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<unknown>);
  }
  if (!Array.isArray(value)) return null;
  return value.flat(Number.POSITIVE_INFINITY);
}

function asBytes(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
