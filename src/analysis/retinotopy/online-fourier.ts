import {
  addFramePhasor,
  emptyFrameSums,
  type FourierMaps,
  type FrameData,
  type FrameSums,
  frameStride,
  pixelSumsOn,
  type ReadOutOptions,
  readOutMaps,
  SUMS_PER_PIXEL,
} from './fourier-accumulator.ts';
import type { FourierWorkerPool } from './fourier-worker-pool.ts';
import type { FrameBinning, FrameDtype, FramesInFile } from './fourier-worker-protocol.ts';
import { frameTimeInWindow, type SweepTiming, sweepFrequencyHz } from './sweep-timing.ts';

/** OnlineFourier.snapshot(): the SUMS_PER_PIXEL × pixels sums (pixelSumsOn's layout) and the frame sums. */
export interface SumsSnapshot {
  width: number;
  height: number;
  sums: Float64Array;
  frame: FrameSums;
}

function dtypeOf(frames: FrameData): FrameDtype {
  if (frames instanceof Uint8Array) return 'uint8';
  if (frames instanceof Uint16Array) return 'uint16';
  if (frames instanceof Uint32Array) return 'uint32';
  if (frames instanceof Int16Array) return 'int16';
  if (frames instanceof Float32Array) return 'float32';
  return 'float64';
}

/**
 * Stage 1 for one direction, online: frames are added as they arrive (any number at a time) and
 * maps() can be read at any moment; they improve each cycle. The per-pixel sums live in a shared
 * buffer that the pool's workers add to, each over its own pixels.
 */
export class OnlineFourier {
  readonly width: number;
  readonly height: number;
  readonly timing: SweepTiming;
  private readonly pool: FourierWorkerPool;
  private readonly sumsBuffer: SharedArrayBuffer;
  private readonly frame: FrameSums = emptyFrameSums();
  private readonly omega: number;
  /** The last chunk posted to the workers (settles after every earlier one). */
  private last: Promise<void> = Promise.resolve();
  private inFlight = 0;

  /** Set: frames come at the source size and the workers bin them to width × height. */
  private readonly binning: FrameBinning | undefined;

  /**
   * `binning`: frames are `binning.width` × `binning.height` and the maps (width × height, which
   * must be the source size divided by the factor, rounded up) hold their block means; the workers
   * do the binning, so a large camera costs the main thread one copy per frame.
   */
  constructor(
    pool: FourierWorkerPool,
    width: number,
    height: number,
    timing: SweepTiming,
    binning?: FrameBinning,
  ) {
    this.pool = pool;
    this.width = width;
    this.height = height;
    this.binning = binning;
    this.timing = timing;
    this.omega = 2 * Math.PI * sweepFrequencyHz(timing);
    this.sumsBuffer = new SharedArrayBuffer(SUMS_PER_PIXEL * width * height * 8);
  }

  get framesUsed(): number {
    return this.frame.frames;
  }

  /** Chunks posted to the workers and not yet in the maps. */
  get chunksInFlight(): number {
    return this.inFlight;
  }

  /**
   * Adds `timestampsUs.length` frames stored one after the other in `frames` (T × H × W). Frames
   * outside the window of whole cycles are skipped. If `frames` is not on a SharedArrayBuffer the
   * frames in the window are copied once into one, before this returns: the caller may reuse or
   * give away `frames` at once (the recorder hands the buffer to its writer thread next).
   *
   * The chunk goes to the workers now, not after the chunks before it have finished: each worker
   * takes its messages in order and owns its pixel range, so every pixel still sees its frames in
   * order, and the workers never sit idle waiting for the main thread to hand on the next chunk
   * (that round trip per frame, queued behind a busy event loop, is what made the online maps
   * lag 1.5–3 frames). Chunks finish in the order they were posted.
   */
  addFrames(frames: FrameData, timestampsUs: ArrayLike<number | bigint>): Promise<void> {
    let chunk: ReturnType<OnlineFourier['prepare']>;
    try {
      chunk = this.prepare(frames, timestampsUs);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!chunk) return this.last;
    const { shared, used, phasors, stride } = chunk;
    const source = { frames: shared.buffer as SharedArrayBuffer, stride, dtype: dtypeOf(frames) };
    return this.post(source, used, phasors);
  }

  /**
   * As addFrames, for `timestampsUs.length` frames that lie whole in a file at `file.offsets`:
   * each worker reads its own pixels of them (worker-frame-reads.ts), so the frames are never
   * copied through this thread. Not with binning.
   */
  addFramesFromFile(
    file: FramesInFile,
    dtype: FrameDtype,
    timestampsUs: ArrayLike<number | bigint>,
  ): Promise<void> {
    if (this.binning) return Promise.reject(new Error('frames from a file cannot be binned'));
    const window = this.window(timestampsUs);
    if (!window) return this.last;
    const offsets = Float64Array.from(window.keep, (k) => file.offsets[k] as number);
    return this.post({ file: { path: file.path, offsets }, dtype }, window.keep.length, window.phasors);
  }

