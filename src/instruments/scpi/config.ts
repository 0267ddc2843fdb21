import { type Static, Type } from '@sinclair/typebox';

export const ScpiSignalConfig = Type.Object(
  {
    name: Type.String({
      pattern: '^[A-Za-z][A-Za-z0-9_.]*$',
      description: 'Signal name used by the API and CLI',
    }),
    query: Type.Optional(
      Type.String({ minLength: 1, description: 'Query that reads the value, e.g. MEAS:VOLT:DC?' }),
    ),
    set: Type.Optional(
      Type.String({ pattern: '\\{value\\}', description: 'Command that writes it; {value} is replaced' }),
    ),
    dtype: Type.Union(
      [Type.Literal('number'), Type.Literal('integer'), Type.Literal('boolean'), Type.Literal('string')],
      {
        default: 'number',
      },
    ),
    unit: Type.Optional(Type.String()),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    choices: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    description: Type.Optional(Type.String()),
    poll: Type.Boolean({ default: false, description: 'Read it periodically and publish the readings' }),
  },
  { additionalProperties: false },
);

export const ScpiConfig = Type.Object(
  {
    resource: Type.String({
      minLength: 1,
      description: 'VISA resource: TCPIP0::host::port::SOCKET, TCPIP0::host::INSTR (VXI-11), ASRL…::INSTR',
    }),
    timeout_ms: Type.Integer({ exclusiveMinimum: 0, default: 2000 }),
    read_termination: Type.Union([Type.Literal('\n'), Type.Literal('\r\n'), Type.Literal('\r')], {
      default: '\n',
      description: 'End of a reply line (raw socket and serial); stripped from VXI-11 replies',
    }),
    write_termination: Type.String({ default: '\n' }),
    check_errors: Type.Boolean({ default: true, description: 'Drain SYST:ERR? after every write' }),
    baud: Type.Integer({ minimum: 50, default: 9600, description: 'For ASRL resources' }),
    portmapper_port: Type.Integer({
      minimum: 1,
      maximum: 65535,
      default: 111,
      description:
        'For TCPIP::INSTR (VXI-11): where the ONC-RPC portmapper listens; 111 on every real instrument',
    }),
    lock: Type.Boolean({
      default: false,
      description:
        'For TCPIP::INSTR (VXI-11): hold the device lock (exclusive, as VISA viLock) from connect to disconnect; other clients get "device locked by another link" meanwhile',
    }),
    signals: Type.Array(ScpiSignalConfig, { default: [] }),
  },
  { additionalProperties: false },
);
export type ScpiConfig = Static<typeof ScpiConfig>;
