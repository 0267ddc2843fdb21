import { type Static, Type } from '@sinclair/typebox';

export const PvcamConfig = Type.Object(
  {
    camera_name: Type.String({ minLength: 1, description: 'PVCAM camera name, e.g. PrimeBSI' }),
    backend: Type.Union([Type.Literal('auto'), Type.Literal('simulated'), Type.Literal('pvcam')], {
      default: 'auto',
      description: 'auto: the simulator when [simulation] is enabled, else the PVCAM SDK',
    }),
    exposure_ms: Type.Number({ exclusiveMinimum: 0, default: 10 }),
    buffer_frames: Type.Integer({
      minimum: 2,
      maximum: 1024,
      default: 16,
      description: 'Circular buffer depth',
    }),
    readout_port: Type.Integer({ minimum: 0, default: 0 }),
    speed_index: Type.Integer({ minimum: 0, default: 0 }),
    gain_index: Type.Integer({ minimum: 0, default: 0 }),
    temperature_setpoint_c: Type.Number({ default: -20 }),
  },
  { additionalProperties: false },
);
export type PvcamConfig = Static<typeof PvcamConfig>;
