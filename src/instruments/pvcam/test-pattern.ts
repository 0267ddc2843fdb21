import type { CortexSample } from '../../sim/cortex-model.ts';
import type { CortexSetup } from './cortex-pattern.ts';

/**
 * The simulated camera's scene: a fixed test pattern in sensor pixel coordinates (a grid, a
 * Gaussian spot at the sensor centre and two groups of resolution bars), shifted by the stage,
 * scaled by the light reaching the sensor, with shot and read noise, clipped to the bit depth.
 *
 * Every term is separable (a column profile times a row profile), so a frame costs a handful of
 * multiply-adds and one table lookup per pixel. This runs in the render worker, never on the
 * main event loop.
 */

/** Fixed for an acquisition: what the sensor reads out and how it converts light to counts. */
export interface RenderSetup {
  /** ROI origin on the sensor, in unbinned pixels. */
  roiX: number;
  roiY: number;
  /** Output size in binned pixels. */
  width: number;
  height: number;
  binning: number;
  bitDepth: number;
  exposureMs: number;
  biasAdu: number;
  electronsPerAdu: number;
  readNoiseE: number;
  /** Photoelectrons per second per watt at the spot's peak pixel (optics, QE, attenuation). */
  electronsPerWattSecond: number;
  /** Set: the sensor images the simulated cortex (cortex-pattern.ts) instead of the test pattern. */
  cortex?: CortexSetup;
}

/** Changes per frame: where the stage put the pattern and how much light arrives. */
export interface SceneSample {
  shiftXPx: number;
  shiftYPx: number;
  /** Optical power reaching the camera, W. */
  intensityW: number;
  /** In cortex mode: the stimulus the cortex responds to in this frame. */
  cortex?: CortexSample;
}

/** Pattern geometry in sensor pixels (unshifted). */
export const TestPattern = {
  spotX: 1024,
  spotY: 1024,
  spotSigmaPx: 40,
  spotLevel: 1,
  gridPitchPx: 128,
  /** Lines sit half a pitch off the sensor centre, so none crosses the spot. */
  gridOffsetPx: 64,
  gridLineWidthPx: 4,
  // Grid and bars together stay below half the spot's peak: the spot is what stands out.
  gridLevel: 0.15,
  barLevel: 0.25,
  /** Vertical bars (a column pattern inside a band of rows), periods 4, 8, 16 px. */
  verticalBars: { x0: 256, y0: 256, height: 160, periods: [4, 8, 16], barsPerGroup: 5 },
  /** Horizontal bars (a row pattern inside a band of columns). */
  horizontalBars: { x0: 1536, y0: 256, width: 160, periods: [4, 8, 16], barsPerGroup: 5 },
} as const;

const gridAt = (u: number): number => {
  const pitch = TestPattern.gridPitchPx;
  const m = (((u - TestPattern.gridOffsetPx) % pitch) + pitch) % pitch;
  return m < TestPattern.gridLineWidthPx ? TestPattern.gridLevel : 0;
};

const spotAt = (u: number, centre: number): number =>
  Math.exp(-((u - centre) ** 2) / (2 * TestPattern.spotSigmaPx ** 2));

/** Bars along one axis: groups of `barsPerGroup` bright bars, each group with its own period. */
const barsAt = (u: number, start: number, periods: readonly number[], barsPerGroup: number): number => {
  let offset = start;
  for (const period of periods) {
    const length = period * barsPerGroup;
    if (u >= offset && u < offset + length) return (u - offset) % period < period / 2 ? 1 : 0;
    offset += length + period * 2;
  }
  return 0;
};

const barsExtent = (periods: readonly number[], barsPerGroup: number): number =>
  periods.reduce((sum, p) => sum + p * barsPerGroup + p * 2, 0);

const inBand = (u: number, start: number, length: number): number =>
  u >= start && u < start + length ? 1 : 0;

/**
 * The pattern's 1D profiles for one axis, averaged over each binned pixel. `origin` is the ROI
 * start in sensor pixels, `shift` the stage's shift in pixels.
 */
