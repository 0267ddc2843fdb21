import { type Builder, Field, makeBuilder, makeData, RecordBatch, Schema, Struct } from 'apache-arrow';
import type { DataKeyDtype } from '../../core/documents.ts';
import { arrowTypeFor, columnValue, timeType } from '../arrow/stream-schema.ts';

/** One column of plain values, as a non-Arrow reader (HDF5) has them. */
export interface ColumnValues {
  name: string;
  /** `time`: epoch seconds (event-model's float), stored as timestamp[us, UTC]. */
  dtype: DataKeyDtype | 'time';
  values: ArrayLike<unknown>;
  units?: string;
  source?: string;
}

/**
 * Builds a record batch in the layout RunDataReader promises (types from the data-key dtype,
 * units and source as field metadata). All columns must have the same length.
 */
export function batchFromColumns(columns: ColumnValues[], metadata = new Map<string, string>()): RecordBatch {
  const length = columns[0]?.values.length ?? 0;
  const fields: Field[] = [];
  const children = columns.map((column) => {
    if (column.values.length !== length) {
      throw new RangeError(`column ${column.name} has ${column.values.length} values, expected ${length}`);
    }
    const type = column.dtype === 'time' ? timeType() : arrowTypeFor(column.dtype);
    const meta = new Map<string, string>();
    if (column.units !== undefined) meta.set('units', column.units);
    if (column.source !== undefined) meta.set('source', column.source);
    fields.push(new Field(column.name, type, true, meta));
    const builder: Builder = makeBuilder({ type, nullValues: [null, undefined] });
    for (let i = 0; i < length; i++) {
      const value = column.values[i];
      if (column.dtype === 'time') builder.append(typeof value === 'number' ? value * 1000 : null);
      else builder.append(columnValue(column.dtype, value));
    }
    return builder.finish().flush();
  });
  const schema = new Schema(fields, metadata);
  return new RecordBatch(schema, makeData({ type: new Struct(fields), length, nullCount: 0, children }));
}
