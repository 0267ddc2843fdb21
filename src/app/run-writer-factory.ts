import type { BenchtopConfig } from '../config/schema.ts';
import type { Clock } from '../core/clock.ts';
import type { RunStart } from '../core/documents.ts';
import type { BenchtopError } from '../core/errors.ts';
import type { EngineRunWriter, WriterFactory, WriterReport } from '../engine/run-storage.ts';
import type { DiskSpace } from '../storage/disk-space.ts';
import { Hdf5RunWriter, hdf5WriterOptions } from '../storage/hdf5/hdf5-run-writer.ts';
import { hdf5FrameResource, runFileName } from '../storage/hdf5/run-file-layout.ts';

/**
 * The writer for each run, chosen by `[storage] default_backend`, with its drops, failures and
 * warnings routed to the engine (which puts them on the bus and in the run's stop reason), and
 * the location of camera frames for the run's stream_resource documents. Only the configured
 * backend's writer is loaded: the Arrow writer (and apache-arrow with it) only for `arrow`.
 * A failure for lack of space reaches the run as STORAGE_FULL, naming ENOSPC, the directory
 * and the free bytes, and marks the disk full (alarm, /health).
 */
export async function runWriterFactory(
  storage: BenchtopConfig['storage'],
  clock: Clock,
  disk?: DiskSpace,
): Promise<WriterFactory> {
  const explain = (error: BenchtopError, writer: string) =>
    disk?.explain(error, `the ${writer} run writer`, storage.output_dir) ?? error;
  if (storage.default_backend === 'arrow') {
    const [{ ArrowRunWriter }, { runDirectoryName }] = await Promise.all([
      import('../storage/arrow/arrow-run-writer.ts'),
      import('../storage/arrow/run-directory.ts'),
    ]);
    return (start: RunStart, report: WriterReport): EngineRunWriter => {
      const writer = new ArrowRunWriter({
        outputDir: storage.output_dir,
        queueCapacity: storage.queue_capacity,
        clock,
        onDrop: (drop) => report.dropped({ ...drop }),
        onError: (error) => report.failed(explain(error, 'Arrow')),
      });
      return Object.assign(writer, {
        plannedFiles: () => [`${runDirectoryName(start)}/run.json`],
        // run.json indexes the frame files by data key; the resource names the run directory.
        frameResource: (stream: string, dataKey: string) => ({
          mimetype: 'application/vnd.apache.arrow.file',
          uri: `file://${runDirectoryName(start)}/`,
          parameters: { stream, data_key: dataKey, index: 'run.json' },
        }),
      });
    };
  }
  return (start: RunStart, report: WriterReport): EngineRunWriter => {
    const writer = new Hdf5RunWriter({
      ...hdf5WriterOptions(storage),
      clock,
      onDrop: (drop) =>
        report.dropped({ dropped: drop.dropped, kind: drop.kind, key: drop.source, reason: drop.reason }),
      onError: (error) => report.failed(explain(error, 'HDF5')),
      onWarning: (warning) => report.warned(warning.message, { code: warning.code, ...warning.details }),
    });
    return Object.assign(writer, {
      plannedFiles: () => [runFileName(start)],
      frameResource: (stream: string, dataKey: string, shape: readonly number[]) =>
        hdf5FrameResource(start, stream, dataKey, shape),
    });
  };
}
