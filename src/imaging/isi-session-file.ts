import h5wasm from 'h5wasm/node';
import type { Frame } from '../core/frame.ts';
import type { PresentedStimulusFrame } from '../core/stimulus-frame.ts';
import { type AttrValue, SwmrRunFile } from '../storage/hdf5/swmr-run-file.ts';
import type { AnatomicalImage } from './anatomical-image.ts';

/**
 * One intrinsic-imaging session in one HDF5 file (docs/isi-session-file.md):
 *
 *   /                      attrs format = "benchtop-isi-session", version, session, camera,
 *                          display, started_at (ISO), stop_reason
 *   /parameters            JSON text: protocol, schedule summary, camera settings
 *   /{DIR}/camera/frames          uint16 [n, height, width]
 *   /{DIR}/camera/timestamps_us   int64 [n]  exposure timestamps, server clock, µs since the epoch
 *   /{DIR}/camera/sequence        int64 [n]  the camera's frame numbers (gaps = frames it lost)
 *   /{DIR}/stimulus/timestamps_us int64 [m]  presentation times, the same clock
 *   /{DIR}/stimulus/frame_indices int32 [m]  index in the protocol's schedule
 *   /{DIR}/stimulus/angles        float32 [m] bar centre, degrees (NaN on the background)
 *   /{DIR}/stimulus/sweeps        int32 [m]  sweep number (-1 in a baseline)
 *   /{DIR}/stimulus/phases        uint8 [m]  0 baseline, 1 sweep, 2 gap
 *   /{DIR}/stimulus/reported_timestamps_us int64 [m] as the page reported them, when a
 *                          photodiode's latency was applied to timestamps_us
 *   /anatomical                   float32 [h, w] the anatomical snapshot (mean of a few frames)
 *
 * DIR is LR, RL, TB or BT; a direction's block holds the baseline before it (and the last one
 * also the final baseline), so each block is a complete recording of that direction.
 */

export const PHASE_CODES = { baseline: 0, sweep: 1, gap: 2 } as const;

const LAYOUT_VERSION = 1;

export interface SessionStart {
  session: string;
  camera: string;
  display: string;
  startedAt: number;
  parameters: Record<string, unknown>;
}

interface BlockState {
  cameraRows: number;
  stimulusRows: number;
  /** The page's presentation times as reported, ms (kept for applying a measured latency). */
  reportedMs: number[];
  frameShape: [number, number] | null;
}

export class IsiSessionFile {
  readonly path: string;
  private readonly file: SwmrRunFile;
  private readonly blocks = new Map<string, BlockState>();
  private anatomicalWritten = false;

  private constructor(path: string, file: SwmrRunFile) {
    this.path = path;
    this.file = file;
  }

  static async create(path: string, start: SessionStart): Promise<IsiSessionFile> {
    const m = await h5wasm.ready;
    const file = SwmrRunFile.create(m, path, { directWrites: false });
    file.setAttrs('/', {
      format: 'benchtop-isi-session',
      version: LAYOUT_VERSION,
      session: start.session,
      camera: start.camera,
      display: start.display,
      started_at: new Date(start.startedAt).toISOString(),
    });
    file.writeScalar('/parameters', JSON.stringify(start.parameters));
    return new IsiSessionFile(path, file);
  }

  private block(dir: string, frameShape: [number, number] | null): BlockState {
    let block = this.blocks.get(dir);
    if (!block) {
      block = { cameraRows: 0, stimulusRows: 0, reportedMs: [], frameShape: null };
      this.file.createGroup(`/${dir}`, { direction: dir });
      this.file.createGroup(`/${dir}/camera`);
      this.file.createGroup(`/${dir}/stimulus`);
      const column = (name: string, dtype: string, unit: string | null) =>
        this.file.createExtendible(
          `/${dir}/${name}`,
          { dtype, rowShape: [], chunkRows: 1024, gzipLevel: 0 },
          unit ? { units: unit } : {},
        );
      column('camera/timestamps_us', '<q', 'us');
      column('camera/sequence', '<q', null);
      column('stimulus/timestamps_us', '<q', 'us');
      column('stimulus/frame_indices', '<i', null);
      column('stimulus/angles', '<f', 'deg');
      column('stimulus/sweeps', '<i', null);
      column('stimulus/phases', '<B', null);
      this.blocks.set(dir, block);
    }
    if (frameShape && !block.frameShape) {
      block.frameShape = frameShape;
      this.file.createExtendible(
        `/${dir}/camera/frames`,
        { dtype: '<H', rowShape: frameShape, chunkRows: 1, gzipLevel: 0 },
        { units: 'ADU' },
      );
    }
    return block;
  }

