import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ExitStatus } from '../core/documents.ts';
import type { Logger } from '../core/logger.ts';
import { reconciledStop } from '../storage/catalog/reconciled-stop.ts';
import type { RunCatalog } from '../storage/catalog/run-catalog.ts';
import { recoverRunFile } from '../storage/hdf5/run-file-recovery.ts';

/**
 * At start-up: runs a crash left `running` become `interrupted` (or, on a hub, are closed with a
 * stop document), and their files are made
 * readable by any tool (the HDF5 "open for write" mark cleared, Arrow footers rebuilt). What
 * was flushed before the crash is kept; nothing is deleted.
 */
export async function recoverInterruptedRuns(
  catalog: RunCatalog,
  outputDir: string,
  log: Logger,
  /** Close them with a stop document instead (a hub: the document reaches the site's record). */
  close?: CloseInterruptedRuns,
): Promise<string[]> {
  const uids = close ? closeWithStop(catalog, close) : catalog.markInterrupted();
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
  if (uids.length && !close) log.warn({ runs: uids }, 'runs cut short by the last stop marked interrupted');
  if (uids.length && close)
    log.warn({ runs: uids, reason: close.reason }, `runs cut short by the last stop closed: ${close.reason}`);
  return uids;
}

export interface CloseInterruptedRuns {
  exitStatus: ExitStatus;
  reason: string;
  /** Epoch ms, the stop documents' time. */
  now: number;
}

/**
 * Each run still `running` gets a stop document (reconciledStop: the same uid whoever writes it)
 * recorded as the run's last document, as a stop from the engine would be, so it is published
 * with the rest of the run's documents.
 */
function closeWithStop(catalog: RunCatalog, close: CloseInterruptedRuns): string[] {
  const uids: string[] = [];
  for (;;) {
    const open = catalog.search({ status: 'running', limit: 1000 });
    if (open.length === 0) return uids;
    for (const run of open) {
      const stop = reconciledStop(run.uid, {
        time: close.now / 1000,
        exitStatus: close.exitStatus,
        reason: close.reason,
        numEvents: catalog.eventCounts(run.uid),
      });
      catalog.document({ name: 'stop', doc: stop });
      catalog.recordStop(stop, []);
      uids.push(run.uid);
    }
  }
}
