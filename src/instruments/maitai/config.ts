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
    tuning_timeout_ms: Type.Integer({
      exclusiveMinimum: 0,
      default: 60_000,
      description: 'Longest wait for the actual wavelength to reach a new setpoint',
    }),
    shutter_settle_ms: Type.Integer({
      minimum: 0,
      default: 1000,
      description: 'Shutter travel time (0.75-1 s): a shutter write completes this long after the command',
    }),
    watchdog_s: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          'Sent as TIMER:WATCHDOG at connect: 0 disables the watchdog, n turns the laser off after n s without a command. Absent: left as the laser has it',
      }),
    ),
  },
  { additionalProperties: false, requireOneOf: [['serial_port', 'resource']] },
);
export type MaiTaiConfig = Static<typeof MaiTaiConfig>;