  /** One camera frame into direction `dir` (pixels are written now: the caller may reuse them). */
  appendCameraFrame(dir: string, frame: Frame): void {
    const block = this.block(dir, [frame.height, frame.width]);
    const shape = block.frameShape!;
    if (shape[0] !== frame.height || shape[1] !== frame.width)
      throw new Error(
        `frame ${frame.frameNumber} is ${frame.width}×${frame.height}, the session's ${shape[1]}×${shape[0]}`,
      );
    const row = block.cameraRows++;
    const pixels = frame.pixels;
    this.file.writeRows(
      `/${dir}/camera/frames`,
      row,
      1,
      shape,
      new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength),
    );
    this.file.writeRows(
      `/${dir}/camera/timestamps_us`,
      row,
      1,
      [],
      bytesOf(BigInt64Array.of(microseconds(frame.timestamp))),
    );
    this.file.writeRows(
      `/${dir}/camera/sequence`,
      row,
      1,
      [],
      bytesOf(BigInt64Array.of(BigInt(frame.frameNumber))),
    );
  }

  /** Presented stimulus frames (in order) into direction `dir`. */
  appendStimulusFrames(dir: string, frames: readonly PresentedStimulusFrame[]): void {
    if (frames.length === 0) return;
    const block = this.block(dir, null);
    const first = block.stimulusRows;
    block.stimulusRows += frames.length;
    for (const f of frames) block.reportedMs.push(f.presentedAt);
    const n = frames.length;
    const write = (name: string, data: ArrayBufferView) =>
      this.file.writeRows(`/${dir}/stimulus/${name}`, first, n, [], bytesOf(data));
    write(
      'timestamps_us',
      BigInt64Array.from(frames, (f) => microseconds(f.presentedAt)),
    );
    write(
      'frame_indices',
      Int32Array.from(frames, (f) => f.index),
    );
    write(
      'angles',
      Float32Array.from(frames, (f) => f.barDeg ?? Number.NaN),
    );
    write(
      'sweeps',
      Int32Array.from(frames, (f) => f.sweep ?? -1),
    );
    write(
      'phases',
      Uint8Array.from(frames, (f) => PHASE_CODES[f.phase]),
    );
  }

  /** The anatomical snapshot, once (a later one replaces nothing: the first taken is kept). */
  writeAnatomical(image: AnatomicalImage): void {
    if (this.anatomicalWritten) return;
    this.anatomicalWritten = true;
    this.file.createExtendible(
      '/anatomical',
      { dtype: '<f', rowShape: [image.width], chunkRows: image.height, gzipLevel: 0 },
      {
        units: 'ADU',
        camera: image.camera,
        frames_averaged: image.frames,
        captured_at: new Date(image.capturedAt).toISOString(),
        illumination: image.illumination,
      },
    );
    this.file.writeRows('/anatomical', 0, image.height, [image.width], bytesOf(image.pixels));
  }

  /**
   * The photodiode's measured presentation latency: every direction's stimulus/timestamps_us
   * becomes the reported time + `latencyMs` (when the light really changed), and the times as
   * the page reported them move to stimulus/reported_timestamps_us.
   */
  applyPresentationLatency(latencyMs: number): void {
    for (const [dir, block] of this.blocks) {
      const n = block.reportedMs.length;
      if (n === 0) continue;
      const reported = BigInt64Array.from(block.reportedMs, microseconds);
      const shifted = BigInt64Array.from(block.reportedMs, (t) => microseconds(t + latencyMs));
      this.file.createExtendible(
        `/${dir}/stimulus/reported_timestamps_us`,
        { dtype: '<q', rowShape: [], chunkRows: 1024, gzipLevel: 0 },
        { units: 'us' },
      );
      this.file.writeRows(`/${dir}/stimulus/reported_timestamps_us`, 0, n, [], bytesOf(reported));
      this.file.writeRows(`/${dir}/stimulus/timestamps_us`, 0, n, [], bytesOf(shifted));
      this.file.setAttrs(`/${dir}/stimulus/timestamps_us`, { presentation_latency_ms: latencyMs });
    }
  }

  flush(): void {
    this.file.flush();
  }

  close(attrs: Record<string, AttrValue>): void {
    this.file.setAttrs('/', attrs);
    this.file.close();
  }
}

const microseconds = (ms: number): bigint => BigInt(Math.round(ms * 1000));

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
