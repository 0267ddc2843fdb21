import type { RunDocument } from '../../core/documents.ts';
import { framesOnAnotherHost } from './run-file-layout.ts';

/**
 * The main thread's record of camera rows: which data keys descriptors declared external, how
 * many frames were passed for each (row n is the n-th `frame()` call, written or refused), and
 * which stream_resource belongs to which key. It checks each stream_datum against those rows
 * as the document arrives, since a datum naming rows that do not exist breaks every reader.
 */
export class FrameRowLedger {
  private readonly cameraKeys = new Set<string>();
  private readonly rows = new Map<string, number>();
  private readonly resources = new Map<string, string>();
  /** Resources for frames in a file on another host: their rows are that file's, not this writer's. */
  private readonly elsewhere = new Set<string>();

  /** Records the document; returns a description of what is inconsistent about it, if anything. */
  observe(doc: RunDocument): string | null {
    switch (doc.name) {
      case 'descriptor':
        for (const [key, dataKey] of Object.entries(doc.doc.data_keys)) {
          if (dataKey.external) this.cameraKeys.add(key);
        }
        return null;
      case 'stream_resource':
        this.resources.set(doc.doc.uid, doc.doc.data_key);
        if (framesOnAnotherHost(doc.doc)) this.elsewhere.add(doc.doc.uid);
        return this.cameraKeys.has(doc.doc.data_key)
          ? null
          : `stream_resource ${doc.doc.uid}: data key "${doc.doc.data_key}" is not declared external by any descriptor`;
      case 'stream_datum':
        return this.checkDatum(doc.doc);
      default:
        return null;
    }
  }

  isCameraKey(dataKey: string): boolean {
    return this.cameraKeys.has(dataKey);
  }

  /** The row the next frame of `dataKey` goes to. */
  assignRow(dataKey: string): number {
    const row = this.rows.get(dataKey) ?? 0;
    this.rows.set(dataKey, row + 1);
    return row;
  }

  /** Rows assigned so far, per camera key. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.rows);
  }

  private checkDatum(datum: Extract<RunDocument, { name: 'stream_datum' }>['doc']): string | null {
    const key = this.resources.get(datum.stream_resource);
    if (key === undefined)
      return `stream_datum ${datum.uid}: stream_resource ${datum.stream_resource} never arrived`;
    const { start, stop } = datum.indices;
    const rows = this.rows.get(key) ?? 0;
    if (!Number.isInteger(start) || !Number.isInteger(stop) || start < 0 || stop < start) {
      return `stream_datum ${datum.uid}: indices ${start}..${stop} are not a row range`;
    }
    if (stop > rows && !this.elsewhere.has(datum.stream_resource)) {
      return `stream_datum ${datum.uid}: indices ${start}..${stop} of "${key}" but only ${rows} frames were passed to the writer`;
    }
    if (datum.seq_nums.stop - datum.seq_nums.start !== stop - start) {
      return `stream_datum ${datum.uid}: ${stop - start} rows but seq_nums ${datum.seq_nums.start}..${datum.seq_nums.stop}`;
    }
    return null;
  }
}
