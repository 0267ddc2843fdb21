import { type Static, Type } from '@sinclair/typebox';
import { linkOptions, serialLineOptions } from '../serial-options.ts';

export const Esp300Units = [
  'counts',
  'steps',
  'mm',
  'um',
  'in',
  'mil',
  'uin',
  'deg',
  'grad',
  'rad',
  'mrad',
  'urad',
] as const;

export const Esp300Config = Type.Object(
  {
    ...linkOptions,
    ...serialLineOptions({ baud: 19200, flow_control: 'rtscts' }),
    axes: Type.Integer({
      minimum: 1,
      maximum: 3,
      default: 3,
      description: 'Axes 1..axes get signals and actions',
    }),
    units: Type.Optional(
      Type.Union(
        Esp300Units.map((u) => Type.Literal(u)),
        {
          description:
            'Axis units, written to the controller (SN) at connect. Absent: the units the controller has (SN?)',
        },
      ),
    ),
    timeout_ms: Type.Integer({
      exclusiveMinimum: 0,
      default: 5000,
      description: 'It goes quiet 2-5 s after a limit',
    }),
    travel_min: Type.Optional(
      Type.Number({
        description:
          "Lowest position, axis units, written to the controller as its left limit (SL) at connect. Absent: the controller's own (SL?)",
      }),
    ),
    travel_max: Type.Optional(
      Type.Number({
        description:
          "Highest position, axis units, written to the controller as its right limit (SR) at connect. Absent: the controller's own (SR?)",
      }),
    ),
  },
  { additionalProperties: false, requireOneOf: [['serial_port', 'resource']] },
);
export type Esp300Config = Static<typeof Esp300Config>;
