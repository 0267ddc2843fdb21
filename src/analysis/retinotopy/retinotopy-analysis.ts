import type { AnalysisParameters } from './analysis-parameters.ts';
import { type AnatomicalSnapshot, anatomicalOnGrid } from './anatomical-on-grid.ts';
import { DIRECTIONS, type Direction, type DirectionRecording } from './direction-recording.ts';
import type { FourierMaps } from './fourier-accumulator.ts';
import type { FourierWorkerPool } from './fourier-worker-pool.ts';
import { OnlineFourier } from './online-fourier.ts';
import type { RetinotopyMaps } from './retinotopy-maps.ts';
import type { AreaSegmentation } from './segmentation/area-segmentation.ts';
import type { AnalysisResults } from './session-files/analysis-results-file.ts';
import { StageCache } from './stage-cache.ts';
import type { StageWorker } from './stage-worker-client.ts';

/** Which parameters each stage's output depends on (beyond the stage before it). */
const READ_OUT_KEYS = ['leakage_correction'] as const;
const MAP_KEYS = ['camera_flip', 'coherence_threshold'] as const;
const SEGMENTATION_KEYS = [
  'camera_flip',
  'method',
  'phase_map_sigma',
  'sign_map_sigma',
  'sign_map_threshold',
  'ecc_map_size',
  'split_cut_step',
  'split_ratio',
  'merge_overlap',
  'open_iter',
  'close_iter',
  'dilation_iter',
  'border_width',
  'small_patch_px',
  'visual_space_pixel_deg',
  'visual_space_close_iter',
] as const;

function sliceOf<T>(values: ArrayLike<T>, start: number, end: number): ArrayLike<T> {
  return Array.prototype.slice.call(values, start, end) as T[];
}

const keyOf = (p: AnalysisParameters, keys: readonly (keyof AnalysisParameters)[]) =>
  JSON.stringify(keys.map((k) => p[k]));

/**
 * One session's analysis with each stage cached: the frames are accumulated once (stage 1 sums),
 * and a parameter change recomputes only the stages that depend on it: the read-out for
 * leakage_correction, stages 2–3 for camera_flip / coherence_threshold, stage 4 for the
 * segmentation parameters. The read-out and stages 2–4 run in `stages`' worker thread; the
 * cache is here.
 */
export class RetinotopyAnalysis {
  private readonly recordings: Record<Direction, DirectionRecording>;
  private readonly fourier: Record<Direction, OnlineFourier>;
  private readonly stages: StageWorker;
  private readonly readOut = new StageCache<Record<Direction, FourierMaps>>();
  private readonly maps = new StageCache<RetinotopyMaps>();
  private readonly segmentation = new StageCache<AreaSegmentation>();
  private readonly anatomical: AnatomicalSnapshot | undefined;
  private snapshot?: Float32Array;

  /** `anatomical`: the session's snapshot, drawn under the layers instead of the mean frame. */
  constructor(
    pool: FourierWorkerPool,
    stages: StageWorker,
    recordings: Record<Direction, DirectionRecording>,
    anatomical?: AnatomicalSnapshot,
  ) {
    this.recordings = recordings;
    this.stages = stages;
    this.anatomical = anatomical;
    this.fourier = {} as Record<Direction, OnlineFourier>;
    for (const d of DIRECTIONS) {
      const r = recordings[d];
      this.fourier[d] = new OnlineFourier(pool, r.width, r.height, r.timing);
    }
  }

  /** Stage 1 over every recorded frame (once; live use can call addFrames on the directions). */
  async accumulateAll(
    chunkFrames: number,
    onProgress?: (done: number, total: number) => void,
  ): Promise<void> {
    const total = DIRECTIONS.reduce((s, d) => s + this.recordings[d].frameCount, 0);
    let done = 0;
    for (const d of DIRECTIONS) {
      const recording = this.recordings[d];
      // One chunk with the workers while the next is read (accumulateDirection says why).
      let pending: Promise<void> = Promise.resolve();
      const onDisk = recording.framesInFile;
      for (let start = 0; start < recording.frameCount; start += chunkFrames) {
        const count = Math.min(chunkFrames, recording.frameCount - start);
        if (onDisk) {
          // The workers read the frames; the next chunk is queued behind this one.
          const next = this.fourier[d].addFramesFromFile(
            { path: onDisk.path, offsets: onDisk.offsets.subarray(start, start + count) },
            onDisk.dtype,
            sliceOf(onDisk.timestampsUs, start, start + count),
          );
          await pending;
          pending = next;
        } else {
          const chunk = await recording.readFrames(start, count);
          await pending;
          pending = this.fourier[d].addFrames(chunk.frames, chunk.timestampsUs);
        }
        done += count;
        onProgress?.(done, total);
      }
      await pending;
    }
    for (const cache of [this.readOut, this.maps, this.segmentation]) cache.clear();
  }

  /** How many times each stage ran (for callers that show what a change cost). */
  get runs(): { readOut: number; maps: number; segmentation: number } {
    return { readOut: this.readOut.runs, maps: this.maps.runs, segmentation: this.segmentation.runs };
  }

  /** The stage-1 accumulator of one direction (to add frames live). */
  direction(d: Direction): OnlineFourier {
    return this.fourier[d];
  }

  async results(p: AnalysisParameters): Promise<AnalysisResults> {
    const readKey = keyOf(p, READ_OUT_KEYS);
    const fourier = this.readOut.get(readKey, async () => {
      const value = {} as Record<Direction, FourierMaps>;
      for (const d of DIRECTIONS)
        value[d] = await this.stages.readOut(this.fourier[d], { leakageCorrection: p.leakage_correction });
      return value;
    });
    const mapKey = `${readKey}|${keyOf(p, MAP_KEYS)}`;
    const maps = await this.maps.get(mapKey, async () =>
      this.stages.maps(await fourier, this.recordings, {
        cameraFlip: p.camera_flip,
        coherenceThreshold: p.coherence_threshold,
      }),
    );
    const grid = { width: maps.width, height: maps.height };
    // Segmentation reads only the position maps, which camera_flip and coherence do not change.
    const segKey = `${readKey}|${keyOf(p, SEGMENTATION_KEYS)}`;
    const segmentation = await this.segmentation.get(segKey, () =>
      this.stages.segment(maps.azimuth, maps.altitude, grid, p),
    );
    // The grid is the frames' and never changes: the snapshot is resampled once.
    if (this.anatomical && !this.snapshot) this.snapshot = anatomicalOnGrid(this.anatomical, grid);
    return {
      grid,
      azimuth: maps.azimuth,
      altitude: maps.altitude,
      maps,
      ...(this.snapshot ? { snapshot: this.snapshot } : {}),
      segmentation,
      parameters: p,
    };
  }
}
