import { type Builder, Int64, makeBuilder, makeData, RecordBatch, Struct } from 'apache-arrow';
import type { DataKeyDtype, RunEvent } from '../../engine/documents.ts';
import { type StreamLayout, timeType } from './stream-schema.ts';

/**
 * A value as its column stores it, or null. A value of the wrong type is stored as null (a
 * missing reading) rather than coerced: a string in a number column is a driver bug, and a
 * guessed number would look like a measurement.
 */
function cell(dtype: DataKeyDtype, value: unknown): unknown {
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

/** Accumulates one stream's events column by column and cuts them into record batches. */
export class EventBatchBuilder {
  private readonly layout: StreamLayout;
  private readonly seqNum: Builder;
  private readonly time: Builder;
  private readonly data: Builder[];
  private rows = 0;

  constructor(layout: StreamLayout) {
    this.layout = layout;
    const nullValues = [null, undefined];
    this.seqNum = makeBuilder({ type: new Int64(), nullValues });
    this.time = makeBuilder({ type: timeType(), nullValues });
    this.data = layout.columns.map((c) => makeBuilder({ type: c.type, nullValues }));
  }

  get length(): number {
    return this.rows;
  }

  append(event: RunEvent): void {
    this.seqNum.append(BigInt(event.seq_num));
    // The timestamp builder takes epoch milliseconds and stores microseconds.
    this.time.append(event.time * 1000);
    this.layout.columns.forEach((column, i) => {
      this.data[i]!.append(cell(column.dtype, event.data[column.key]));
    });
    this.rows++;
  }

  /** The rows appended since the last call, as one batch; null when there are none. */
  take(): RecordBatch | null {
    if (this.rows === 0) return null;
    const children = [this.seqNum, this.time, ...this.data].map((b) => b.flush());
    const { schema } = this.layout;
    const length = this.rows;
    this.rows = 0;
    return new RecordBatch(
      schema,
      makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }),
    );
  }
}
