import { type Static, Type } from '@sinclair/typebox';
import { linkOptions, serialLineOptions } from '../serial-options.ts';

export const MaiTaiConfig = Type.Object(
  {
    ...linkOptions,
    ...serialLineOptions({ baud: 115200, flow_control: 'xonxoff' }),
    timeout_ms: Type.Integer({ exclusiveMinimum: 0, default: 3000, description: 'Replies can take 2-3 s' }),
    write_termination: Type.Union([Type.Literal('\r'), Type.Literal('\n')], { default: '\r' }),
    tuning_tolerance_nm: Type.Number({
      exclusiveMinimum: 0,
      default: 0.5,
      description: 'Tuning is done within this',
    }),
  },
  { additionalProperties: false, requireOneOf: [['serial_port', 'resource']] },
);
export type MaiTaiConfig = Static<typeof MaiTaiConfig>;
