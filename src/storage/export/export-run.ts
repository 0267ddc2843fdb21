import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { BenchtopError, isBenchtopError } from '../../core/errors.ts';
import { writeArrowFile } from './arrow-export.ts';
import { csvUnsupportedFields } from './csv-encoding.ts';
import { writeCsvFile } from './csv-export.ts';
import { writeParquetFile } from './parquet-export.ts';
import type { RunDataReader, StreamData } from './run-data-reader.ts';

export { EXPORT_FORMATS } from './export-formats.ts';

import { EXPORT_FORMATS } from './export-formats.ts';
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const WRITERS: Record<ExportFormat, (data: StreamData, path: string) => Promise<void>> = {
  arrow: writeArrowFile,
  parquet: writeParquetFile,
  csv: writeCsvFile,
};

export interface ExportOptions {
  reader: RunDataReader;
  format: ExportFormat;
  /** Created if missing; each stream becomes `<destDir>/<stream>.<format>`. */
  destDir: string;
  /** Stream names to export (StreamInfo.name); all when omitted. */
  streams?: string[];
  /** Rows written so far and rows in total, after each batch (and once with 0 at the start). */
  onProgress?: (done: number, total: number) => void;
}

export interface ExportResult {
  /** Absolute paths of the files written. */
  files: string[];
  /** Streams the format cannot hold (camera frames in CSV), with the reason. */
  skipped: { stream: string; reason: string }[];
  rows: number;
}

/**
 * Exports a finished run, stream by stream, from whatever format it was stored in (the reader
 * hides that). Each file is written under a `.partial` name and renamed when complete, so a
 * failed or interrupted export never leaves a file that looks whole.
 */
export async function exportRun(options: ExportOptions): Promise<ExportResult> {
  const { reader, format, destDir } = options;
  const write = Object.hasOwn(WRITERS, format) ? WRITERS[format] : undefined;
  if (!write) {
    throw new BenchtopError('VALIDATION_FAILED', `unknown export format "${format}"`, {
      format,
      allowed: EXPORT_FORMATS,
    });
  }
  const available = await reader.streams();
  const wanted = options.streams ?? available.map((s) => s.name);
  const unknown = wanted.filter((name) => !available.some((s) => s.name === name));
  if (unknown.length > 0) {
    throw new BenchtopError('NOT_FOUND', `run ${reader.runUid} has no stream ${unknown.join(', ')}`, {
      runUid: reader.runUid,
      unknown,
      streams: available.map((s) => s.name),
    });
  }
  const selected = available.filter((s) => wanted.includes(s.name));
  const result: ExportResult = { files: [], skipped: [], rows: 0 };
  const plan: { name: string; rows: number; data: StreamData }[] = [];
  for (const info of selected) {
    const data = await reader.read(info.name);
    const unsupported = format === 'csv' ? csvUnsupportedFields(data.schema) : [];
    if (unsupported.length > 0) {
      result.skipped.push({
        stream: info.name,
        reason: `CSV cannot hold image columns (${unsupported.join(', ')})`,
      });
    } else {
      plan.push({ name: info.name, rows: info.rows, data });
    }
  }

  const total = plan.reduce((n, p) => n + p.rows, 0);
  let done = 0;
  options.onProgress?.(0, total);
  async function* counted(batches: AsyncIterable<RecordBatch>): AsyncGenerator<RecordBatch> {
    for await (const batch of batches) {
      yield batch;
      // Counted once the writer asks for the next batch, i.e. after this one is written.
      done += batch.numRows;
      options.onProgress?.(done, Math.max(total, done));
    }
  }

  const storageError = (err: unknown, path: string, stream?: string) =>
    isBenchtopError(err)
      ? err
      : new BenchtopError(
          'STORAGE_ERROR',
          `export of run ${reader.runUid} to ${path} failed: ${(err as Error).message}`,
          { runUid: reader.runUid, stream, path, format },
          { cause: err },
        );
  try {
    await mkdir(destDir, { recursive: true });
  } catch (err) {
    throw storageError(err, destDir);
  }
  for (const { name, data } of plan) {
    const path = join(destDir, `${name}.${format}`);
    const partial = `${path}.partial`;
    try {
      await rm(partial, { force: true });
      await write({ schema: data.schema, batches: counted(data.batches) }, partial);
      await rename(partial, path);
    } catch (err) {
      await rm(partial, { force: true }).catch(() => {});
      throw storageError(err, path, name);
    }
    result.files.push(path);
  }
  result.rows = done;
  return result;
}