function axisProfiles(
  axis: 'x' | 'y',
  origin: number,
  count: number,
  binning: number,
  shift: number,
): { grid: Float32Array; spot: Float32Array; bars: Float32Array; band: Float32Array } {
  const grid = new Float32Array(count);
  const spot = new Float32Array(count);
  const bars = new Float32Array(count);
  const band = new Float32Array(count);
  const vb = TestPattern.verticalBars;
  const hb = TestPattern.horizontalBars;
  const centre = axis === 'x' ? TestPattern.spotX : TestPattern.spotY;
  for (let i = 0; i < count; i++) {
    let g = 0;
    let s = 0;
    let b = 0;
    let m = 0;
    for (let k = 0; k < binning; k++) {
      // Pattern coordinate of this sensor pixel's centre: the pattern moves with the stage.
      const u = origin + i * binning + k + 0.5 - shift;
      g += gridAt(u);
      s += spotAt(u, centre);
      if (axis === 'x') {
        b += barsAt(u, vb.x0, vb.periods, vb.barsPerGroup);
        m += inBand(u, hb.x0, hb.width);
      } else {
        b += barsAt(u, hb.y0, hb.periods, hb.barsPerGroup);
        m += inBand(u, vb.y0, vb.height);
      }
    }
    grid[i] = g / binning;
    spot[i] = s / binning;
    bars[i] = b / binning;
    band[i] = m / binning;
  }
  return { grid, spot, bars, band };
}

/** Extent of the vertical-bar group in x (tests use it to find the bars). */
export const verticalBarsWidthPx = barsExtent(
  TestPattern.verticalBars.periods,
  TestPattern.verticalBars.barsPerGroup,
);

/**
 * Standard normal samples shared by every frame. Each row starts at a random offset, so rows
 * and frames get different noise without drawing millions of fresh numbers per frame.
 */
export class NoiseTable {
  readonly values: Float32Array;
  private state: number;

  constructor(size: number, seed: number) {
    this.state = seed >>> 0 || 1;
    this.values = new Float32Array(size);
    for (let i = 0; i < size; i += 2) {
      let u = 0;
      while (u === 0) u = this.uniform();
      const v = this.uniform();
      const r = Math.sqrt(-2 * Math.log(u));
      this.values[i] = r * Math.cos(2 * Math.PI * v);
      if (i + 1 < size) this.values[i + 1] = r * Math.sin(2 * Math.PI * v);
    }
  }

  /** Re-seeds the row offsets, so a frame's noise depends only on (seed, frame). */
  reseed(seed: number): void {
    this.state = seed >>> 0 || 1;
  }

