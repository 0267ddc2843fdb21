import {
  checkerPolarity,
  computeSchedule,
  coordinateOf,
  frameAt,
  type ProtocolSchedule,
  type StimulusProtocol,
} from '../../../src/instruments/stimulus-display/protocol-schedule.ts';
import { BarRenderer } from './bar-renderer.ts';
import { type ClockOffset, measureClockOffset } from './clock-offset.ts';
import { type DisplayRun, displayApi, type ReportedFrame } from './display-api.ts';

export interface PresenterStatus {
  state: 'loading' | 'idle' | DisplayRun['state'];
  offset: ClockOffset | null;
  run: string | null;
  index: number;
  frameCount: number;
  presented: number;
  /** Refreshes this page saw pass without drawing (an interval over 1.5 frame periods). */
  missedRefreshes: number;
  /** Rate of requestAnimationFrame measured while idle, Hz. */
  measuredRefreshHz: number | null;
  /** The refresh rate the protocol was computed for, Hz. */
  refreshHz: number | null;
  error: string | null;
}

const POLL_MS = 250;
const REPORT_MS = 250;
const REMEASURE_MS = 30_000;

/**
 * The presentation loop of `/stimulus?display=ID`. Each requestAnimationFrame callback draws
 * the next frame of the schedule once it is due: what is drawn now is shown a display refresh
 * later (the rAF interval, tracked as a moving average), so frame i is drawn at the first
 * callback whose presentation falls at most half a refresh before `start_at + i / refresh_hz`.
 * Frames are never skipped: a missed refresh delays the rest (counted, and each frame's real
 * presentation time is what gets reported), as stimulus programs that count vsyncs do. Each frame
 * is reported with that presentation time on the server's clock (the measured offset applied).
 * The photodiode patch (`&photodiode=1`, or a display with a photodiode_signal) flips each frame
 * (frame i bright when i is odd, dark while idle), for measuring the remaining latency.
 */
export class StimulusPresenter {
  private readonly display: string;
  private readonly canvas: HTMLCanvasElement;
  private readonly onStatus: (s: PresenterStatus) => void;
  private photodiode: boolean;
  private protocol: StimulusProtocol | null = null;
  private schedule: ProtocolSchedule | null = null;
  private renderer: BarRenderer | null = null;
  private run: DisplayRun | null = null;
  /** Runs this page has presented or given up: never started again. */
  private readonly seenRuns = new Set<string>();
  private presenting = false;
  private lastIndex = -1;
  private lastTs = Number.NaN;
  private queue: ReportedFrame[] = [];
  private sending = false;
  private stopped = false;
  private offsetAt = 0;
  private rafTimes: number[] = [];
  /** Moving average of the rAF interval, ms: how long until what is drawn now is shown. */
  private refreshMs = Number.NaN;
  private prevTs = Number.NaN;
  private readonly timers: number[] = [];
  readonly status: PresenterStatus = {
    state: 'loading',
    offset: null,
    run: null,
    index: -1,
    frameCount: 0,
    presented: 0,
    missedRefreshes: 0,
    measuredRefreshHz: null,
    refreshHz: null,
    error: null,
  };

  constructor(
    display: string,
    canvas: HTMLCanvasElement,
    onStatus: (s: PresenterStatus) => void,
    photodiode = false,
  ) {
    this.display = display;
    this.canvas = canvas;
    this.onStatus = onStatus;
    this.photodiode = photodiode;
  }

  async start(): Promise<void> {
    try {
      const { protocol, run, photodiode } = await displayApi.protocol(this.display);
      this.protocol = protocol;
      // A photodiode configured on the display turns the patch on, as `&photodiode=1` does.
      if (photodiode) this.photodiode = true;
      this.schedule = computeSchedule(protocol);
      this.renderer = new BarRenderer(this.canvas, protocol);
      // A run already under way when the page opened is not this page's to join half-way.
      if (run && run.state !== 'pending') this.seenRuns.add(run.id);
      await this.measureOffset();
      this.update({ state: 'idle', frameCount: this.schedule.frameCount, refreshHz: protocol.refreshHz });
    } catch (error) {
      this.update({ error: error instanceof Error ? error.message : String(error) });
      return;
    }
    this.timers.push(window.setInterval(() => void this.poll(), POLL_MS));
    this.timers.push(window.setInterval(() => void this.flush(), REPORT_MS));
    requestAnimationFrame((ts) => this.tick(ts));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
  }

  private async measureOffset(): Promise<void> {
    const offset = await measureClockOffset(async () => (await displayApi.serverTime(this.display)).now);
    this.offsetAt = performance.now();
    this.update({ offset });
  }

