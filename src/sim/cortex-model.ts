import type { VisualStimulusTrace } from './visual-stimulus-trace.ts';

/**
 * The simulated cortex of an intrinsic-imaging session: what each camera pixel reflects given
 * what the stimulus monitor showed. A known answer for the analysis.
 *
 * - Retinotopy: the image is split into `areas` vertical bands. Altitude falls from top to
 *   bottom everywhere; azimuth runs across each band, forwards in even bands and mirrored in odd
 *   ones, so the maps are continuous and neighbouring areas have opposite field sign (+1 in even
 *   bands: azimuth increasing with column and altitude increasing upwards).
 * - Response: a pixel is driven while the bar covers its azimuth (LR/RL) or altitude (TB/BT),
 *   with a Gaussian tuning of FWHM = the bar width; the hemodynamic response is that drive
 *   delayed by `delayS` and smoothed by a symmetric Gaussian kernel (σ `hemodynamicSigmaS`), so a
 *   pixel's reflectance is lowest when the bar crossed its position `delayS` earlier. Reflectance
 *   falls by `dRR` (ΔR/R) at full drive.
 * - Vasculature: dark winding vessels on the surface (multiplicative); slow drift: a sinusoidal
 *   change of the illumination; shot and read noise come from the camera.
 *
 * Pure numbers: the main thread samples the stimulus per frame (a few lookups), the render
 * worker does the per-pixel work.
 */

export interface CortexOptions {
  areas: number;
  /** Azimuth at the start and end of each band, degrees. */
  azimuthDeg: readonly [number, number];
  /** Altitude at the top and bottom rows, degrees. */
  altitudeDeg: readonly [number, number];
  delayS: number;
  hemodynamicSigmaS: number;
  /** Reflectance change at full drive (reflectance falls with activity; a passing bar gives ~0.65 of it). */
  dRR: number;
  /** Relative amplitude and period of the slow illumination drift. */
  driftFraction: number;
  driftPeriodS: number;
  vessels: number;
  /** Mean level in ADU as a fraction of full scale (the rig's light is set for it). */
  meanFraction: number;
  seed: number;
}

export const defaultCortex: CortexOptions = {
  areas: 3,
  azimuthDeg: [-40, 40],
  altitudeDeg: [30, -30],
  delayS: 1.5,
  hemodynamicSigmaS: 0.5,
  // A bar at ~9–10°/s drives a pixel to ~0.65 of full drive (its tuning smeared by the kernel):
  // a ΔR/R of ~1e-3 as it passes.
  dRR: 1.5e-3,
  driftFraction: 2e-3,
  driftPeriodS: 120,
  vessels: 6,
  meanFraction: 0.4,
  seed: 7,
};

export interface Retinotopy {
  azimuthDeg: number;
  altitudeDeg: number;
  fieldSign: 1 | -1;
}

/** The configured maps at image position (u, v) ∈ [0, 1]² (u across, v down). */
export function retinotopyAt(o: CortexOptions, u: number, v: number): Retinotopy {
  const x = Math.min(Math.max(u, 0), 1 - 1e-12) * o.areas;
  const area = Math.floor(x);
  const s = x - area;
  const [a0, a1] = o.azimuthDeg;
  const forward = area % 2 === 0;
  return {
    azimuthDeg: forward ? a0 + (a1 - a0) * s : a1 - (a1 - a0) * s,
    altitudeDeg: o.altitudeDeg[0] + (o.altitudeDeg[1] - o.altitudeDeg[0]) * v,
    fieldSign: forward ? 1 : -1,
  };
}

/** 0 no bar, 1 a bar at an azimuth, 2 at an altitude. */
export type BarAxis = 0 | 1 | 2;

/** One tap of the hemodynamic kernel: the bar as it was `delay + offset` ago, and its weight. */
export interface BarTap {
  axis: BarAxis;
  barDeg: number;
  sigmaDeg: number;
  weight: number;
}

/** What the render worker needs per frame: the kernel's taps and the illumination factor. */
export interface CortexSample {
  taps: BarTap[];
  illumination: number;
}

/** Kernel offsets in units of σ, and their (normalised) Gaussian weights. */
const TAP_OFFSETS = [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2];
const TAP_WEIGHTS = (() => {
  const w = TAP_OFFSETS.map((k) => Math.exp(-(k * k) / 2));
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / sum);
})();

/** FWHM → σ of a Gaussian. */
const FWHM_TO_SIGMA = 1 / (2 * Math.sqrt(2 * Math.LN2));

