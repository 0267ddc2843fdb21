import type { Clock, TimerHandle } from '../core/clock.ts';
import { type BenchtopError, toBenchtopError } from '../core/errors.ts';

const DAY_MS = 86_400_000;

/** A store of time-stamped rows that can drop the old ones (the line store, the alarm history). */
export interface AgedRows {
  /** Deletes rows older than `time` (epoch ms) and says how many; 0 where a TimescaleDB policy does it. */
  deleteOlderThan(time: number): Promise<number>;
}

export interface AgeRetentionOptions {
  clock: Clock;
  store: AgedRows;
  /** e.g. `[retention] production_days`; 0 keeps forever. */
  days: number;
  /** Default hourly. */
  intervalMs?: number;
  onSweep?: (deleted: number) => void;
  onError?: (error: BenchtopError) => void;
}

/**
 * Benchtop's own retention for a store of time-stamped rows (parts, defects and line events;
 * alarm events in PostgreSQL): rows older than `days` are deleted every interval (first at start). Under TimescaleDB the store's policy drops
 * whole chunks instead and `deleteOlderThan` does nothing. Sweeps never overlap.
 */
export class AgeRetention {
  private readonly o: AgeRetentionOptions;
  private timer: TimerHandle | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(options: AgeRetentionOptions) {
    this.o = options;
  }

  start(): void {
    if (this.o.days <= 0) return;
    this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
  }

  /** Deletes what is older than the cut-off now; resolves with the rows deleted. */
  async sweep(): Promise<number> {
    return this.o.store.deleteOlderThan(this.o.clock.now() - this.o.days * DAY_MS);
  }

  private run(): void {
    this.running = this.sweep()
      .then(
        (deleted) => this.o.onSweep?.(deleted),
        (err: unknown) => this.o.onError?.(toBenchtopError(err, 'STORAGE_ERROR')),
      )
      .finally(() => {
        this.running = null;
        if (!this.stopped)
          this.timer = this.o.clock.setTimeout(() => this.run(), this.o.intervalMs ?? 3_600_000);
      });
  }
}
