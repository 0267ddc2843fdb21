import { lastAtOrBefore } from './last-at-or-before.ts';
/**
 * The stimulus monitor's photodiode patch as the lab's photodiode sees it: the levels of the
 * frames a display reported (frame-locked: a frame stays until the next), seen `latencyMs`
 * later. A page reports its frames in batches after it showed them, so a sample may ask about a
 * time past the last report: the patch then goes on flipping every refresh from the last
 * reported frame (what a frame-locked page does), until a report says otherwise.
 */
export class MonitorPatchTrace {
  private times: number[] = [];
  private indices: number[] = [];
  private periodMs = 1000 / 60;
  /** After the run's last frame the page goes back to dark. */
  private lastIndex = Number.POSITIVE_INFINITY;

  /** Frame `index` of a run of `frameCount` frames was presented at `atMs` (lab wall-clock ms). */
  record(atMs: number, index: number, framePeriodMs: number, frameCount: number): void {
    if (index === 0) {
      this.times = [];
      this.indices = [];
    }
    this.periodMs = framePeriodMs;
    this.lastIndex = frameCount - 1;
    this.times.push(atMs);
    this.indices.push(index);
  }

  /** The patch level (0 dark, 1 bright) on screen at `atMs`. */
  levelAt(atMs: number): 0 | 1 {
    const { times } = this;
    const found = lastAtOrBefore(times, atMs);
    if (found < 0) return 0;
    const beyond = found === times.length - 1 ? Math.floor((atMs - times[found]!) / this.periodMs) : 0;
    const index = this.indices[found]! + beyond;
    if (index > this.lastIndex) return 0;
    return (index % 2) as 0 | 1;
  }
}
