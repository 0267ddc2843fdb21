import type { AnalysisParameters } from '../analysis/retinotopy/analysis-parameters.ts';
import { type AnatomicalSnapshot, anatomicalOnGrid } from '../analysis/retinotopy/anatomical-on-grid.ts';
import { DIRECTIONS, type Direction } from '../analysis/retinotopy/direction-recording.ts';
import type { FourierWorkerPool } from '../analysis/retinotopy/fourier-worker-pool.ts';
import { mapPreview } from '../analysis/retinotopy/map-preview.ts';
import { OnlineRetinotopy } from '../analysis/retinotopy/online-retinotopy.ts';
import type { AnalysisResults } from '../analysis/retinotopy/session-files/analysis-results-file.ts';
import type { StageWorker } from '../analysis/retinotopy/stage-worker-client.ts';
import type { EventBus } from '../core/bus.ts';
import type { Clock } from '../core/clock.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { Frame } from '../core/frame.ts';
import type { PresentedStimulusFrame } from '../core/stimulus-frame.ts';
import {
  type IsiOnlineMapsEvent,
  ONLINE_PREVIEW_MAX_SIDE,
  type OnlineMapLayer,
} from './isi-online-events.ts';
import type { IsiSessionObserver, ScheduleSummary } from './isi-session-recorder.ts';

/** Each direction's sweep period, travel time and cycle count, from the protocol's schedule. */
function sweepsOf(
  schedule: ScheduleSummary,
): Map<string, { periodS: number; sweepS: number; cycles: number }> {
  const out = new Map<string, { periodS: number; sweepS: number; cycles: number }>();
  const segments = schedule.segments;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.phase !== 'sweep' || !s.direction) continue;
    const known = out.get(s.direction);
    if (known) {
      known.cycles++;
      continue;
    }
    const next = segments[i + 1];
    const gap = next?.phase === 'gap' && next.direction === s.direction ? next.frames : 0;
    out.set(s.direction, {
      // As the session file's analysis measures them: sweep starts apart by sweep + gap, the
      // travel from the first sweep frame's presentation to the last one's.
      periodS: (s.frames + gap) / schedule.refresh_hz,
      sweepS: Math.max(1, s.frames - 1) / schedule.refresh_hz,
      cycles: 1,
    });
  }
  return out;
}

/**
 * The online maps of one session being recorded (issue 17): fed by the recorder frame by frame,
 * read out at most once per `publishIntervalMs` of the server clock and published on the bus as
 * `isi.online_maps` (downsampled, quantised), and readable at full resolution through
 * `results()` (GET /isi/analysis/layer while recording). A read-out waits only for the frames
 * already with the workers; frames go on arriving meanwhile.
 */
export class IsiOnlineMaps implements IsiSessionObserver {
  readonly session: string;
  readonly analysis: string;
  private readonly online: OnlineRetinotopy;
  private readonly bus: EventBus<BenchtopEvents>;
  private readonly clock: Clock;
  private readonly parameters: () => AnalysisParameters;
  private readonly publishIntervalMs: number;
  private readonly anatomical: () => AnatomicalSnapshot | null;
  /** The last snapshot binned to the online grid, kept until another snapshot is taken. */
  private onGrid: { from: AnatomicalSnapshot; values: Float32Array } | null = null;
  private sweeps = new Map<string, { periodS: number; sweepS: number; cycles: number }>();
  private readonly firstSweep = new Map<string, number>();
  private lastPublished = Number.NEGATIVE_INFINITY;
  private publishing: Promise<void> | null = null;
  /** Published read-outs (tests). */
  published = 0;

  constructor(options: {
    session: string;
    analysis: string;
    pool: FourierWorkerPool;
    /** Stages 2–3 of each read-out (off the event loop). */
    stages: StageWorker;
    bus: EventBus<BenchtopEvents>;
    clock: Clock;
    parameters: () => AnalysisParameters;
    publishIntervalMs?: number;
    /** The anatomical snapshot the session will store (the latest taken), drawn under the layers. */
    anatomical?: () => AnatomicalSnapshot | null;
  }) {
    this.session = options.session;
    this.analysis = options.analysis;
    this.online = new OnlineRetinotopy(options.pool, options.stages);
    this.bus = options.bus;
    this.clock = options.clock;
    this.parameters = options.parameters;
    this.publishIntervalMs = options.publishIntervalMs ?? 1000;
    this.anatomical = options.anatomical ?? (() => null);
  }

