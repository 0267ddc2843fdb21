import { copyFile, mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { BenchtopError } from '../../core/errors.ts';
import { openArrowRun } from '../../storage/arrow/arrow-run-reader.ts';
import type { RunCatalog } from '../../storage/catalog/run-catalog.ts';
import { EXPORT_FORMATS, exportRun } from '../../storage/export/export-run.ts';
import { openHdf5Run } from '../../storage/export/hdf5-run-reader.ts';
import { openRunDataReader, type RunDataReaderFactory } from '../../storage/export/run-data-reader.ts';
import { ProgressBar } from './run-progress-bar.ts';

export const CLI_EXPORT_FORMATS = ['hdf5', ...EXPORT_FORMATS] as const;
export type CliExportFormat = (typeof CLI_EXPORT_FORMATS)[number];

/** Readers by the format a run was stored in; export converts from these. */
const READERS: Record<string, RunDataReaderFactory> = { arrow: openArrowRun, hdf5: openHdf5Run };

/**
 * `benchtop export <uid> --format … --out DIR`: each stream of the run becomes
 * `DIR/<stream>.<format>`, with a progress bar in rows. `hdf5` copies the run's HDF5 file
 * (HDF5 is a storage format, not a conversion target).
 */
export async function exportCommand(
  catalog: RunCatalog,
  outputDir: string,
  uid: string,
  format: string,
  out: string,
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream & { isTTY?: boolean } },
): Promise<string[]> {
  if (!(CLI_EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new BenchtopError(
      'VALIDATION_FAILED',
      `--format must be one of ${CLI_EXPORT_FORMATS.join(', ')}; got "${format}"`,
      {
        format,
      },
    );
  }
  const run = catalog.get(uid);
  if (!run) throw new BenchtopError('RUN_NOT_FOUND', `no run ${uid} in ${catalog.path}`, { uid });
  if (run.status === 'running') {
    throw new BenchtopError(
      'RUN_STATE_CONFLICT',
      `run ${uid} is still running; export it when it has ended`,
      { uid },
    );
  }
  const destDir = resolve(out);
  if (format === 'hdf5') {
    const files = run.format === 'hdf5' ? run.files.filter((f) => f.endsWith('.h5')) : [];
    if (files.length === 0) {
      throw new BenchtopError(
        'VALIDATION_FAILED',
        `run ${uid} was stored as ${run.format}, not HDF5; export it as arrow, parquet or csv`,
        { uid, stored: run.format },
      );
    }
    await mkdir(destDir, { recursive: true });
    const written: string[] = [];
    for (const file of files) {
      const target = join(destDir, basename(file));
      await copyFile(join(outputDir, file), target);
      written.push(target);
    }
    for (const f of written) io.out.write(`${f}\n`);
    return written;
  }
  const reader = await openRunDataReader(run, outputDir, READERS);
  const bar = new ProgressBar(io.err, `export ${format}`);
  try {
    const result = await exportRun({
      reader,
      format: format as (typeof EXPORT_FORMATS)[number],
      destDir,
      onProgress: (done, total) => bar.update({ done, total, eta_s: null, state: 'rows' }),
    });
    bar.finish();
    for (const skipped of result.skipped) bar.note(`skipped ${skipped.stream}: ${skipped.reason}`);
    for (const f of result.files) io.out.write(`${f}\n`);
    return result.files;
  } finally {
    await reader.close();
  }
}
