/**
 * What a PVCAM camera reports about itself once opened: sensor geometry and the readout table
 * (port → speed → gain) that fixes bit depth, row time and conversion gain. The SDK backend
 * would fill this from PARAM_SER_SIZE/PAR_SIZE, PARAM_READOUT_PORT, PARAM_SPDTAB_INDEX,
 * PARAM_GAIN_INDEX, PARAM_BIT_DEPTH and PARAM_PIX_TIME; the simulator uses `primeBsiExpress`.
 */

export interface GainEntry {
  /** PVCAM gain indices start at 1. */
  index: number;
  name: string;
  electronsPerAdu: number;
  readNoiseE: number;
}

export interface SpeedEntry {
  index: number;
  name: string;
  bitDepth: number;
  /** Rolling-shutter row time; readout time = rows × rowTimeUs. */
  rowTimeUs: number;
  gains: GainEntry[];
}

export interface ReadoutPort {
  index: number;
  name: string;
  speeds: SpeedEntry[];
}

export interface SensorModel {
  product: string;
  chip: string;
  widthPx: number;
  heightPx: number;
  pixelSizeUm: number;
  ports: ReadoutPort[];
  binnings: readonly number[];
  minExposureMs: number;
  maxExposureMs: number;
  /** Time one sensor clear takes (clear modes that clear before every exposure add it per frame). */
  clearTimeMs: number;
  biasAdu: number;
  minSetpointC: number;
  maxSetpointC: number;
}

/**
 * Prime BSI Express as the simulator presents it. Row times give ~43 fps full frame at
 * 16-bit (HDR) and ~95 fps at 11-bit; the conversion gains and read noise are typical values
 * for this sensor class, not calibration data.
 */
export const primeBsiExpress: SensorModel = {
  product: 'Prime BSI Express',
  chip: 'GSENSE2020BSI',
  widthPx: 2048,
  heightPx: 2048,
  pixelSizeUm: 6.5,
  ports: [
    {
      index: 0,
      name: 'Normal',
      speeds: [
        {
          index: 0,
          name: '100MHz 16bit',
          bitDepth: 16,
          rowTimeUs: 11.35,
          gains: [{ index: 1, name: 'HDR', electronsPerAdu: 0.7, readNoiseE: 1.6 }],
        },
        {
          index: 1,
          name: '200MHz 11bit',
          bitDepth: 11,
          rowTimeUs: 5.14,
          gains: [
            { index: 1, name: 'Full well', electronsPerAdu: 5.2, readNoiseE: 1.8 },
            { index: 2, name: 'Balanced', electronsPerAdu: 1.1, readNoiseE: 1.2 },
            { index: 3, name: 'Sensitivity', electronsPerAdu: 0.5, readNoiseE: 1.0 },
          ],
        },
      ],
    },
  ],
  binnings: [1, 2, 4],
  minExposureMs: 0.001,
  maxExposureMs: 10_000,
  clearTimeMs: 0.2,
  biasAdu: 100,
  minSetpointC: -25,
  maxSetpointC: 25,
};

/** The speed entry for port/speed, or undefined if the table has none. */
export function findSpeed(model: SensorModel, port: number, speed: number): SpeedEntry | undefined {
  return model.ports.find((p) => p.index === port)?.speeds.find((s) => s.index === speed);
}

export function findGain(
  model: SensorModel,
  port: number,
  speed: number,
  gain: number,
): GainEntry | undefined {
  return findSpeed(model, port, speed)?.gains.find((g) => g.index === gain);
}

/** Smallest and largest index over the whole table (the signals' static limits). */
export function tableLimits(model: SensorModel): {
  port: { min: number; max: number };
  speed: { min: number; max: number };
  gain: { min: number; max: number };
} {
  const ports = model.ports.map((p) => p.index);
  const speeds = model.ports.flatMap((p) => p.speeds.map((s) => s.index));
  const gains = model.ports.flatMap((p) => p.speeds.flatMap((s) => s.gains.map((g) => g.index)));
  const range = (xs: number[]) => ({ min: Math.min(...xs), max: Math.max(...xs) });
  return { port: range(ports), speed: range(speeds), gain: range(gains) };
}
