import type { RecordBatch, Schema } from 'apache-arrow';
import { BenchtopError } from '../../core/errors.ts';
import type { RunRecord } from '../catalog/run-record.ts';

export interface StreamInfo {
  /** Unique within the run and safe as a file name: `primary`, `camera_frames`. */
  name: string;
  /** The descriptor's stream name (`primary`, `camera`). */
  stream: string;
  /** events: one row per event; frames: one row per camera frame of `dataKey`. */
  kind: 'events' | 'frames';
  dataKey?: string;
  /** Rows `read` will yield (the export's progress total). */
  rows: number;
}

export interface StreamData {
  schema: Schema;
  /** Batches in row order, each with `schema`'s fields. */
  batches: AsyncIterable<RecordBatch>;
}

/**
 * What export needs from a stored run, whatever its file format. A reader yields each stream as
 * Arrow record batches because Arrow is the one in-memory form every export target takes:
 * typed, nullable columns with units and source as field metadata (`units`, `source`), the
 * event time as a `time` column of timestamp[us, UTC], then `seq_num` and one column per data
 * key, as ArrowRunWriter lays them out. An HDF5 reader builds its batches with
 * `batchFromColumns` (column-batch.ts) from the typed arrays h5wasm returns.
 */
export interface RunDataReader {
  readonly runUid: string;
  streams(): Promise<StreamInfo[]>;
  /** The stream's schema (known even with no rows) and its rows in order. */
  read(stream: string): Promise<StreamData>;
  close(): Promise<void>;
}

/** The catalog fields that locate a run's files (RunRecord's, so an entry passes as is). */
export type StoredRun = Pick<RunRecord, 'uid' | 'format' | 'files'>;

/** Opens a stored run of one format; `files` are relative to `outputDir`. */
export type RunDataReaderFactory = (run: StoredRun, outputDir: string) => Promise<RunDataReader>;

/** Opens a run with the reader registered for its writer format (`hdf5`, `arrow`). */
export async function openRunDataReader(
  run: StoredRun,
  outputDir: string,
  factories: Readonly<Record<string, RunDataReaderFactory>>,
): Promise<RunDataReader> {
  const factory = Object.hasOwn(factories, run.format) ? factories[run.format] : undefined;
  if (!factory) {
    throw new BenchtopError(
      'STORAGE_ERROR',
      `run ${run.uid}: no reader for format "${run.format}" (readers: ${Object.keys(factories).join(', ')})`,
      { runUid: run.uid, format: run.format },
    );
  }
  return factory(run, outputDir);
}
