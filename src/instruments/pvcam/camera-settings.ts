import { BenchtopError } from '../../core/errors.ts';
import { findGain, findSpeed, type SensorModel } from './camera-model.ts';

/**
 * Acquisition settings as PVCAM takes them (region, binning and exposure mode go to
 * pl_exp_setup_seq/cont; port, speed, gain and clear mode are parameters), checked against the
 * sensor before anything reaches a backend, and the frame timing they imply.
 */

/** PVCAM exposure modes this driver offers (TIMED, and the extended trigger modes). */
export const TriggerModes = [
  'timed',
  'trigger_first',
  'edge_rising',
  'software_first',
  'software_edge',
] as const;
export type TriggerMode = (typeof TriggerModes)[number];

/** Modes whose trigger the host fires itself (pl_exp_trigger). */
export const softwareTriggerModes: readonly TriggerMode[] = ['software_first', 'software_edge'];
/** Modes where only the first frame waits for a trigger; the rest run on the camera's timer. */
export const firstFrameTriggerModes: readonly TriggerMode[] = ['trigger_first', 'software_first'];

/** PVCAM clear modes (CLEAR_NEVER … CLEAR_PRE_EXPOSURE_POST_SEQ). */
export const ClearModes = [
  'never',
  'pre_exposure',
  'pre_sequence',
  'post_sequence',
  'pre_post_sequence',
  'pre_exposure_post_seq',
] as const;
export type ClearMode = (typeof ClearModes)[number];