  private post(
    source:
      | { frames: SharedArrayBuffer; stride: number; dtype: FrameDtype }
      | { file: FramesInFile; dtype: FrameDtype },
    used: number,
    phasors: SharedArrayBuffer,
  ): Promise<void> {
    this.inFlight++;
    const done = this.pool
      .accumulate({
        sums: this.sumsBuffer,
        pixels: this.width * this.height,
        ...source,
        frameCount: used,
        phasors,
        ...(this.binning ? { binning: this.binning } : {}),
      })
      .then(() => {
        // The frame sums move only once the pixel sums hold the chunk.
        const cos = new Float64Array(phasors, 0, used);
        const sin = new Float64Array(phasors, used * 8, used);
        for (let k = 0; k < used; k++) addFramePhasor(this.frame, cos[k] as number, sin[k] as number);
      })
      .finally(() => {
        this.inFlight--;
      });
    this.last = done.catch(() => undefined);
    return done;
  }

  /** Which of the frames fall in the window of whole cycles, and their phasors (null: none). */
  private window(
    timestampsUs: ArrayLike<number | bigint>,
  ): { keep: number[]; phasors: SharedArrayBuffer } | null {
    const keep: number[] = [];
    const times: number[] = [];
    for (let k = 0; k < timestampsUs.length; k++) {
      const t = frameTimeInWindow(this.timing, Number(timestampsUs[k]));
      if (t === undefined) continue;
      keep.push(k);
      times.push(t);
    }
    if (keep.length === 0) return null;
    const used = keep.length;
    const phasors = new SharedArrayBuffer(2 * used * 8);
    const cos = new Float64Array(phasors, 0, used);
    const sin = new Float64Array(phasors, used * 8, used);
    for (let k = 0; k < used; k++) {
      const angle = this.omega * (times[k] as number);
      cos[k] = Math.cos(angle);
      sin[k] = Math.sin(angle);
    }
    return { keep, phasors };
  }

  /**
   * The frames in the window on a SharedArrayBuffer and their phasors, or null when none is. A
   * copy lays the frames `stride` elements apart (frameStride: not a power of two of bytes).
   */
  private prepare(
    frames: FrameData,
    timestampsUs: ArrayLike<number | bigint>,
  ): { shared: FrameData; used: number; phasors: SharedArrayBuffer; stride: number } | null {
    const pixels = this.binning ? this.binning.width * this.binning.height : this.width * this.height;
    const count = timestampsUs.length;
    if (frames.length < count * pixels) {
      throw new RangeError(`${count} timestamps but only ${frames.length / pixels} frames`);
    }
    const window = this.window(timestampsUs);
    if (!window) return null;
    const { keep, phasors } = window;
    const used = keep.length;
    const contiguous = keep[0] === 0 && keep[used - 1] === used - 1;
    if (contiguous && frames.buffer instanceof SharedArrayBuffer && frames.byteOffset === 0) {
      return { shared: frames, used, phasors, stride: pixels };
    }
    // Binned frames are read at the source size, one after the other (binFrame).
    const stride = this.binning ? pixels : frameStride(pixels, frames.BYTES_PER_ELEMENT);
    const Ctor = frames.constructor as new (b: SharedArrayBuffer) => FrameData;
    const shared = new Ctor(new SharedArrayBuffer(used * stride * frames.BYTES_PER_ELEMENT));
    for (let k = 0; k < used; k++) {
      const src = (keep[k] as number) * pixels;
      shared.set(frames.subarray(src, src + pixels) as never, k * stride);
    }
    return { shared, used, phasors, stride };
  }

  /** The maps from every frame added so far (waits for chunks still being accumulated). */
  async maps(options: ReadOutOptions = {}): Promise<FourierMaps> {
    // Read out only when no chunk is with the workers: the read-out below is synchronous, so no
    // chunk can be posted during it, and the pixel sums and frame sums agree (whole chunks).
    while (this.inFlight > 0) await this.last;
    const sums = pixelSumsOn(this.sumsBuffer, this.width * this.height);
    return readOutMaps(sums, this.frame, this.width, this.height, options);
  }

  /**
   * A copy of the sums of every frame added so far, to read out elsewhere (the stage worker):
   * taken when no chunk is with the workers, in one synchronous step, so the pixel sums and the
   * frame sums hold the same whole chunks whatever is added afterwards.
   */
  async snapshot(): Promise<SumsSnapshot> {
    while (this.inFlight > 0) await this.last;
    return {
      width: this.width,
      height: this.height,
      sums: new Float64Array(this.sumsBuffer).slice(),
      frame: { ...this.frame },
    };
  }
}
