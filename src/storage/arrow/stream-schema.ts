import {
  Bool,
  type DataType,
  Field,
  Float64,
  Int64,
  List,
  Schema,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';
import type { DataKey, DataKeyDtype, EventDescriptor, RunStart } from '../../core/documents.ts';
import { BenchtopError } from '../../core/errors.ts';

/** Schema-level metadata keys. Namespaced so they never collide with a reader's own keys. */
export const SchemaMeta = {
  runUid: 'benchtop.run_uid',
  planName: 'benchtop.plan_name',
  stream: 'benchtop.stream',
  descriptorUid: 'benchtop.descriptor_uid',
  /** The whole descriptor as JSON (configuration, hints, object_keys). */
  descriptor: 'benchtop.descriptor',
  /** For frame files: the data key the frames belong to. */
  dataKey: 'benchtop.data_key',
} as const;

export const SEQ_NUM = 'seq_num';
export const TIME = 'time';

/**
 * Event time is a UTC timestamp in microseconds: pandas reads it as datetime64[ns, UTC], DuckDB as
 * TIMESTAMP WITH TIME ZONE, Polars as Datetime(us, UTC). Event-model's float seconds are
 * `time.astype('int64') / 1e6`; microseconds keep every digit the float carried.
 */
export const timeType = (): TimestampMicrosecond => new TimestampMicrosecond('UTC');

export interface ColumnSpec {
  key: string;
  dtype: DataKeyDtype;
  type: DataType;
}

export interface StreamLayout {
  schema: Schema;
  /** Data-key columns in descriptor order (after seq_num and time). */
  columns: ColumnSpec[];
  /** Data keys stored outside the events (camera frames), each in its own frames file. */
  externalKeys: string[];
}

/** Arrow type for a data key's dtype. Inline arrays (spectra, traces) become lists of float64. */
export function arrowTypeFor(dtype: DataKeyDtype): DataType {
  switch (dtype) {
    case 'number':
      return new Float64();
    case 'integer':
      return new Int64();
    case 'boolean':
      return new Bool();
    case 'string':
      return new Utf8();
    case 'array':
      return new List(new Field('item', new Float64(), true));
  }
}

/**
 * A value as its column stores it, or null. A value of the wrong type is stored as null (a
 * missing reading) rather than coerced: a string in a number column is a driver bug, and a
 * guessed number would look like a measurement.
 */
export function columnValue(dtype: DataKeyDtype, value: unknown): unknown {
  switch (dtype) {
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'integer':
      if (typeof value === 'bigint') return value;
      return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'string':
      return typeof value === 'string' ? value : null;
    case 'array':
      return Array.isArray(value) ? value.map((v) => (typeof v === 'number' ? v : null)) : null;
  }
}

/** Units, source and precision travel as field metadata so every Arrow reader keeps them. */
export function fieldMetadata(key: DataKey): Map<string, string> {
  const meta = new Map<string, string>([['source', key.source]]);
  if (key.units !== undefined) meta.set('units', key.units);
  if (key.precision !== undefined) meta.set('precision', String(key.precision));
  return meta;
}

export function runMetadata(start: RunStart, descriptor: EventDescriptor): Map<string, string> {
  return new Map([
    [SchemaMeta.runUid, start.uid],
    [SchemaMeta.planName, start.plan_name],
    [SchemaMeta.stream, descriptor.name],
    [SchemaMeta.descriptorUid, descriptor.uid],
    [SchemaMeta.descriptor, JSON.stringify(descriptor)],
  ]);
}

/** The schema of one stream's event file: seq_num, time, then one column per inline data key. */
export function streamLayout(start: RunStart, descriptor: EventDescriptor): StreamLayout {
  const columns: ColumnSpec[] = [];
  const externalKeys: string[] = [];
  const fields: Field[] = [new Field(SEQ_NUM, new Int64(), false), new Field(TIME, timeType(), false)];
  for (const [key, dataKey] of Object.entries(descriptor.data_keys)) {
    if (dataKey.external !== undefined) {
      externalKeys.push(key);
      continue;
    }
    if (key === SEQ_NUM || key === TIME) {
      throw new BenchtopError(
        'STORAGE_ERROR',
        `stream "${descriptor.name}": data key "${key}" collides with the ${key} column every Arrow stream file has`,
        { stream: descriptor.name, dataKey: key },
      );
    }
    const type = arrowTypeFor(dataKey.dtype);
    columns.push({ key, dtype: dataKey.dtype, type });
    fields.push(new Field(key, type, true, fieldMetadata(dataKey)));
  }
  return { schema: new Schema(fields, runMetadata(start, descriptor)), columns, externalKeys };
}
