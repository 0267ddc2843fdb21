import type { Static } from '@sinclair/typebox';
import type { ParameterLogGroup } from '../../config/schema.ts';
import type { Clock, TimerHandle } from '../../core/clock.ts';
import { BenchtopError, toBenchtopError } from '../../core/errors.ts';
import { SampleWriteQueue } from './sample-write-queue.ts';
import type { Sample, TimeSeriesStore } from './timeseries-store.ts';

export type ParameterLogGroupConfig = Static<typeof ParameterLogGroup>;

/** What the app's `sample` returns per signal (it reads the instruments; the logger does not). */
export interface SampledValue {
  signal: string;
  value: number | null;
  timestamp: number;
  quality?: string;
}

export type SampleSignals = (signals: string[]) => Promise<SampledValue[]>;

/** Quality written for a signal that could not be read: the sample is stored as null, never left out. */
export const INVALID_QUALITY = 'invalid';

/** One tick, as reported to `onTick` (metrics). Times in ms. */
export interface TickReport {
  group: string;
  /** The tick's deadline, epoch ms: the time its samples are stored under. */
  deadline: number;
  /** When the tick started minus its deadline. */
  latenessMs: number;
  /** Since the previous tick started; null for the first tick. */
  intervalMs: number | null;
  /** Deadlines passed over just before this tick because the group was stalled. */
  skipped: number;
  samples: number;
  /** Signals stored as null with quality "invalid" this tick. */
  invalid: number;
  /** Why `sample` failed as a whole, if it did. */
  error: string | null;
  /** False when the store queue was full and the tick's samples were dropped. */
  queued: boolean;
}

export interface GroupStats {
  group: string;
  intervalMs: number;
  ticks: number;
  skipped: number;
  lastLatenessMs: number | null;
  maxLatenessMs: number | null;
  lastIntervalMs: number | null;
  samplesWritten: number;
  /** Samples stored as null because the signal could not be read. */
  invalidSamples: number;
  /** Ticks whose `sample` call failed as a whole. */
  errors: number;
  /** Samples that will never be stored: queue full or write failed. */
  dropped: number;
  writeErrors: number;
}

export interface ParameterLoggerOptions {
  groups: readonly ParameterLogGroupConfig[];
  clock: Clock;
  sample: SampleSignals;
  store: TimeSeriesStore;
  onTick?: (tick: TickReport) => void;
  /** Store writes that failed, and `onTick` handlers that threw. */
  onError?: (error: BenchtopError) => void;
  /** Samples waiting for the store at most (default 100 000). */
  queueCapacity?: number;
  /** Samples per store write at most (default 5000). */
  batchSize?: number;
  /** Gather this long (ms) of ticks per write, regrouped by signal (SampleWriteQueueOptions.coalesce); default 0. */
  coalesceMs?: number;
  /**
   * A full disk: classifies a failed write (STORAGE_FULL, or undefined for other failures) and
   * says when there is space again. While full, samples are held in memory (up to
   * `queueCapacity`; later ticks are dropped and counted) and written when space returns.
   */
  disk?: {
    full: (error: BenchtopError) => BenchtopError | undefined;
    hasSpace: () => boolean;
    /** The disk filled (once per episode) / the held samples were written. */
    onFull?: (error: BenchtopError, held: number) => void;
    onSpace?: (written: number) => void;
  };
}

/** Samples waiting in memory, and whether that is because the disk is full. */
export interface ParameterLogBacklog {
  queued: number;
  capacity: number;
  diskFull: boolean;
}

interface GroupState {
  config: ParameterLogGroupConfig;
  intervalMs: number;
  /** Index of the next deadline: deadline k is anchor + k × interval, so errors never add up. */
  k: number;
  anchorMonotonic: number;
  anchorWall: number;
  previousStart: number | null;
  timer: TimerHandle | null;
  running: Promise<void> | null;
  stats: GroupStats;
}

/**
 * Continuous parameter logging: each group samples its signals on a fixed deadline schedule
 * (deadline k = first + k × interval, never "now + interval", so nothing drifts) and stores
 * them under the deadline's timestamp, which makes every group's log a regular grid. A tick
 * later than one whole interval skips ahead to the latest deadline and counts what it
 * skipped. Deadlines are kept on the monotonic clock so wall-clock steps do not disturb them;
 * the first deadline is a whole multiple of the interval in wall time (1 s ticks at .000).
 */
export class ParameterLogger {
  private readonly options: ParameterLoggerOptions;
  private readonly groups: GroupState[];
  private readonly queue: SampleWriteQueue;
  private started = false;
  private stopped = false;