/** Region of interest in unbinned sensor pixels. */
export interface Roi {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface CameraSettings {
  exposureMs: number;
  roi: Roi;
  binning: number;
  triggerMode: TriggerMode;
  clearMode: ClearMode;
  readoutPort: number;
  speedIndex: number;
  gainIndex: number;
}

export interface FrameTiming {
  /** Rolling-shutter readout of the ROI's rows (PARAM_READOUT_TIME). */
  readoutMs: number;
  /** Time between frames in a timed sequence. */
  periodMs: number;
  /** From start (or trigger) to the end of the first frame's readout. */
  firstFrameMs: number;
  /** The rate these settings allow: min(1/exposure, readout-limited rate). */
  frameRateFps: number;
}

const outOfRange = (instrument: string, signal: string, value: unknown, message: string, allowed: unknown) =>
  new BenchtopError('VALUE_OUT_OF_RANGE', `${instrument}.${signal}: ${message}`, {
    instrument,
    signal,
    value,
    allowed,
  });

/**
 * Throws VALUE_OUT_OF_RANGE or VALUE_INVALID naming the offending setting, the value and what
 * this sensor allows. Port, speed and gain are checked as a path through the readout table.
 */
export function checkSettings(instrument: string, model: SensorModel, s: CameraSettings): void {
  if (!(s.exposureMs >= model.minExposureMs && s.exposureMs <= model.maxExposureMs)) {
    throw outOfRange(
      instrument,
      'exposure_ms',
      s.exposureMs,
      `${s.exposureMs} ms is out of range (allowed ${model.minExposureMs}..${model.maxExposureMs} ms)`,
      { min: model.minExposureMs, max: model.maxExposureMs },
    );
  }
  if (!model.binnings.includes(s.binning)) {
    throw outOfRange(
      instrument,
      'binning',
      s.binning,
      `binning ${s.binning} is not supported (allowed ${model.binnings.join(', ')})`,
      model.binnings,
    );
  }
  checkRoi(instrument, model, s.roi, s.binning);
  const port = model.ports.find((p) => p.index === s.readoutPort);
  if (!port) {
    const allowed = model.ports.map((p) => p.index);
    throw outOfRange(
      instrument,
      'readout_port',
      s.readoutPort,
      `readout port ${s.readoutPort} does not exist (allowed ${allowed.join(', ')})`,
      allowed,
    );
  }
  const speed = findSpeed(model, s.readoutPort, s.speedIndex);
  if (!speed) {
    const allowed = port.speeds.map((sp) => sp.index);
    throw outOfRange(
      instrument,
      'speed_index',
      s.speedIndex,
      `speed ${s.speedIndex} does not exist on port ${port.index} "${port.name}" (allowed ${port.speeds
        .map((sp) => `${sp.index} "${sp.name}"`)
        .join(', ')})`,
      allowed,
    );
  }
  if (!findGain(model, s.readoutPort, s.speedIndex, s.gainIndex)) {
    const allowed = speed.gains.map((g) => g.index);
    throw outOfRange(
      instrument,
      'gain_index',
      s.gainIndex,
      `gain ${s.gainIndex} does not exist at speed ${speed.index} "${speed.name}" (allowed ${speed.gains
        .map((g) => `${g.index} "${g.name}"`)
        .join(', ')})`,
      allowed,
    );
  }
}

function checkRoi(instrument: string, model: SensorModel, roi: Roi, binning: number): void {
  const axes = [
    { pos: 'x', size: 'width', sensor: model.widthPx },
    { pos: 'y', size: 'height', sensor: model.heightPx },
  ] as const;
  for (const { pos, size, sensor } of axes) {
    const start = roi[pos];
    const length = roi[size];
    for (const [name, value] of [
      [pos, start],
      [size, length],
    ] as const) {
      if (!Number.isInteger(value)) {
        throw new BenchtopError(
          'VALUE_INVALID',
          `${instrument}.roi.${name}: expected an integer, got ${value}`,
          {
            instrument,
            signal: `roi.${name}`,
            value,
            expected: 'an integer',
          },
        );
      }
    }
    if (start < 0 || start >= sensor) {
      throw outOfRange(
        instrument,
        `roi.${pos}`,
        start,
        `${start} px is outside the sensor (0..${sensor - 1})`,
        {
          min: 0,
          max: sensor - 1,
        },
      );
    }
    if (length < binning || start + length > sensor) {
      throw outOfRange(
        instrument,
        `roi.${size}`,
        length,
        `ROI ${pos} ${start} + ${size} ${length} does not fit the ${sensor} px sensor (allowed ${size} ${binning}..${sensor - start} at ${pos} ${start})`,
        { min: binning, max: sensor - start },
      );
    }
    if (length % binning !== 0) {
      throw new BenchtopError(
        'VALUE_INVALID',
        `${instrument}.roi.${size}: ${length} px is not a multiple of the binning ${binning}`,
        { instrument, signal: `roi.${size}`, value: length, expected: `a multiple of ${binning}` },
      );
    }
  }
}

/** Frame size delivered for these settings (binned pixels). */
export function frameShape(s: CameraSettings): { width: number; height: number } {
  return { width: s.roi.width / s.binning, height: s.roi.height / s.binning };
}

const clearsEveryFrame = (m: ClearMode) => m === 'pre_exposure' || m === 'pre_exposure_post_seq';
const clearsBeforeSequence = (m: ClearMode) => m === 'pre_sequence' || m === 'pre_post_sequence';

/**
 * Frame timing of a rolling-shutter CMOS sensor with overlapped exposure: the next exposure
 * runs while the previous frame reads out, so the period is the longer of the two. Readout
 * scales with the ROI's sensor rows; binning does not shorten it (this sensor bins digitally).
 */
export function frameTiming(model: SensorModel, s: CameraSettings): FrameTiming {
  const speed = findSpeed(model, s.readoutPort, s.speedIndex);
  if (!speed) throw new RangeError(`no speed ${s.speedIndex} on port ${s.readoutPort}`);
  const readoutMs = (s.roi.height * speed.rowTimeUs) / 1000;
  const clearPerFrame = clearsEveryFrame(s.clearMode) ? model.clearTimeMs : 0;
  const clearPerSequence = clearsBeforeSequence(s.clearMode) ? model.clearTimeMs : 0;
  const periodMs = Math.max(s.exposureMs, readoutMs) + clearPerFrame;
  return {
    readoutMs,
    periodMs,
    firstFrameMs: clearPerSequence + clearPerFrame + s.exposureMs + readoutMs,
    frameRateFps: 1000 / periodMs,
  };
}
