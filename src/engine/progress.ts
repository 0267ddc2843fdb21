import type { Clock } from '../core/clock.ts';

/**
 * Points done out of the total, and an ETA from the active time per point so far: time spent
 * paused or suspended is not counted, so a long pause does not inflate the estimate.
 */
export class ProgressTracker {
  private readonly clock: Clock;
  total: number | null = null;
  done = 0;
  /** The plan's own progress (`progress` messages), passed through. */
  detail: Record<string, unknown> | undefined;
  private activeMs = 0;
  private activeSince: number | null = null;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** The run is acquiring (again). */
  run(): void {
    this.activeSince ??= this.clock.monotonic();
  }

  /** The run is paused or suspended. */
  hold(): void {
    if (this.activeSince === null) return;
    this.activeMs += this.clock.monotonic() - this.activeSince;
    this.activeSince = null;
  }

  point(): void {
    this.done++;
  }

  snapshot(): {
    done: number;
    total: number | null;
    eta_s: number | null;
    detail?: Record<string, unknown>;
  } {
    const active =
      this.activeMs + (this.activeSince === null ? 0 : this.clock.monotonic() - this.activeSince);
    const eta =
      this.total === null || this.done === 0
        ? null
        : Math.max(0, ((this.total - this.done) * active) / this.done / 1000);
    return {
      done: this.done,
      total: this.total,
      eta_s: eta,
      ...(this.detail ? { detail: structuredClone(this.detail) } : {}),
    };
  }
}
