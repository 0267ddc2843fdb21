/**
 * Stage 1 of the retinotopy analysis (docs: ../shared/reference/retinotopy.md §3): per pixel, the
 * Fourier component at the sweep frequency f from the frames' REAL timestamps,
 *
 *   G = Σₙ (x̄ − xₙ)·e^{+i2πf tₙ}
 *
 * accumulated one frame at a time so the movie never has to be in memory. x̄ (the pixel's mean over
 * the whole window) is not known until the last frame, so G is split into sums that are:
 *
 *   G = x̄·Σₙ e^{iωtₙ} − Σₙ xₙ·e^{iωtₙ}
 *
 * Σₙ e^{iωtₙ} is one number per direction (it is not zero with dropped frames, jitter or a window
 * that is not whole cycles, which is why it is kept rather than assumed), Σx, Σx·cos, Σx·sin and Σx²
 * are per pixel. All sums are float64 (float32 sums of uint16 frames bias the phase, §4). Reading out
 * combines them; the result does not depend on how the frames were chunked, because every sum sees
 * the same frames in the same order.
 */

/** Per-pixel sums, one Float64Array per quantity, each `pixels` long (views into one buffer). */
export interface PixelSums {
  sumX: Float64Array;
  sumXCos: Float64Array;
  sumXSin: Float64Array;
  sumX2: Float64Array;
}

/** Number of float64 sums kept per pixel (the layout of a PixelSums buffer). */
export const SUMS_PER_PIXEL = 4;

export function pixelSumsOn(buffer: ArrayBufferLike, pixels: number): PixelSums {
  const view = (k: number) => new Float64Array(buffer, k * pixels * 8, pixels);
  return { sumX: view(0), sumXCos: view(1), sumXSin: view(2), sumX2: view(3) };
}

/** Frame-level sums shared by every pixel of one direction. */
export interface FrameSums {
  frames: number;
  sumCos: number;
  sumSin: number;
  sumCos2: number;
  sumSin2: number;
  sumCosSin: number;
}

export function emptyFrameSums(): FrameSums {
  return { frames: 0, sumCos: 0, sumSin: 0, sumCos2: 0, sumSin2: 0, sumCosSin: 0 };
}

/** Adds one frame's phasor to the direction's frame sums. */
export function addFramePhasor(sums: FrameSums, c: number, s: number): void {
  sums.frames++;
  sums.sumCos += c;
  sums.sumSin += s;
  sums.sumCos2 += c * c;
  sums.sumSin2 += s * s;
  sums.sumCosSin += c * s;
}

export type FrameData = Uint8Array | Uint16Array | Uint32Array | Int16Array | Float32Array | Float64Array;

/**
 * Elements from one frame's start to the next's in the buffer: a whole number of 4 KiB pages plus
 * one cache line. Frames exactly 2^k bytes apart (512 × 512 uint16: 512 KiB) put pixel p of every
 * frame in the same L1 and L2 cache set, so the accumulation, which reads each pixel down the
 * chunk's frames, missed the caches on nearly every load; one line more spreads them over the
 * sets.
 */
export function frameStride(pixels: number, bytesPerElement: number): number {
  const bytes = Math.ceil((pixels * bytesPerElement) / 4096) * 4096 + 64;
  return bytes / bytesPerElement;
}

/**
 * Adds `frameCount` consecutive frames (frame k's pixel p at k × framePixels + p in `frames`;
 * framePixels may exceed the frame's pixels, a padded stride) to the sums of pixels [from, to). `cos[k]`, `sin[k]` are cos/sin(2πf·t) of frame k.
 * This is the inner loop; it runs on the worker threads, each over its own pixel range.
 */
export function accumulateFrames(
  sums: PixelSums,
  frames: FrameData,
  framePixels: number,
  frameCount: number,
  cos: Float64Array,
  sin: Float64Array,
  from: number,
  to: number,
): void {
  const { sumX, sumXCos, sumXSin, sumX2 } = sums;
  if (frameCount < 4) {
    // A frame or two at a time (live): one streaming pass per frame.
    for (let k = 0; k < frameCount; k++) {
      const c = cos[k] as number;
      const s = sin[k] as number;
      const base = k * framePixels;
      for (let p = from; p < to; p++) {
        const x = frames[base + p] as number;
        sumX[p] = (sumX[p] as number) + x;
        sumXCos[p] = (sumXCos[p] as number) + x * c;
        sumXSin[p] = (sumXSin[p] as number) + x * s;
        sumX2[p] = (sumX2[p] as number) + x * x;
      }
    }
    return;
  }
  // Pixel outermost: each pixel's four sums stay in registers across the chunk's frames and
  // are read and written once per chunk (memory traffic, not arithmetic, bounds this loop). Each
  // pixel still sees its frames in order, so the sums do not depend on the chunking.
  for (let p = from; p < to; p++) {
    let sx = sumX[p] as number;
    let sc = sumXCos[p] as number;
    let ss = sumXSin[p] as number;
    let s2 = sumX2[p] as number;
    for (let k = 0, at = p; k < frameCount; k++, at += framePixels) {
      const x = frames[at] as number;
      sx += x;
      sc += x * (cos[k] as number);
      ss += x * (sin[k] as number);
      s2 += x * x;
    }
    sumX[p] = sx;
    sumXCos[p] = sc;
    sumXSin[p] = ss;
    sumX2[p] = s2;
  }
}

