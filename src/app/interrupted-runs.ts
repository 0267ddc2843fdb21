import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../core/logger.ts';
import type { RunCatalog } from '../storage/catalog/run-catalog.ts';
import { recoverRunFile } from '../storage/hdf5/run-file-recovery.ts';

/**
 * At start-up: runs a crash left `running` become `interrupted`, and their files are made
 * readable by any tool (the HDF5 "open for write" mark cleared, Arrow footers rebuilt). What
 * was flushed before the crash is kept; nothing is deleted.
 */
export async function recoverInterruptedRuns(
  catalog: RunCatalog,
  outputDir: string,
  log: Logger,
): Promise<string[]> {
  const uids = catalog.markInterrupted();
  for (const uid of uids) {
    for (const file of catalog.get(uid)?.files ?? []) {
      const path = join(outputDir, file);
      if (!existsSync(path)) continue;
      try {
        if (file.endsWith('.h5')) {
          const r = recoverRunFile(path);
          log.info({ run: uid, file, ...r }, 'interrupted run file recovered');
        } else if (file.endsWith('run.json')) {
          // apache-arrow is loaded only when there is an Arrow run to recover.
          const { recoverArrowRun } = await import('../storage/arrow/recover-run.ts');
          const r = await recoverArrowRun(dirname(path));
          log.info({ run: uid, file, recovered: r }, 'interrupted Arrow run recovered');
        }
      } catch (error) {
        log.warn(
          { err: error, run: uid, file },
          'could not recover an interrupted run file; it is left as it is',
        );
      }
    }
  }
  if (uids.length) log.warn({ runs: uids }, 'runs cut short by the last stop marked interrupted');
  return uids;
}
