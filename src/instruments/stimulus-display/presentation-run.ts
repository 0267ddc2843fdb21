import type { PresentedStimulusFrame, StimulusRunState } from '../../core/stimulus-frame.ts';
import { frameAt, type ProtocolSchedule } from './protocol-schedule.ts';

/** A reported frame whose content differs from the schedule's frame of that index. */
export interface FrameMismatch {
  index: number;
  reported: Omit<PresentedStimulusFrame, 'presentedAt'>;
}

export interface RunCounters {
  presented: number;
  /** Indices skipped: a frame the page never showed (a missed refresh). */
  dropped: number;
  /** Shown more than 1.5 frame periods after the frame before it: a refresh was missed. */
  late: number;
  /** Reported twice or out of order (not counted as presented again). */
  repeated: number;
  mismatched: number;
}

/**
 * One presentation of the protocol: which frames the page has reported, checked against the
 * schedule. The page shows the next frame at every refresh (frame-locked, as stimulus programs
 * count vsyncs), so a missed refresh keeps a frame on screen twice as long and delays the rest:
 * that frame's successor is counted late, and the real presentation times of all frames are
 * what the recording keeps. An index the page never reports is counted dropped. Pure
 * bookkeeping: the driver owns clocks and timers.
 */
export class PresentationRun {
  readonly id: string;
  readonly startAt: number;
  readonly schedule: ProtocolSchedule;
  state: StimulusRunState = 'pending';
  reason: string | null = null;
  readonly counters: RunCounters = { presented: 0, dropped: 0, late: 0, repeated: 0, mismatched: 0 };
  readonly mismatches: FrameMismatch[] = [];
  /** The last frame reported, -1 before the first. */
  lastIndex = -1;
  private lastPresentedAt = Number.NaN;

  constructor(id: string, startAt: number, schedule: ProtocolSchedule) {
    this.id = id;
    this.startAt = startAt;
    this.schedule = schedule;
  }

  dueAt(index: number): number {
    return this.startAt + (index * 1000) / this.schedule.refreshHz;
  }

  /** Takes a batch of reports; returns the frames accepted (new, in order). */
  accept(frames: readonly PresentedStimulusFrame[]): PresentedStimulusFrame[] {
    const accepted: PresentedStimulusFrame[] = [];
    const lateMs = 1500 / this.schedule.refreshHz;
    for (const frame of frames) {
      if (frame.index <= this.lastIndex || frame.index >= this.schedule.frameCount) {
        this.counters.repeated++;
        continue;
      }
      this.counters.dropped += frame.index - this.lastIndex - 1;
      this.lastIndex = frame.index;
      this.counters.presented++;
      if (frame.presentedAt - this.lastPresentedAt > lateMs) this.counters.late++;
      this.lastPresentedAt = frame.presentedAt;
      const expected = frameAt(this.schedule, frame.index)!;
      const sameBar =
        expected.barDeg === null
          ? frame.barDeg === null
          : frame.barDeg !== null && Math.abs(frame.barDeg - expected.barDeg) < 1e-6;
      if (
        !sameBar ||
        expected.phase !== frame.phase ||
        expected.direction !== frame.direction ||
        expected.sweep !== frame.sweep
      ) {
        this.counters.mismatched++;
        if (this.mismatches.length < 100) {
          const { presentedAt: _, ...reported } = frame;
          this.mismatches.push({ index: frame.index, reported });
        }
      }
      accepted.push(frame);
    }
    if (this.lastIndex === this.schedule.frameCount - 1) this.state = 'done';
    else if (accepted.length > 0) this.state = 'presenting';
    return accepted;
  }

  get finished(): boolean {
    return this.state === 'done' || this.state === 'stalled' || this.state === 'stopped';
  }
}
