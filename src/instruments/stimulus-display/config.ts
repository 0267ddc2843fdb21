import { type Static, Type } from '@sinclair/typebox';
import { Directions, type StimulusProtocol } from './protocol-schedule.ts';

/** Defaults are KimLabISI's (`retinotopy.md` §1): a 60.96 × 36.195 cm monitor 25 cm away. */
export const StimulusDisplayConfig = Type.Object(
  {
    monitor_width_cm: Type.Number({ exclusiveMinimum: 0, maximum: 500, default: 60.96 }),
    monitor_height_cm: Type.Number({ exclusiveMinimum: 0, maximum: 500, default: 36.195 }),
    distance_cm: Type.Number({
      exclusiveMinimum: 0,
      maximum: 500,
      default: 25,
      description: 'Eye to screen',
    }),
    resolution_x: Type.Integer({ minimum: 16, maximum: 16384, default: 1920 }),
    resolution_y: Type.Integer({ minimum: 16, maximum: 16384, default: 1080 }),
    refresh_hz: Type.Number({ minimum: 1, maximum: 500, default: 60 }),
    eye_x_cm: Type.Number({
      default: 0,
      description: "Foot of the eye's perpendicular on the screen, right of the screen centre (cm)",
    }),
    eye_y_cm: Type.Number({ default: 0, description: 'The same, above the screen centre (cm)' }),
    spherical_correction: Type.Boolean({
      default: true,
      description: 'Bars of constant azimuth/altitude on the sphere (Marshel et al. 2011)',
    }),
    bar_width_deg: Type.Number({ exclusiveMinimum: 0, maximum: 180, default: 20 }),
    checker_size_deg: Type.Number({ exclusiveMinimum: 0, maximum: 180, default: 25 }),
    flicker_hz: Type.Number({
      minimum: 0,
      maximum: 60,
      default: 6,
      description: 'Checkerboard polarity reversals per second (6 = a reversal every 166.7 ms); 0 = none',
    }),
    contrast: Type.Number({ minimum: 0, maximum: 1, default: 0.5 }),
    background: Type.Number({ minimum: 0, maximum: 1, default: 0.5 }),
    speed_deg_s: Type.Number({ exclusiveMinimum: 0, maximum: 10_000, default: 9 }),
    directions: Type.Array(Type.Union(Directions.map((d) => Type.Literal(d))), {
      minItems: 1,
      maxItems: 4,
      default: [...Directions],
    }),
    cycles: Type.Integer({ minimum: 1, maximum: 1000, default: 10, description: 'Sweeps per direction' }),
    baseline_s: Type.Number({
      minimum: 0,
      maximum: 3600,
      default: 5,
      description: 'Background before the first direction, between directions and after the last',
    }),
    gap_s: Type.Number({ minimum: 0, maximum: 3600, default: 5, description: 'Background between sweeps' }),
    camera_fps: Type.Number({
      exclusiveMinimum: 0,
      maximum: 10_000,
      default: 30,
      description: 'The camera frame rate: a sweep must last at least two camera frames',
    }),
    photodiode_signal: Type.Optional(
      Type.String({
        pattern: '^[^.]+\\..+$',
        description:
          "A photodiode on the corner patch (which then flips every frame): any Benchtop signal, 'instrument.signal', e.g. 'dmm.voltage', sampled at least twice per frame; its transitions give the presentation latency recorded and applied to the stimulus times",
      }),
    ),
    photodiode_threshold: Type.Optional(
      Type.Number({
        description: 'Bright/dark threshold of that signal (default: midway between its levels)',
      }),
    ),
    stall_timeout_s: Type.Number({
      exclusiveMinimum: 0,
      maximum: 600,
      default: 2,
      description: 'A presenting page that reports no frame for this long is declared stalled',
    }),
  },
  { additionalProperties: false },
);
export type StimulusDisplayConfig = Static<typeof StimulusDisplayConfig>;

/** The config table in the schedule's terms. */
export function protocolOf(c: StimulusDisplayConfig): StimulusProtocol {
  return {
    geometry: {
      widthCm: c.monitor_width_cm,
      heightCm: c.monitor_height_cm,
      distanceCm: c.distance_cm,
      resolutionX: c.resolution_x,
      resolutionY: c.resolution_y,
      eyeXCm: c.eye_x_cm,
      eyeYCm: c.eye_y_cm,
      sphericalCorrection: c.spherical_correction,
    },
    refreshHz: c.refresh_hz,
    barWidthDeg: c.bar_width_deg,
    checkerSizeDeg: c.checker_size_deg,
    flickerHz: c.flicker_hz,
    contrast: c.contrast,
    background: c.background,
    speedDegPerS: c.speed_deg_s,
    directions: c.directions,
    cyclesPerDirection: c.cycles,
    baselineS: c.baseline_s,
    gapS: c.gap_s,
    cameraFps: c.camera_fps,
  };
}