/** The per-direction result of stage 1. */
export interface FourierMaps {
  width: number;
  height: number;
  frames: number;
  /** arg G, radians in (−π, π]. */
  phase: Float64Array;
  /** 2|G|/N, in the frames' units. */
  magnitude: Float64Array;
  /** 2|G|/(N·x̄). */
  deltaROverR: Float64Array;
  /** |G| / √(Σ_{j=1..N/2} |F_j|²) ∈ [0, 1]. */
  coherence: Float64Array;
  /** The pixel mean x̄ (the baseline image). */
  mean: Float64Array;
}

export interface ReadOutOptions {
  /**
   * Correct G for the sampling (default true). With frames evenly spaced over whole cycles
   * Σcos² = Σsin² = N/2 and Σcos·sin = 0, and G is the least-squares fit of x = m + a·cos + b·sin
   * (G = −N/2·(a + ib)). Dropped frames and jitter break those identities and leak the conjugate
   * frequency into G (≈ 0.04° with 3 % dropped frames); solving the 2 × 2 normal equations, the
   * same matrix for every pixel, removes it and leaves G unchanged for even sampling.
   */
  leakageCorrection?: boolean;
}

/**
 * Combines the sums into maps. Coherence uses Parseval: Σ_{j=1..N−1}|F_j|² = N·Σ(x − x̄)², and for a
 * real signal the bins 1..N/2 hold half of it, so the denominator is √(N·Σ(x − x̄)²/2); a pure
 * sinusoid at f over whole cycles has coherence 1.
 */
export function readOutMaps(
  sums: PixelSums,
  frame: FrameSums,
  width: number,
  height: number,
  options: ReadOutOptions = {},
): FourierMaps {
  const pixels = width * height;
  const n = frame.frames;
  const phase = new Float64Array(pixels);
  const magnitude = new Float64Array(pixels);
  const deltaROverR = new Float64Array(pixels);
  const coherence = new Float64Array(pixels);
  const mean = new Float64Array(pixels);
  if (n === 0) return { width, height, frames: 0, phase, magnitude, deltaROverR, coherence, mean };
  // Centred Gram matrix of (cos, sin) over the frames, inverted and scaled by N/2.
  const ccc = frame.sumCos2 - (frame.sumCos * frame.sumCos) / n;
  const css = frame.sumSin2 - (frame.sumSin * frame.sumSin) / n;
  const ccs = frame.sumCosSin - (frame.sumCos * frame.sumSin) / n;
  const det = ccc * css - ccs * ccs;
  const correct = (options.leakageCorrection ?? true) && det > 0;
  const m00 = correct ? ((n / 2) * css) / det : 1;
  const m11 = correct ? ((n / 2) * ccc) / det : 1;
  const m01 = correct ? ((n / 2) * -ccs) / det : 0;
  for (let p = 0; p < pixels; p++) {
    const xbar = (sums.sumX[p] as number) / n;
    const g0 = xbar * frame.sumCos - (sums.sumXCos[p] as number);
    const g1 = xbar * frame.sumSin - (sums.sumXSin[p] as number);
    const re = m00 * g0 + m01 * g1;
    const im = m01 * g0 + m11 * g1;
    const abs = Math.hypot(re, im);
    phase[p] = Math.atan2(im, re);
    magnitude[p] = (2 * abs) / n;
    deltaROverR[p] = xbar === 0 ? 0 : (2 * abs) / (n * xbar);
    const variance = Math.max(0, (sums.sumX2[p] as number) - n * xbar * xbar);
    const power = (n * variance) / 2;
    coherence[p] = power > 0 ? Math.min(1, abs / Math.sqrt(power)) : 0;
    mean[p] = xbar;
  }
  return { width, height, frames: n, phase, magnitude, deltaROverR, coherence, mean };
}
