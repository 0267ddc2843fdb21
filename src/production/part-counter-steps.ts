/** What one reading of the PLC's part counter means when that counter is the part event. */
export interface CounterStep {
  /** The counter moved on while watched: the part whose fields the PLC shows now is tracked. */
  part: boolean;
  /** Parts the counter says were made that will never be tracked (skipped values, or made unseen). */
  missed: number;
}

const NOTHING: CounterStep = { part: false, missed: 0 };

/**
 * Turns readings of a counting DINT (Part.Counter) into parts: each step of one is a part. A
 * reading after the value was unknown (start, link lost) only sets where counting goes on from,
 * since whatever the counter rose by meanwhile was made unseen: counted as missed, never
 * tracked, because the PLC's part fields now show only the latest of those parts, long gone
 * past the camera. A repeated value (re-sent after a reconnect, or published by a read) is no
 * part, nor is a counter that went down (reset at the PLC); a jump of more than one while
 * watched tracks the part now showing and counts the skipped ones as missed. So parts tracked
 * plus missed equal the counter's rise.
 */
export class PartCounterSteps {
  private last: number | null = null;
  /** No reading since the value was last unknown. */
  private blind = true;

  /** The counter read at start, unless a reading already came (it is newer). */
  startFrom(value: unknown): void {
    if (this.last === null) this.next(value);
  }

  next(value: unknown): CounterStep {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.blind = true;
      return NOTHING;
    }
    const last = this.last;
    this.last = value;
    if (last === null || value <= last) {
      this.blind = false;
      return NOTHING;
    }
    if (this.blind) {
      this.blind = false;
      return { part: false, missed: value - last };
    }
    return { part: true, missed: value - last - 1 };
  }
}
