import { type Static, Type } from '@sinclair/typebox';

export const PvcamConfig = Type.Object(
  {
    camera_name: Type.String({ minLength: 1, description: 'PVCAM camera name, e.g. PrimeBSI' }),
    backend: Type.Union([Type.Literal('auto'), Type.Literal('simulated'), Type.Literal('pvcam')], {
      default: 'auto',
      description:
        'auto: the simulated camera when [simulation] is enabled, else the PVCAM SDK (libpvcam through koffi)',
    }),
    sdk_library: Type.String({
      minLength: 1,
      default: 'libpvcam.so.2',
      description: 'The PVCAM runtime library the SDK backend loads (a path, or a soname on the loader path)',
    }),
    simulated_scene: Type.Union([Type.Literal('test_pattern'), Type.Literal('cortex')], {
      default: 'test_pattern',
      description:
        'What the simulated camera images: the test pattern (stage and laser), or a cortex responding to the stimulus display (intrinsic imaging)',
    }),
    exposure_ms: Type.Number({ exclusiveMinimum: 0, maximum: 10_000, default: 10 }),
    buffer_frames: Type.Integer({
      minimum: 2,
      maximum: 1024,
      default: 16,
      description: 'Circular buffer depth: frames a slow consumer may fall behind before frames are lost',
    }),
    readout_port: Type.Integer({ minimum: 0, default: 0 }),
    speed_index: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'Readout speed on the port (Prime BSI Express: 0 = 100MHz 16bit, 1 = 200MHz 11bit)',
    }),
    gain_index: Type.Integer({
      minimum: 1,
      default: 1,
      description: 'Gain state, 1-based as in PVCAM (at 11-bit: 1 Full well, 2 Balanced, 3 Sensitivity)',
    }),
    temperature_setpoint_c: Type.Number({ minimum: -25, maximum: 25, default: -20 }),
  },
  { additionalProperties: false },
);
export type PvcamConfig = Static<typeof PvcamConfig>;
