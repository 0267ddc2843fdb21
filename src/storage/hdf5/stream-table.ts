import type { DataKey, EventDescriptor, RunEvent } from '../../core/documents.ts';
import {
  Column,
  type ColumnBatch,
  type ColumnSpec,
  columnSpecFor,
  extendibleSpec,
  rowBytes,
  toJson,
} from './column.ts';
import { fieldName } from './run-file-layout.ts';
import type { AttrValue, SwmrRunFile } from './swmr-run-file.ts';

/** Queued rows are written once they would hold this much, even before a chunk is full. */
const MAX_PENDING_BYTES = 16 * 2 ** 20;

const FILL: Record<ColumnSpec['kind'], string> = {
  float64: 'NaN',
  int64: '0',
  bool: '0',
  string: '""',
  json: 'null',
  array: 'NaN/0',
};

interface StoredColumn {
  /** Data key (or `time` / `seq_num` for the writer's own columns). */
  key: string;
  path: string;
  column: Column;
}

export type MismatchReporter = (message: string, details: Record<string, unknown>) => void;

/**
 * One event stream as an NXdata group: a 1-D (or N-D for fixed-shape arrays) dataset per inline
 * field, `time` (epoch seconds) and `seq_num`, and `timestamps/<field>` with each reading's own
 * time. Rows collect in memory and are written a chunk at a time (or at a flush), so each chunk
 * is normally compressed and written once.
 */
export class StreamTable {
  readonly name: string;
  readonly group: string;
  private readonly chunkRows: number;
  private readonly gzipLevel: number;
  private readonly fields = new Map<string, StoredColumn>();
  private readonly timestamps = new Map<string, StoredColumn>();
  private readonly time: StoredColumn;
  private readonly seqNum: StoredColumn;
  private rowsWritten = 0;
  private pendingRows = 0;
  /** Rows queued before a write: a chunk, or fewer when rows are large (inline arrays). */
  private maxPendingRows: number;

  private constructor(name: string, group: string, chunkRows: number, gzipLevel: number) {
    this.name = name;
    this.group = group;
    this.chunkRows = chunkRows;
    this.gzipLevel = gzipLevel;
    this.maxPendingRows = chunkRows;
    this.time = { key: 'time', path: `${group}/time`, column: new Column({ kind: 'float64', rowShape: [] }) };
    this.seqNum = {
      key: 'seq_num',
      path: `${group}/seq_num`,
      column: new Column({ kind: 'int64', rowShape: [] }),
    };
  }

  /** Creates the group and the writer's own datasets. */
  static create(
    file: SwmrRunFile,
    name: string,
    group: string,
    chunkRows: number,
    gzipLevel: number,
  ): StreamTable {
    const table = new StreamTable(name, group, chunkRows, gzipLevel);
    file.createGroup(group, { NX_class: 'NXdata', stream: name });
    file.createGroup(`${group}/timestamps`, { NX_class: 'NXcollection' });
    const scalar = (kind: 'float64' | 'int64') =>
      extendibleSpec({ kind, rowShape: [] }, chunkRows, gzipLevel);
    file.createExtendible(table.time.path, scalar('float64'), {
      units: 's',
      long_name: 'event time, seconds since 1970-01-01T00:00:00Z',
    });
    file.createExtendible(table.seqNum.path, scalar('int64'), { long_name: 'event sequence number' });
    return table;
  }

  /** Events written to the file (queued rows not included). */
  get eventsWritten(): number {
    return this.rowsWritten;
  }

  /**
   * Adds datasets for the descriptor's inline keys not seen before in this stream; rows written
   * before a field existed read as its fill value.
   */
  addFields(file: SwmrRunFile, descriptor: EventDescriptor): void {
    for (const [key, dataKey] of Object.entries(descriptor.data_keys)) {
      if (dataKey.external || this.fields.has(key)) continue;
      const spec = columnSpecFor(dataKey);
      const name = fieldName(key);
      const field = { key, path: `${this.group}/${name}`, column: new Column(spec) };
      const stamp = {
        key,
        path: `${this.group}/timestamps/${name}`,
        column: new Column({ kind: 'float64', rowShape: [] }),
      };
      file.createExtendible(
        field.path,
        extendibleSpec(spec, this.chunkRows, this.gzipLevel),
        fieldAttrs(dataKey),
      );
      file.createExtendible(stamp.path, extendibleSpec(stamp.column.spec, this.chunkRows, this.gzipLevel), {
        units: 's',
      });
      // Rows from before this field existed read as missing, so every dataset has one row per event.
      for (const stored of [field, stamp]) {
        if (this.rowsWritten > 0) {
          stored.column.pushMissing(this.rowsWritten);
          this.writeColumn(file, stored, 0, () => {});
        }
        stored.column.pushMissing(this.pendingRows);
      }
      this.fields.set(key, field);
      this.timestamps.set(key, stamp);
    }
    const bytesPerRow =
      16 + [...this.fields.values()].reduce((sum, f) => sum + 8 + rowBytes(f.column.spec), 0);
    this.maxPendingRows = Math.max(1, Math.min(this.chunkRows, Math.floor(MAX_PENDING_BYTES / bytesPerRow)));
  }

  /** Queues one event's row; writes when a chunk is full. Returns true if rows were written. */
  addEvent(file: SwmrRunFile, event: RunEvent, report: MismatchReporter): boolean {
    for (const [key, stored] of this.fields) stored.column.push(event.data[key]);
    for (const [key, stored] of this.timestamps) stored.column.push(event.timestamps[key]);
    this.time.column.push(event.time);
    this.seqNum.column.push(event.seq_num);
    this.pendingRows++;
    if (this.pendingRows < this.maxPendingRows) return false;
    this.writePending(file, report);
    return true;
  }

  /** Writes every queued row; returns how many events that was. */
  writePending(file: SwmrRunFile, report: MismatchReporter): number {
    if (this.pendingRows === 0) return 0;
    const first = this.rowsWritten;
    const columns = [this.time, this.seqNum, ...this.fields.values(), ...this.timestamps.values()];
    for (const stored of columns) {
      this.writeColumn(file, stored, first, (value, index) => {
        const kind = stored.column.spec.kind;
        report(
          `stream "${this.name}" field "${stored.key}" row ${first + index}: ${toJson(value)} does not fit a ${kind} field; stored as ${FILL[kind]} (reported once per field)`,
          { stream: this.name, field: stored.key, row: first + index, value },
        );
      });
    }
    const written = this.pendingRows;
    this.rowsWritten += written;
    this.pendingRows = 0;
    return written;
  }

  private writeColumn(
    file: SwmrRunFile,
    stored: StoredColumn,
    firstRow: number,
    onMismatch: (value: unknown, index: number) => void,
  ): void {
    const batch: ColumnBatch = stored.column.take(onMismatch);
    if ('strings' in batch) file.writeStringRows(stored.path, firstRow, batch.strings);
    else file.writeRows(stored.path, firstRow, batch.count, stored.column.spec.rowShape, batch.bytes);
  }
}

function fieldAttrs(key: DataKey): Record<string, AttrValue> {
  const attrs: Record<string, AttrValue> = { source: key.source, dtype: key.dtype };
  if (key.units) attrs.units = key.units;
  if (key.precision !== undefined) attrs.precision = key.precision;
  if (key.choices?.length) attrs.choices = key.choices;
  return attrs;
}
