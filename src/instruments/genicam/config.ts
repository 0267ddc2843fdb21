import { type Static, Type } from '@sinclair/typebox';
import { SUPPORTED_PIXEL_FORMATS } from './pixel-formats.ts';

export const GenicamCameraConfig = Type.Object(
  {
    device_id: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Aravis device id (`benchtop cameras list`), e.g. "Basler-21345678"; the first camera found when absent',
      }),
    ),
    pixel_format: Type.Union(
      SUPPORTED_PIXEL_FORMATS.map((f) => Type.Literal(f)),
      {
        default: 'Mono8',
        description:
          'GenICam PixelFormat: mono (packed ones unpacked), raw Bayer (the pattern is recorded) or RGB8/BGR8 (three samples per pixel); uint16 samples either way',
      },
    ),
    roi: Type.Object(
      {
        x: Type.Integer({ minimum: 0, default: 0 }),
        y: Type.Integer({ minimum: 0, default: 0 }),
        width: Type.Optional(
          Type.Integer({ minimum: 1, description: 'Binned pixels; the rest of the sensor when absent' }),
        ),
        height: Type.Optional(Type.Integer({ minimum: 1 })),
      },
      { additionalProperties: false, default: {} },
    ),
    binning: Type.Integer({ minimum: 1, maximum: 16, default: 1, description: 'Horizontal and vertical' }),
    exposure_us: Type.Number({ exclusiveMinimum: 0, default: 10_000 }),
    frame_rate: Type.Number({ exclusiveMinimum: 0, default: 25, description: 'AcquisitionFrameRate, Hz' }),
    trigger: Type.String({
      minLength: 1,
      default: 'off',
      description: '"off" (free run) or a TriggerSource such as "Software" or "Line1"',
    }),
    packet_size: Type.Optional(
      Type.Integer({ minimum: 576, maximum: 16_384, description: 'GigE Vision packet size, bytes' }),
    ),
    buffer_frames: Type.Integer({
      minimum: 2,
      maximum: 1024,
      default: 16,
      description: 'Stream buffers, and frames consumers may hold before new ones are dropped (counted)',
    }),
  },
  { additionalProperties: false },
);
export type GenicamCameraConfig = Static<typeof GenicamCameraConfig>;
