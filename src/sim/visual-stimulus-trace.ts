import { lastAtOrBefore } from './last-at-or-before.ts';
/**
 * What the stimulus monitor showed, as the lab's animal saw it: the presented frames a stimulus
 * display reported, on the lab's clock. The simulated cortex looks up the bar it saw at a past
 * time (its response lags the stimulus by the hemodynamic delay).
 */

export type BarCoordinate = 'azimuth' | 'altitude';

export interface ShownBar {
  coordinate: BarCoordinate | null;
  barDeg: number | null;
  /** Width of the bar, degrees (0 when none is shown). */
  widthDeg: number;
}

const NOTHING: ShownBar = { coordinate: null, barDeg: null, widthDeg: 0 };

/** Frames kept: 20 minutes at 60 Hz; older ones are dropped in halves. */
const CAPACITY = 72_000;

export class VisualStimulusTrace {
  private times: number[] = [];
  private bars: ShownBar[] = [];
  /** A frame stays on screen at most this long after it was presented (then: background). */
  private holdMs = 1000;

  /** A frame presented at `atMs` (lab wall-clock ms); frames arrive in time order. */
  record(atMs: number, bar: ShownBar, framePeriodMs: number): void {
    this.holdMs = 2 * framePeriodMs;
    if (this.times.length >= CAPACITY) {
      this.times = this.times.slice(CAPACITY / 2);
      this.bars = this.bars.slice(CAPACITY / 2);
    }
    this.times.push(atMs);
    this.bars.push(bar);
  }

  /** The bar on screen at `atMs`: the last frame presented by then, if it is still showing. */
  at(atMs: number): ShownBar {
    const { times } = this;
    const found = lastAtOrBefore(times, atMs);
    if (found < 0 || atMs - times[found]! > this.holdMs) return NOTHING;
    return this.bars[found]!;
  }
}