  /** mulberry32: uniform in [0, 1). */
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** Light below this many electrons per pixel is left out of a row (far below the read noise). */
const NEGLIGIBLE_ELECTRONS = 0.01;

/** Renders one frame into `out` (length width × height, row-major). */
export function renderTestPattern(
  setup: RenderSetup,
  scene: SceneSample,
  noise: NoiseTable,
  out: Uint16Array,
): void {
  const { width, height, binning } = setup;
  const cols = axisProfiles('x', setup.roiX, width, binning, scene.shiftXPx);
  const rows = axisProfiles('y', setup.roiY, height, binning, scene.shiftYPx);
  const pixelsPerBin = binning * binning;
  // Binned pixels sum their charge (digital binning on this CMOS sensor), and their read noise.
  const peak =
    Math.max(0, scene.intensityW) * setup.electronsPerWattSecond * (setup.exposureMs / 1000) * pixelsPerBin;
  const readVariance = setup.readNoiseE * setup.readNoiseE * pixelsPerBin;
  const toAdu = 1 / setup.electronsPerAdu;
  const maxAdu = 2 ** setup.bitDepth - 1;
  // +0.5: storing into a Uint16Array truncates, so this rounds.
  const offset = setup.biasAdu + 0.5;
  const table = noise.values;
  const span = table.length - width;
  const { grid: colGrid, spot: colSpot, bars: colBars, band: colBand } = cols;
  // Most of a frame sees only the grid's vertical lines: there mean and noise depend on the
  // column alone, so they are computed once per frame and need no square roots per pixel.
  const plainMean = new Float32Array(width);
  const plainSigma = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const electrons = colGrid[x]! * peak;
    plainMean[x] = offset + electrons * toAdu;
    plainSigma[x] = Math.sqrt(electrons + readVariance) * toAdu;
  }
  // Columns where the spot or a bar group adds light; outside them a row without a grid line
  // is a plain row. Spot tails under NEGLIGIBLE_ELECTRONS are left out, as for rows.
  const spotCols = activeRange(colSpot, (v) => v * peak > NEGLIGIBLE_ELECTRONS);
  const barCols = activeRange(colBars, (v) => v > 0);
  const bandCols = activeRange(colBand, (v) => v > 0);
  const frame: FullPixelFrame = {
    out,
    table,
    colGrid,
    colSpot,
    colBars,
    colBand,
    peak,
    readVariance,
    toAdu,
    maxAdu,
    offset,
  };
  for (let y = 0; y < height; y++) {
    const row: FullPixelRow = {
      grid: rows.grid[y]!,
      spot: rows.spot[y]! * peak > NEGLIGIBLE_ELECTRONS ? rows.spot[y]! : 0,
      band: rows.band[y]!,
      bars: rows.bars[y]!,
      base: y * width,
      noiseStart: Math.floor(noise.uniform() * span),
    };
    if (row.grid > 0) {
      // A horizontal grid line crosses every column.
      fullPixels(frame, row, 0, width - 1);
      continue;
    }
    const { base, noiseStart } = row;
    for (let x = 0, n = noiseStart; x < width; x++, n++) {
      const adu = plainMean[x]! + plainSigma[x]! * table[n]!;
      out[base + x] = adu <= 0 ? 0 : adu > maxAdu ? maxAdu : adu;
    }
    // Same noise samples as the plain pass (noiseStart + x), so only the added light changes.
    if (row.spot > 0) fullPixels(frame, row, spotCols.first, spotCols.last);
    if (row.band > 0) fullPixels(frame, row, barCols.first, barCols.last);
    if (row.bars > 0) fullPixels(frame, row, bandCols.first, bandCols.last);
  }
}

interface FullPixelFrame {
  out: Uint16Array;
  table: Float32Array;
  colGrid: Float32Array;
  colSpot: Float32Array;
  colBars: Float32Array;
  colBand: Float32Array;
  peak: number;
  readVariance: number;
  toAdu: number;
  maxAdu: number;
  offset: number;
}

interface FullPixelRow {
  grid: number;
  spot: number;
  band: number;
  bars: number;
  base: number;
  noiseStart: number;
}

/** Pixels `from..to` of a row with every term of the pattern and shot noise. */
function fullPixels(f: FullPixelFrame, row: FullPixelRow, from: number, to: number): void {
  const { out, table, colGrid, colSpot, colBars, colBand, peak, readVariance, toAdu, maxAdu, offset } = f;
  const { grid, spot, band, bars, base, noiseStart } = row;
  for (let x = from; x <= to; x++) {
    const g = colGrid[x]! > grid ? colGrid[x]! : grid;
    const level =
      g +
      TestPattern.spotLevel * colSpot[x]! * spot +
      TestPattern.barLevel * (colBars[x]! * band + colBand[x]! * bars);
    const electrons = level * peak;
    const adu = offset + (electrons + Math.sqrt(electrons + readVariance) * table[noiseStart + x]!) * toAdu;
    out[base + x] = adu <= 0 ? 0 : adu > maxAdu ? maxAdu : adu;
  }
}

/** First and last index where `active` holds (first > last when it holds nowhere). */
function activeRange(values: Float32Array, active: (v: number) => boolean): { first: number; last: number } {
  let first = values.length;
  let last = -1;
  for (let i = 0; i < values.length; i++) {
    if (active(values[i]!)) {
      if (i < first) first = i;
      last = i;
    }
  }
  return { first, last };
}
