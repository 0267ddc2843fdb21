import type { Direction, DirectionRecording, FrameChunk } from '../direction-recording.ts';
import type { SweepTiming } from '../sweep-timing.ts';

/**
 * The synthetic session of retinotopy.md §4: known linear maps az = −40 + 80·col/(W − 1),
 * alt = 30 − 60·row/(H − 1); per direction x = B·(1 − A·cos(2πft − φ)) + noise with φ from the
 * model (φ = 2π·(T_s·u + delay)/T), real-looking timestamps (jitter, dropped frames), an optional
 * gap between sweeps and a recording that need not be whole cycles. Frames are made on demand from
 * their index, so any chunking reads the same movie.
 */
export interface SyntheticOptions {
  width: number;
  height: number;
  fps?: number;
  cycles?: number;
  /** Cycles actually recorded (may be fractional: the recording stops mid-cycle). */
  recordedCycles?: number;
  gapS?: number;
  delayS?: number;
  jitterUs?: number;
  /** Probability that a frame is dropped. */
  dropRate?: number;
  /** Noise σ as a fraction of B. */
  noise?: number;
  baseline?: number;
  amplitude?: number;
  uint16?: boolean;
  /** Baseline before the first sweep (s). */
  leadS?: number;
  seed?: number;
  /** Truth maps other than the reference's linear ones (degrees, by row and column). */
  azimuthAt?: (row: number, col: number) => number;
  altitudeAt?: (row: number, col: number) => number;
}

export const SWEEPS: Record<Direction, { startDeg: number; endDeg: number; sweepS: number }> = {
  LR: { startDeg: -70.64, endDeg: 70.64, sweepS: 15.7 },
  RL: { startDeg: 70.64, endDeg: -70.64, sweepS: 15.7 },
  TB: { startDeg: 55.9, endDeg: -55.9, sweepS: 12.4 },
  BT: { startDeg: -55.9, endDeg: 55.9, sweepS: 12.4 },
};

export function trueAzimuth(col: number, width: number): number {
  return -40 + (80 * col) / (width - 1);
}
export function trueAltitude(row: number, height: number): number {
  return 30 - (60 * row) / (height - 1);
}

/** Deterministic uniform [0, 1) from integers (so frame k is the same whichever chunk reads it). */
function hash01(a: number, b: number, seed: number): number {
  let h =
    (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b) ^ Math.imul(seed, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

function gaussian(a: number, b: number, seed: number): number {
  const u = Math.max(1e-12, hash01(a, b, seed));
  const v = hash01(a, b, seed + 1);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export interface SyntheticDirection extends DirectionRecording {
  /** The stimulus frames as the guide's {dir}_stimulus.h5 holds them (60 Hz during sweeps). */
  stimulus: { timestampsUs: Float64Array; frameIndices: Int32Array; angles: Float32Array };
}

export function syntheticDirection(direction: Direction, o: SyntheticOptions): SyntheticDirection {
  const fps = o.fps ?? 10;
  const cycles = o.cycles ?? 10;
  const recordedCycles = o.recordedCycles ?? cycles;
  const sweep = SWEEPS[direction];
  const periodS = sweep.sweepS + (o.gapS ?? 0);
  const delayS = o.delayS ?? 1.5;
  const B = o.baseline ?? 1000;
  const A = o.amplitude ?? 1e-3;
  const seed = (o.seed ?? 1) * 10 + direction.charCodeAt(0) + direction.charCodeAt(1);
  const leadS = o.leadS ?? 5;
  const startUs = 1_000_000 + leadS * 1e6;
  const { width, height } = o;
  // Camera frames: from t = 0 (baseline) to the end of the recorded cycles plus a baseline.
  const endS = leadS + recordedCycles * periodS + (recordedCycles >= cycles ? 5 : 0);
  const stamps: number[] = [];
  for (let k = 0; k < endS * fps; k++) {
    if (o.dropRate && hash01(k, 7, seed) < o.dropRate) continue;
    const jitter = o.jitterUs ? (hash01(k, 11, seed) - 0.5) * 2 * o.jitterUs : 0;
    stamps.push(1_000_000 + (k * 1e6) / fps + jitter);
  }
  const phase = new Float64Array(width * height);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const theta =
        direction === 'LR' || direction === 'RL'
          ? (o.azimuthAt?.(r, c) ?? trueAzimuth(c, width))
          : (o.altitudeAt?.(r, c) ?? trueAltitude(r, height));
      const u = (theta - sweep.startDeg) / (sweep.endDeg - sweep.startDeg);
      phase[r * width + c] = (2 * Math.PI * (sweep.sweepS * u + delayS)) / periodS;
    }
  }
  const stimT: number[] = [];
  const stimK: number[] = [];
  const stimA: number[] = [];
  const perSweep = Math.round(sweep.sweepS * 60);
  for (let cycle = 0; cycle < Math.ceil(recordedCycles); cycle++) {
    for (let k = 0; k <= perSweep; k++) {
      const t = cycle * periodS + k / 60;
      if (t >= recordedCycles * periodS) break;
      stimT.push(startUs + t * 1e6);
      stimK.push(k);
      stimA.push(sweep.startDeg + ((sweep.endDeg - sweep.startDeg) * k) / perSweep);
    }
  }
  const timing: SweepTiming = {
    startUs,
    periodS,
    sweepS: sweep.sweepS,
    cycles: Math.floor(recordedCycles),
    startDeg: sweep.startDeg,
    endDeg: sweep.endDeg,
  };
  const omega = (2 * Math.PI) / periodS;
  return {
    direction,
    width,
    height,
    frameCount: stamps.length,
    timing,
    stimulus: {
      timestampsUs: Float64Array.from(stimT),
      frameIndices: Int32Array.from(stimK),
      angles: Float32Array.from(stimA),
    },
    async readFrames(start: number, count: number): Promise<FrameChunk> {
      const pixels = width * height;
      const frames = o.uint16 ? new Uint16Array(count * pixels) : new Float64Array(count * pixels);
      const timestampsUs = stamps.slice(start, start + count);
      for (let k = 0; k < count; k++) {
        const t = ((timestampsUs[k] as number) - startUs) / 1e6;
        // Before the first sweep and after the last the bar is off: no modulation.
        const on = t >= 0 && t < recordedCycles * periodS;
        for (let p = 0; p < pixels; p++) {
          let x = on ? B * (1 - A * Math.cos(omega * t - (phase[p] as number))) : B;
          if (o.noise) x += o.noise * B * gaussian(start + k, p, seed);
          frames[k * pixels + p] = o.uint16 ? Math.max(0, Math.min(65535, Math.round(x))) : x;
        }
      }
      return { frames, timestampsUs };
    },
  };
}

export function syntheticSession(o: SyntheticOptions): Record<Direction, SyntheticDirection> {
  return {
    LR: syntheticDirection('LR', o),
    RL: syntheticDirection('RL', o),
    TB: syntheticDirection('TB', o),
    BT: syntheticDirection('BT', o),
  };
}
