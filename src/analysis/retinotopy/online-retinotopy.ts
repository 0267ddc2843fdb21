import type { AnalysisParameters } from './analysis-parameters.ts';
import { AXES, DIRECTIONS, type Direction } from './direction-recording.ts';
import type { FourierMaps } from './fourier-accumulator.ts';
import type { FourierWorkerPool } from './fourier-worker-pool.ts';
import { OnlineFourier } from './online-fourier.ts';
import type { AreaSegmentation } from './segmentation/area-segmentation.ts';
import type { AnalysisResults } from './session-files/analysis-results-file.ts';
import type { StageWorker } from './stage-worker-client.ts';
import type { SweepTiming } from './sweep-timing.ts';

/**
 * Stages 1–3 of a session while it is recorded: each direction's accumulator starts when its
 * first sweep is presented (its timing known) and takes the camera frames one by one, so the movie
 * is never held. results() reads the maps so far; an axis whose two directions have not both
 * been swept yet is NaN, and the field sign 0 there. Areas are not segmented online (stage 4
 * runs on the finished session): the segmentation layers are empty. Large frames are binned.
 */
export class OnlineRetinotopy {
  private readonly pool: FourierWorkerPool;
  private readonly stages: StageWorker;
  private readonly timings = new Map<Direction, SweepTiming>();
  private readonly fourier = new Map<Direction, OnlineFourier>();
  /** The camera's frame size, and the binned size the online maps have. */
  private frameSize: { width: number; height: number } | null = null;
  private size: { width: number; height: number } | null = null;
  private factor = 1;
  private readonly maxSide: number;

  /**
   * `maxSide`: frames larger than this on their long side are binned (block means) before they
   * are accumulated (by the workers), so a 2048 × 2048 camera costs the server's main thread one
   * frame copy while it records; the file's analysis afterwards is at full resolution. Each
   * read-out (stage 1's, then stages 2–3) runs in `stages`' worker thread.
   */
  constructor(pool: FourierWorkerPool, stages: StageWorker, options: { maxSide?: number } = {}) {
    this.pool = pool;
    this.stages = stages;
    this.maxSide = options.maxSide ?? 256;
  }

  /** Sets a direction's timing (once: its first sweep's start fixes t = 0 of the phase model). */
  setTiming(direction: Direction, timing: SweepTiming): void {
    if (!this.timings.has(direction)) this.timings.set(direction, timing);
  }

  hasTiming(direction: Direction): boolean {
    return this.timings.has(direction);
  }

  /** Updates the bar's end angle of a direction's first sweep as its frames are presented. */
  setEndDeg(direction: Direction, endDeg: number): void {
    const timing = this.timings.get(direction);
    if (timing) timing.endDeg = endDeg;
  }

  /** One camera frame of `direction`; copied before this returns. Ignored before the direction's first sweep. */
  addFrame(
    direction: Direction,
    pixels: Uint16Array,
    width: number,
    height: number,
    timestampUs: number,
  ): void {
    const timing = this.timings.get(direction);
    if (!timing) return;
    if (!this.frameSize) this.setFrameSize(width, height);
    const frame = this.frameSize as { width: number; height: number };
    const size = this.size as { width: number; height: number };
    if (width !== frame.width || height !== frame.height) return;
    let fourier = this.fourier.get(direction);
    if (!fourier) {
      const binning = this.factor > 1 ? { factor: this.factor, ...frame } : undefined;
      fourier = new OnlineFourier(this.pool, size.width, size.height, timing, binning);
      this.fourier.set(direction, fourier);
    }
    fourier.addFrames(pixels, [timestampUs]).catch(() => undefined);
  }

  private setFrameSize(width: number, height: number): void {
    this.frameSize = { width, height };
    this.factor = Math.max(1, Math.ceil(Math.max(width, height) / this.maxSide));
    const f = this.factor;
    this.size = { width: Math.ceil(width / f), height: Math.ceil(height / f) };
  }

  /** Frames in each direction's maps so far (in the window of whole cycles). */
  framesPerDirection(): Record<Direction, number> {
    const out = {} as Record<Direction, number>;
    for (const d of DIRECTIONS) out[d] = this.fourier.get(d)?.framesUsed ?? 0;
    return out;
  }

  /** Frames handed to the workers that are not yet in the maps, over all directions. */
  get chunksInFlight(): number {
    let n = 0;
    for (const f of this.fourier.values()) n += f.chunksInFlight;
    return n;
  }

  /** The online maps' size (the frames', binned to at most maxSide). */
  get grid(): { width: number; height: number } | null {
    return this.size;
  }

  /** The maps from every frame so far, as results with empty areas; null before the first frame. */
  async results(p: AnalysisParameters): Promise<AnalysisResults | null> {
    const size = this.size;
    if (!size) return null;
    const pixels = size.width * size.height;
    const fourier = {} as Record<Direction, FourierMaps>;
    const timings = {} as Record<Direction, { timing: SweepTiming }>;
    for (const d of DIRECTIONS) {
      const f = this.fourier.get(d);
      fourier[d] = f
        ? await this.stages.readOut(f, { leakageCorrection: p.leakage_correction })
        : emptyMaps(size);
      const timing = this.timings.get(d) ?? {
        startUs: 0,
        periodS: 1,
        sweepS: 1,
        cycles: 1,
        startDeg: 0,
        endDeg: 1,
      };
      timings[d] = { timing };
    }
    const maps = await this.stages.maps(fourier, timings, {
      cameraFlip: p.camera_flip,
      coherenceThreshold: p.coherence_threshold,
    });
    for (const [axis, { forward, reverse }] of Object.entries(AXES)) {
      if (fourier[forward].frames > 0 && fourier[reverse].frames > 0) continue;
      const position = axis === 'azimuth' ? maps.azimuth : maps.altitude;
      position.fill(Number.NaN);
      maps.rawVfs.fill(0);
      maps.coherenceVfs.fill(0);
    }
    const segmentation: AreaSegmentation = {
      areaMap: new Int32Array(pixels),
      boundaryMap: new Uint8Array(pixels),
      areas: [],
      signMap: new Float64Array(pixels),
      signMapFiltered: new Float64Array(pixels),
    };
    return { grid: size, azimuth: maps.azimuth, altitude: maps.altitude, maps, segmentation, parameters: p };
  }
}

function emptyMaps(size: { width: number; height: number }): FourierMaps {
  const n = size.width * size.height;
  const zeros = () => new Float64Array(n);
  return {
    width: size.width,
    height: size.height,
    frames: 0,
    phase: zeros(),
    magnitude: zeros(),
    deltaROverR: zeros(),
    coherence: zeros(),
    mean: zeros(),
  };
}