/** Samples the stimulus for a frame exposed at `atMs` (lab wall-clock ms). */
export function cortexSample(
  o: CortexOptions,
  trace: VisualStimulusTrace,
  atMs: number,
  startMs: number,
): CortexSample {
  const taps: BarTap[] = [];
  TAP_OFFSETS.forEach((k, i) => {
    const bar = trace.at(atMs - (o.delayS + k * o.hemodynamicSigmaS) * 1000);
    if (bar.coordinate === null || bar.barDeg === null) return;
    taps.push({
      axis: bar.coordinate === 'azimuth' ? 1 : 2,
      barDeg: bar.barDeg,
      sigmaDeg: Math.max(bar.widthDeg, 1e-3) * FWHM_TO_SIGMA,
      weight: TAP_WEIGHTS[i]!,
    });
  });
  const tS = (atMs - startMs) / 1000;
  return { taps, illumination: 1 + o.driftFraction * Math.sin((2 * Math.PI * tS) / o.driftPeriodS) };
}

/** Drive (0…1) of a pixel at (azimuth, altitude) from a frame's taps. */
export function drive(taps: readonly BarTap[], azimuthDeg: number, altitudeDeg: number): number {
  let sum = 0;
  for (const t of taps) {
    const d = (t.axis === 1 ? azimuthDeg : altitudeDeg) - t.barDeg;
    if (Math.abs(d) < 4 * t.sigmaDeg) sum += t.weight * Math.exp(-(d * d) / (2 * t.sigmaDeg * t.sigmaDeg));
  }
  return sum;
}

/**
 * The drive as a function of one coordinate, tabulated for a frame: `values[i]` is the drive of
 * taps on `axis` at `min + i · step` degrees (the render worker interpolates instead of
 * evaluating every tap at every pixel).
 */
export interface DriveTable {
  min: number;
  step: number;
  values: Float32Array;
}

/** Tabulates the taps on `axis` over [min, max] at `step` degrees; null when none is on it. */
export function driveTable(
  taps: readonly BarTap[],
  axis: 1 | 2,
  min: number,
  max: number,
  step: number,
): DriveTable | null {
  const on = taps.filter((t) => t.axis === axis);
  if (on.length === 0) return null;
  const n = Math.max(2, Math.ceil((max - min) / step) + 2);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++)
    values[i] = axis === 1 ? drive(on, min + i * step, 0) : drive(on, 0, min + i * step);
  return { min, step, values };
}

/** The tabulated drive at `deg` (linear between entries, clamped to the table). */
export function tableAt(table: DriveTable, deg: number): number {
  const x = (deg - table.min) / table.step;
  const last = table.values.length - 1;
  if (x <= 0) return table.values[0]!;
  if (x >= last) return table.values[last]!;
  const i = x | 0;
  const f = x - i;
  return table.values[i]! * (1 - f) + table.values[i + 1]! * f;
}

/** mulberry32, for the vessel layout. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Reflectance of the surface (1 = tissue, down to ~0.55 in a vessel's centre) at each output
 * pixel, from positions `u`, `v` of the columns and rows: vessels are winding paths across the
 * image, each v = v0 + a·sin(2πf·u + φ), with a width; every other one runs the other way.
 */
export function vesselMap(o: CortexOptions, u: Float32Array, v: Float32Array): Float32Array {
  const next = random(o.seed);
  const vessels = Array.from({ length: o.vessels }, (_, i) => ({
    vertical: i % 2 === 1,
    offset: 0.1 + 0.8 * next(),
    amplitude: 0.03 + 0.08 * next(),
    frequency: 0.5 + 1.5 * next(),
    phase: 2 * Math.PI * next(),
    halfWidth: 0.004 + 0.012 * next(),
  }));
  // A vessel's centre depends on its along-coordinate only: once per column (or row).
  const centres = vessels.map((w) =>
    Float32Array.from(
      w.vertical ? v : u,
      (along) => w.offset + w.amplitude * Math.sin(2 * Math.PI * w.frequency * along + w.phase),
    ),
  );
  const out = new Float32Array(u.length * v.length).fill(1);
  for (let row = 0; row < v.length; row++) {
    for (let col = 0; col < u.length; col++) {
      let r = 1;
      for (let k = 0; k < vessels.length; k++) {
        const w = vessels[k]!;
        const centre = centres[k]![w.vertical ? row : col]!;
        const d = ((w.vertical ? u[col]! : v[row]!) - centre) / w.halfWidth;
        if (d * d < 9) r *= 1 - 0.45 * Math.exp(-d * d);
      }
      out[row * u.length + col] = r;
    }
  }
  return out;
}