  begin(schedule: ScheduleSummary): void {
    this.sweeps = sweepsOf(schedule);
  }

  stimulusFrames(_block: string, frames: readonly PresentedStimulusFrame[]): void {
    for (const f of frames) {
      const direction = f.direction;
      if (f.phase !== 'sweep' || !direction || f.barDeg === null) continue;
      const sweeps = this.sweeps.get(direction);
      if (!sweeps) continue;
      if (!this.online.hasTiming(direction)) {
        this.firstSweep.set(direction, f.sweep ?? 0);
        this.online.setTiming(direction, {
          startUs: Math.round(f.presentedAt * 1000),
          ...sweeps,
          startDeg: f.barDeg,
          endDeg: f.barDeg,
        });
      } else if (this.firstSweep.get(direction) === (f.sweep ?? 0))
        this.online.setEndDeg(direction, f.barDeg);
    }
  }

  cameraFrame(block: string, frame: Frame): void {
    if (!(DIRECTIONS as readonly string[]).includes(block)) return;
    this.online.addFrame(
      block as Direction,
      frame.pixels,
      frame.width,
      frame.height,
      Math.round(frame.timestamp * 1000),
    );
    if (!this.publishing && this.clock.now() - this.lastPublished >= this.publishIntervalMs) {
      this.lastPublished = this.clock.now();
      this.publishing = this.publish(false, this.lastPublished).finally(() => {
        this.publishing = null;
      });
    }
  }

  /** The directions no presented sweep has started in yet (the file analysis needs all four). */
  unswept(): Direction[] {
    return DIRECTIONS.filter((d) => !this.online.hasTiming(d));
  }

  async end(): Promise<void> {
    await this.publishing;
    await this.publish(true, this.clock.now());
  }

  /** Frames in each direction's maps so far. */
  framesPerDirection(): Record<Direction, number> {
    return this.online.framesPerDirection();
  }

  /** The maps so far at full resolution (empty areas); null before the first camera frame of a sweep. */
  async results(p: AnalysisParameters = this.parameters()): Promise<AnalysisResults | null> {
    const results = await this.online.results(p);
    const snapshot = this.anatomical();
    if (!results || !snapshot) return results;
    // The online grid is the frames binned (OnlineRetinotopy): the snapshot gets the same blocks.
    if (this.onGrid?.from !== snapshot)
      this.onGrid = { from: snapshot, values: anatomicalOnGrid(snapshot, results.grid) };
    return { ...results, snapshot: this.onGrid.values };
  }

  /** `at`: when the read-out was asked for (the throttle's time), server clock ms. */
  private async publish(final: boolean, at: number): Promise<void> {
    const results = await this.online.results(this.parameters());
    if (!results?.maps) return;
    const { width, height } = results.grid;
    const frames = this.online.framesPerDirection();
    const layers: Record<string, OnlineMapLayer> = {};
    let size = { width, height };
    const add = (name: string, values: ArrayLike<number>) => {
      const p = mapPreview(values, width, height, ONLINE_PREVIEW_MAX_SIDE);
      size = { width: p.width, height: p.height };
      layers[name] = { min: p.min, max: p.max, data: Buffer.from(p.bytes).toString('base64') };
    };
    add('azimuth', results.azimuth);
    add('altitude', results.altitude);
    add('raw_vfs', results.maps.rawVfs);
    for (const d of DIRECTIONS) {
      if (frames[d] === 0) continue;
      add(`phase_${d}`, results.maps.fourier[d].phase);
      add(`magnitude_${d}`, results.maps.fourier[d].magnitude);
    }
    const event: IsiOnlineMapsEvent = {
      session: this.session,
      analysis: this.analysis,
      at,
      frames,
      full_width: width,
      full_height: height,
      width: size.width,
      height: size.height,
      layers,
      final,
    };
    this.published++;
    this.bus.emit('isi.online_maps', event);
  }
}
