import { type Static, Type } from '@sinclair/typebox';
import { linkOptions, serialLineOptions } from '../serial-options.ts';

export const Newport1830cConfig = Type.Object(
  {
    ...linkOptions,
    ...serialLineOptions({ baud: 9600, flow_control: 'none' }),
    timeout_ms: Type.Integer({ exclusiveMinimum: 0, default: 2000 }),
  },
  { additionalProperties: false, requireOneOf: [['serial_port', 'resource']] },
);
export type Newport1830cConfig = Static<typeof Newport1830cConfig>;
