import { type Builder, Int64, makeBuilder, makeData, RecordBatch, Struct } from 'apache-arrow';
import type { RunEvent } from '../../core/documents.ts';
import { columnValue, type StreamLayout, timeType } from './stream-schema.ts';

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
      this.data[i]!.append(columnValue(column.dtype, event.data[column.key]));
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
