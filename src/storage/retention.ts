import { rm, rmdir } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Clock, TimerHandle } from '../core/clock.ts';
import { type BenchtopError, toBenchtopError } from '../core/errors.ts';
import type { RunCatalog } from './catalog/run-catalog.ts';
import type { TimeSeriesStore } from './timeseries/timeseries-store.ts';

const DAY_MS = 86_400_000;
const RUNS_PER_PAGE = 100;

export interface RetentionOptions {
  clock: Clock;
  store: TimeSeriesStore;
  catalog: RunCatalog;
  /** Run files are paths relative to this; nothing outside it is ever deleted. */
  outputDir: string;
  /** `[retention] parameter_log_days`; 0 keeps the parameter log forever. */
  parameterLogDays: number;
  /** `[retention] run_data_days`; 0 keeps run files forever. */
  runDataDays: number;
  /** Default: hourly. */
  intervalMs?: number;
  onSweep?: (report: RetentionReport) => void;
  onError?: (error: BenchtopError) => void;
}

export interface RetentionReport {
  /** Wall time of the sweep, epoch ms. */
  at: number;
  samplesDeleted: number;
  /** Runs whose files were removed (their catalog entries stay, marked). */
  runsCleared: string[];
  /** Files that could not be removed; their runs stay unmarked and are retried next sweep. */
  failures: { uid: string; file: string; error: string }[];
}

/**
 * Deletes what is older than the configured ages: parameter-log samples, and run files (whose
 * catalog entries are kept and marked `files_deleted_at`, so the run stays searchable). Data
 * exactly at the cut-off is kept. Sweeps at start and then every interval, on deadlines.
 */
export class Retention {
  private readonly options: RetentionOptions;
  private readonly intervalMs: number;
  private timer: TimerHandle | null = null;
  private running: Promise<unknown> | null = null;
  private anchor = 0;
  private k = 0;
  private stopped = false;

  constructor(options: RetentionOptions) {
    this.options = options;
    this.intervalMs = options.intervalMs ?? 3_600_000;
  }

  start(): void {
    this.anchor = this.options.clock.monotonic();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    await this.running;
  }

  async sweep(): Promise<RetentionReport> {
    const { clock, parameterLogDays, runDataDays } = this.options;
    const now = clock.now();
    const report: RetentionReport = { at: now, samplesDeleted: 0, runsCleared: [], failures: [] };
    if (parameterLogDays > 0) {
      report.samplesDeleted = await this.options.store.deleteOlderThan(now - parameterLogDays * DAY_MS);
    }
    if (runDataDays > 0) await this.removeRunFiles((now - runDataDays * DAY_MS) / 1000, now / 1000, report);
    return report;
  }

  private schedule(): void {
    if (this.stopped) return;
    const { clock } = this.options;
    // Deadlines anchor + k × interval; a sweep that overran skips to the next one ahead.
    this.k = Math.max(this.k, Math.ceil((clock.monotonic() - this.anchor) / this.intervalMs));
    const delay = this.anchor + this.k * this.intervalMs - clock.monotonic();
    this.k += 1;
    this.timer = clock.setTimeout(() => {
      this.timer = null;
      this.running = this.sweep()
        .then(
          (report) => this.options.onSweep?.(report),
          (err: unknown) => this.options.onError?.(toBenchtopError(err, 'STORAGE_ERROR')),
        )
        .finally(() => {
          this.running = null;
          this.schedule();
        });
    }, delay);
  }

  /** `cutoff` and `now` in seconds, like catalog times. */
  private async removeRunFiles(cutoff: number, now: number, report: RetentionReport): Promise<void> {
    const { catalog } = this.options;
    let failedRuns = 0;
    for (;;) {
      // Cleared runs leave the result; failed ones stay at its front, so step over them.
      const runs = catalog.runsWithFilesEndedBefore(cutoff, RUNS_PER_PAGE, failedRuns);
      if (runs.length === 0) return;
      for (const run of runs) {
        const failures = await this.removeFiles(run.uid, run.files);
        if (failures.length === 0) {
          catalog.markFilesDeleted(run.uid, now);
          report.runsCleared.push(run.uid);
        } else {
          failedRuns += 1;
          report.failures.push(...failures);
        }
      }
    }
  }

  private async removeFiles(uid: string, files: string[]): Promise<RetentionReport['failures']> {
    const root = resolve(this.options.outputDir);
    const failures: RetentionReport['failures'] = [];
    for (const file of files) {
      const path = resolve(root, file);
      const inside = relative(root, path);
      if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
        failures.push({ uid, file, error: `outside the output directory ${root}; not deleted` });
        continue;
      }
      try {
        await rm(path, { force: true });
        await removeEmptyParents(dirname(path), root);
      } catch (err) {
        failures.push({ uid, file, error: (err as Error).message });
      }
    }
    return failures;
  }
}

/** Run directories emptied by retention go too, up to (never including) the output directory. */
async function removeEmptyParents(dir: string, root: string): Promise<void> {
  let current = dir;
  while (current !== root && relative(root, current) !== '' && !relative(root, current).startsWith('..')) {
    try {
      await rmdir(current);
    } catch {
      return; // not empty (or already gone): stop climbing
    }
    current = dirname(current);
  }
}