  constructor(options: ParameterLoggerOptions) {
    this.options = options;
    const names = options.groups.map((g) => g.name);
    const repeated = names.find((name, i) => names.indexOf(name) !== i);
    if (repeated !== undefined) {
      // Stats and metrics are keyed by group name, so two groups cannot share one.
      throw new BenchtopError('CONFIG_INVALID', `logging.groups: the name "${repeated}" is used twice`, {
        group: repeated,
      });
    }
    this.groups = options.groups.map((config) => {
      const intervalMs = config.interval_s * 1000;
      return {
        config,
        intervalMs,
        k: 0,
        anchorMonotonic: 0,
        anchorWall: 0,
        previousStart: null,
        timer: null,
        running: null,
        stats: {
          group: config.name,
          intervalMs,
          ticks: 0,
          skipped: 0,
          lastLatenessMs: null,
          maxLatenessMs: null,
          lastIntervalMs: null,
          samplesWritten: 0,
          invalidSamples: 0,
          errors: 0,
          dropped: 0,
          writeErrors: 0,
        },
      };
    });
    const byName = new Map(this.groups.map((g) => [g.config.name, g.stats]));
    this.queue = new SampleWriteQueue({
      store: options.store,
      capacity: options.queueCapacity ?? 100_000,
      batchSize: options.batchSize ?? 5000,
      ...(options.coalesceMs ? { coalesce: { ms: options.coalesceMs, clock: options.clock } } : {}),
      onWritten: (group, n) => {
        byName.get(group)!.samplesWritten += n;
      },
      onDropped: (group, n, reason) => {
        const stats = byName.get(group)!;
        stats.dropped += n;
        if (reason === 'write_failed') stats.writeErrors += 1;
      },
      onWriteError: (error) => this.options.onError?.(error),
      ...(options.disk
        ? {
            diskFull: options.disk.full,
            diskHasSpace: options.disk.hasSpace,
            onHolding: (error: BenchtopError, held: number) => options.disk?.onFull?.(error, held),
            onResumed: (written: number) => options.disk?.onSpace?.(written),
          }
        : {}),
    });
  }

  backlog(): ParameterLogBacklog {
    return {
      queued: this.queue.length,
      capacity: this.options.queueCapacity ?? 100_000,
      diskFull: this.queue.isHolding,
    };
  }

  /** Share of the store queue in use (0-1), for the storage queue metric. */
  queueUsage(): number {
    return this.queue.length / (this.options.queueCapacity ?? 100_000);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const { clock } = this.options;
    const wall = clock.now();
    const monotonic = clock.monotonic();
    for (const group of this.groups) {
      const firstWall = Math.ceil(wall / group.intervalMs) * group.intervalMs;
      group.anchorWall = firstWall;
      group.anchorMonotonic = monotonic + (firstWall - wall);
      this.schedule(group);
    }
  }

  /** Cancels future ticks, waits for ticks in progress and writes everything queued. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const group of this.groups) {
      group.timer?.cancel();
      group.timer = null;
    }
    await Promise.all(this.groups.map((g) => g.running));
    await this.queue.flush();
  }

  /** Resolves once everything queued so far is in the store. */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  stats(): GroupStats[] {
    return this.groups.map((g) => ({ ...g.stats }));
  }

  private schedule(group: GroupState): void {
    if (this.stopped) return;
    const deadline = group.anchorMonotonic + group.k * group.intervalMs;
    const delay = Math.max(0, deadline - this.options.clock.monotonic());
    group.timer = this.options.clock.setTimeout(() => {
      group.timer = null;
      group.running = this.tick(group)
        .catch((err: unknown) => this.options.onError?.(toBenchtopError(err)))
        .finally(() => {
          group.running = null;
          this.schedule(group);
        });
    }, delay);
  }

  private async tick(group: GroupState): Promise<void> {
    const { clock } = this.options;
    const start = clock.monotonic();
    let lateness = start - (group.anchorMonotonic + group.k * group.intervalMs);
    let skipped = 0;
    if (lateness > group.intervalMs) {
      skipped = Math.floor(lateness / group.intervalMs);
      group.k += skipped;
      lateness = start - (group.anchorMonotonic + group.k * group.intervalMs);
    }
    const deadline = group.anchorWall + group.k * group.intervalMs;
    const intervalMs = group.previousStart === null ? null : start - group.previousStart;
    group.previousStart = start;
    group.k += 1;

    const stats = group.stats;
    stats.ticks += 1;
    stats.skipped += skipped;
    stats.lastLatenessMs = lateness;
    stats.maxLatenessMs = Math.max(stats.maxLatenessMs ?? lateness, lateness);
    stats.lastIntervalMs = intervalMs;

    const { samples, invalid, error } = await this.read(group.config.signals, deadline);
    if (error !== null) stats.errors += 1;
    stats.invalidSamples += invalid;
    const queued = this.queue.enqueue(group.config.name, samples);
    try {
      this.options.onTick?.({
        group: group.config.name,
        deadline,
        latenessMs: lateness,
        intervalMs,
        skipped,
        samples: samples.length,
        invalid,
        error,
        queued,
      });
    } catch (err) {
      this.options.onError?.(toBenchtopError(err));
    }
  }

  /** One sample per configured signal, always: what could not be read is null and "invalid". */
  private async read(
    signals: string[],
    time: number,
  ): Promise<{ samples: Sample[]; invalid: number; error: string | null }> {
    let values: SampledValue[] = [];
    let error: string | null = null;
    try {
      values = await this.options.sample(signals);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const bySignal = new Map(values.map((v) => [v.signal, v]));
    let invalid = 0;
    const samples = signals.map((signal): Sample => {
      const read = bySignal.get(signal);
      if (read === undefined || read.value === null || !Number.isFinite(read.value)) {
        invalid += 1;
        // A null the app reported may say why (e.g. "disconnected"); anything else is "invalid".
        const quality = read?.value === null && read.quality !== undefined ? read.quality : INVALID_QUALITY;
        return { signal, time, value: null, quality };
      }
      return read.quality === undefined
        ? { signal, time, value: read.value }
        : { signal, time, value: read.value, quality: read.quality };
    });
    return { samples, invalid, error };
  }
}
