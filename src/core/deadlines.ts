import type { Clock, TimerHandle } from './clock.ts';

export interface Deadline {
  /** Stops waiting: the deadline will not fire. */
  cancel(): void;
}

/** A deadline is its own handle: no cancel closure per request on a fast round trip. */
class Entry implements Deadline {
  readonly at: number;
  readonly fire: () => void;
  live = true;
  private readonly owner: Set<Entry>;

  constructor(owner: Set<Entry>, at: number, fire: () => void) {
    this.owner = owner;
    this.at = at;
    this.fire = fire;
  }

  cancel(): void {
    this.live = false;
    this.owner.delete(this);
  }
}

/**
 * Many timeouts on one clock timer. A request/reply path arms a timeout per request and
 * nearly always cancels it a few microseconds later; a clock timer each (create, insert,
 * cancel) is a measurable share of a fast round trip. Here a deadline is an entry in a set,
 * and one timer is kept armed at the earliest deadline known when it was set: cancelling
 * an entry never touches the timer, and when the timer fires it expires what is due and
 * re-arms for the next. In steady use (same timeout, one request at a time) the clock timer
 * is set once per timeout period rather than once per request.
 */
export class Deadlines {
  private readonly clock: Clock;
  private readonly pending = new Set<Entry>();
  private timer: TimerHandle | null = null;
  /** When the armed timer fires (monotonic ms); Infinity when none is armed. */
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Calls `fire` after `ms` unless the returned deadline is cancelled first. */
  add(ms: number, fire: () => void): Deadline {
    const entry = new Entry(this.pending, this.clock.monotonic() + Math.max(0, ms), fire);
    this.pending.add(entry);
    if (entry.at < this.timerAt) this.arm(entry.at);
    return entry;
  }

  /** Deadlines still waiting. */
  get size(): number {
    return this.pending.size;
  }

  private arm(at: number): void {
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => this.expire(), Math.max(0, at - this.clock.monotonic()));
  }

  private expire(): void {
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.clock.monotonic();
    const due: Entry[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const entry of this.pending) {
      if (entry.at <= now) due.push(entry);
      else if (entry.at < next) next = entry.at;
    }
    for (const entry of due) this.pending.delete(entry);
    if (next < this.timerAt) this.arm(next);
    // Fired after re-arming: a callback that adds a deadline arms only if it is earlier.
    for (const entry of due) {
      if (!entry.live) continue;
      entry.live = false;
      entry.fire();
    }
  }
}