  private async poll(): Promise<void> {
    if (this.presenting || this.stopped) return;
    try {
      if (performance.now() - this.offsetAt > REMEASURE_MS) await this.measureOffset();
      const { run } = await displayApi.protocol(this.display);
      if (run && run.state === 'pending' && !this.seenRuns.has(run.id) && !this.presenting) {
        this.run = run;
        this.update({ state: 'pending', run: run.id, frameCount: run.frame_count });
      }
    } catch (error) {
      this.update({ error: error instanceof Error ? error.message : String(error) });
    }
  }

  private tick(ts: number): void {
    if (this.stopped) return;
    requestAnimationFrame((next) => this.tick(next));
    const protocol = this.protocol!;
    const schedule = this.schedule!;
    const periodMs = 1000 / protocol.refreshHz;
    const dt = ts - this.prevTs;
    this.prevTs = ts;
    if (dt > 0 && dt < 1000)
      this.refreshMs = Number.isNaN(this.refreshMs) ? dt : 0.9 * this.refreshMs + 0.1 * dt;
    const displayMs = Number.isNaN(this.refreshMs) ? periodMs : this.refreshMs;
    const serverNow = performance.timeOrigin + ts + (this.status.offset?.offsetMs ?? 0);
    const shownAt = serverNow + displayMs;
    if (!this.presenting) {
      this.measureRefresh(ts);
      const run = this.run;
      if (run && !this.seenRuns.has(run.id) && shownAt >= run.start_at - displayMs / 2) {
        this.seenRuns.add(run.id);
        this.presenting = true;
        this.lastIndex = -1;
        this.lastTs = Number.NaN;
        this.update({ state: 'presenting', presented: 0, missedRefreshes: 0 });
      } else {
        this.renderer!.draw({ axis: 0, barDeg: 0, polarity: 0, patch: this.photodiode ? 0 : -1 });
        return;
      }
    }
    const index = this.lastIndex + 1;
    // Not due yet (a display faster than the protocol's refresh): keep the current frame.
    if (shownAt < this.run!.start_at + index * periodMs - displayMs / 2) return;
    if (ts - this.lastTs > 1.5 * periodMs)
      this.status.missedRefreshes += Math.round((ts - this.lastTs) / periodMs) - 1;
    this.lastTs = ts;
    const frame = frameAt(schedule, index);
    if (!frame) {
      this.finishPresenting();
      return;
    }
    this.lastIndex = index;
    const tS = index / protocol.refreshHz;
    this.renderer!.draw({
      axis:
        frame.direction && frame.phase === 'sweep'
          ? coordinateOf(frame.direction) === 'azimuth'
            ? 1
            : 2
          : 0,
      barDeg: frame.barDeg ?? 0,
      polarity: checkerPolarity(protocol, tS),
      patch: this.photodiode ? index % 2 : -1,
    });
    this.queue.push({
      index,
      direction: frame.direction,
      sweep: frame.sweep,
      phase: frame.phase,
      bar_deg: frame.barDeg,
      presented_at: shownAt,
    });
    this.status.index = index;
    this.status.presented++;
    if (index % 15 === 0) this.onStatus({ ...this.status });
    if (index === schedule.frameCount - 1) this.finishPresenting();
  }

  private finishPresenting(): void {
    this.presenting = false;
    void this.flush();
    this.onStatus({ ...this.status });
  }

  /** While idle: the rate requestAnimationFrame runs at (the display's real refresh). */
  private measureRefresh(ts: number): void {
    this.rafTimes.push(ts);
    if (this.rafTimes.length < 61) return;
    const span = this.rafTimes[this.rafTimes.length - 1]! - this.rafTimes[0]!;
    this.rafTimes = [];
    this.update({ measuredRefreshHz: (60 * 1000) / span });
  }

  private async flush(): Promise<void> {
    if (this.sending || this.queue.length === 0 || !this.status.run) return;
    const frames = this.queue;
    this.queue = [];
    this.sending = true;
    try {
      const offset = this.status.offset!;
      const reply = await displayApi.report(
        this.display,
        this.status.run,
        frames,
        offset.offsetMs,
        offset.uncertaintyMs,
      );
      if (reply.state === 'stalled' || reply.state === 'stopped') {
        // The server gave up on this run: stop drawing it.
        this.presenting = false;
        this.run = null;
        this.queue = [];
      }
      this.update({ state: reply.state, error: reply.reason });
    } catch (error) {
      this.update({ error: error instanceof Error ? error.message : String(error) });
    } finally {
      this.sending = false;
    }
  }

  private update(change: Partial<PresenterStatus>): void {
    Object.assign(this.status, change);
    this.onStatus({ ...this.status });
  }
}
