import {
  type CortexOptions,
  type CortexSample,
  driveTable,
  retinotopyAt,
  tableAt,
  vesselMap,
} from '../../sim/cortex-model.ts';

import type { NoiseTable, RenderSetup } from './test-pattern.ts';

/**
 * The simulated camera's cortex scene (src/sim/cortex-model.ts): the maps are laid over the
 * whole sensor, so a ROI or binning sees its part of the same cortex. Runs in the render worker.
 */

export interface CortexSetup extends CortexOptions {
  /** The full sensor, unbinned pixels: the maps span it. */
  sensorWidth: number;
  sensorHeight: number;
}

/** Per acquisition: each output pixel's azimuth, altitude and surface reflectance. */
export interface CortexMaps {
  azimuth: Float32Array;
  altitude: Float32Array;
  vessels: Float32Array;
  azimuthRange: [number, number];
  altitudeRange: [number, number];
}

/** Drive tables step: 0.01° is far below a bar's width, and interpolation error is ~1e-6. */
const TABLE_STEP_DEG = 0.01;

function rangeOf(values: Float32Array): [number, number] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/** Sensor position (0…1) of each binned output pixel's centre along one axis. */
function positions(origin: number, count: number, binning: number, sensor: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (origin + (i + 0.5) * binning) / sensor;
  return out;
}

export function cortexMaps(setup: RenderSetup, cortex: CortexSetup): CortexMaps {
  const { width, height, binning } = setup;
  const u = positions(setup.roiX, width, binning, cortex.sensorWidth);
  const v = positions(setup.roiY, height, binning, cortex.sensorHeight);
  const azimuth = new Float32Array(width * height);
  const altitude = new Float32Array(width * height);
  for (let row = 0; row < height; row++)
    for (let col = 0; col < width; col++) {
      const r = retinotopyAt(cortex, u[col]!, v[row]!);
      azimuth[row * width + col] = r.azimuthDeg;
      altitude[row * width + col] = r.altitudeDeg;
    }
  return {
    azimuth,
    altitude,
    vessels: vesselMap(cortex, u, v),
    azimuthRange: rangeOf(azimuth),
    altitudeRange: rangeOf(altitude),
  };
}

/** Renders one frame of the cortex into `out` (row-major), with shot and read noise. */
export function renderCortex(
  setup: RenderSetup,
  cortex: CortexSetup,
  maps: CortexMaps,
  sample: CortexSample,
  noise: NoiseTable,
  out: Uint16Array,
): void {
  const { width, height } = setup;
  const maxAdu = 2 ** setup.bitDepth - 1;
  const pixelsPerBin = setup.binning * setup.binning;
  const toAdu = 1 / setup.electronsPerAdu;
  const readVariance = setup.readNoiseE * setup.readNoiseE * pixelsPerBin;
  // The light is set so the tissue sits at `meanFraction` of full scale, whatever the exposure.
  const tissueElectrons = cortex.meanFraction * maxAdu * setup.electronsPerAdu * sample.illumination;
  const offset = setup.biasAdu + 0.5;
  const table = noise.values;
  const span = table.length - width;
  const { azimuth, altitude, vessels } = maps;
  // The drive depends on a pixel's azimuth (or altitude) alone: tabulate it once per frame.
  const byAzimuth = driveTable(sample.taps, 1, maps.azimuthRange[0], maps.azimuthRange[1], TABLE_STEP_DEG);
  const byAltitude = driveTable(sample.taps, 2, maps.altitudeRange[0], maps.altitudeRange[1], TABLE_STEP_DEG);
  for (let row = 0; row < height; row++) {
    const base = row * width;
    const noiseStart = Math.floor(noise.uniform() * span);
    for (let col = 0; col < width; col++) {
      const i = base + col;
      const active =
        (byAzimuth ? tableAt(byAzimuth, azimuth[i]!) : 0) +
        (byAltitude ? tableAt(byAltitude, altitude[i]!) : 0);
      const electrons = tissueElectrons * vessels[i]! * (1 - cortex.dRR * active);
      const adu =
        offset + (electrons + Math.sqrt(electrons + readVariance) * table[noiseStart + col]!) * toAdu;
      out[i] = adu <= 0 ? 0 : adu > maxAdu ? maxAdu : adu;
    }
  }
}
