import {
  addFramePhasor,
  emptyFrameSums,
  type FourierMaps,
  type FrameData,
  type FrameSums,
  pixelSumsOn,
  type ReadOutOptions,
  readOutMaps,
  SUMS_PER_PIXEL,
} from './fourier-accumulator.ts';
import type { FourierWorkerPool } from './fourier-worker-pool.ts';
import type { FrameDtype } from './fourier-worker-protocol.ts';
import { frameTimeInWindow, type SweepTiming, sweepFrequencyHz } from './sweep-timing.ts';

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
  private tail: Promise<void> = Promise.resolve();

  constructor(pool: FourierWorkerPool, width: number, height: number, timing: SweepTiming) {
    this.pool = pool;
    this.width = width;
    this.height = height;
    this.timing = timing;
    this.omega = 2 * Math.PI * sweepFrequencyHz(timing);
    this.sumsBuffer = new SharedArrayBuffer(SUMS_PER_PIXEL * width * height * 8);
  }

  get framesUsed(): number {
    return this.frame.frames;
  }

  /**
   * Adds `timestampsUs.length` frames stored one after the other in `frames` (T × H × W). Frames
   * outside the window of whole cycles are skipped. If `frames` is not on a SharedArrayBuffer the
   * frames in the window are copied once into one.
   */
  addFrames(frames: FrameData, timestampsUs: ArrayLike<number | bigint>): Promise<void> {
    // Chunks are applied one after another (a live camera may deliver the next before the
    // workers finish the last), so maps() always sees whole chunks, in order.
    const done = this.tail.then(() => this.accumulate(frames, timestampsUs));
    this.tail = done.catch(() => undefined);
    return done;
  }

  private async accumulate(frames: FrameData, timestampsUs: ArrayLike<number | bigint>): Promise<void> {
    const pixels = this.width * this.height;
    const count = timestampsUs.length;
    if (frames.length < count * pixels) {
      throw new RangeError(`${count} timestamps but only ${frames.length / pixels} frames`);
    }
    const keep: number[] = [];
    const times: number[] = [];
    for (let k = 0; k < count; k++) {
      const t = frameTimeInWindow(this.timing, Number(timestampsUs[k]));
      if (t === undefined) continue;
      keep.push(k);
      times.push(t);
    }
    if (keep.length === 0) return;
    const used = keep.length;
    const phasors = new SharedArrayBuffer(2 * used * 8);
    const cos = new Float64Array(phasors, 0, used);
    const sin = new Float64Array(phasors, used * 8, used);
    for (let k = 0; k < used; k++) {
      const angle = this.omega * (times[k] as number);
      cos[k] = Math.cos(angle);
      sin[k] = Math.sin(angle);
    }
    const contiguous = keep[0] === 0 && keep[used - 1] === used - 1;
    let shared: FrameData;
    if (contiguous && frames.buffer instanceof SharedArrayBuffer && frames.byteOffset === 0) {
      shared = frames;
    } else {
      const Ctor = frames.constructor as new (b: SharedArrayBuffer) => FrameData;
      shared = new Ctor(new SharedArrayBuffer(used * pixels * frames.BYTES_PER_ELEMENT));
      for (let k = 0; k < used; k++) {
        const src = (keep[k] as number) * pixels;
        shared.set(frames.subarray(src, src + pixels) as never, k * pixels);
      }
    }
    await this.pool.accumulate({
      sums: this.sumsBuffer,
      pixels,
      frames: shared.buffer as SharedArrayBuffer,
      dtype: dtypeOf(frames),
      frameCount: used,
      phasors,
    });
    // The frame sums move only once the pixel sums hold the chunk.
    for (let k = 0; k < used; k++) addFramePhasor(this.frame, cos[k] as number, sin[k] as number);
  }

  /** The maps from every frame added so far (waits for chunks still being accumulated). */
  async maps(options: ReadOutOptions = {}): Promise<FourierMaps> {
    await this.tail;
    const sums = pixelSumsOn(this.sumsBuffer, this.width * this.height);
    return readOutMaps(sums, this.frame, this.width, this.height, options);
  }
}
