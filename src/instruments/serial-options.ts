import { Type } from '@sinclair/typebox';

/**
 * Serial line settings shared by every RS-232 instrument. Each driver sets its own
 * defaults (ESP300 19200 8N1 RTS/CTS, 1830-C 9600 8N1, MaiTai 115200 XON/XOFF).
 */
export function serialLineOptions(defaults: { baud: number; flow_control: 'none' | 'rtscts' | 'xonxoff' }) {
  return {
    baud: Type.Integer({ minimum: 50, maximum: 4_000_000, default: defaults.baud, description: 'Baud rate' }),
    data_bits: Type.Union([Type.Literal(5), Type.Literal(6), Type.Literal(7), Type.Literal(8)], {
      default: 8,
    }),
    parity: Type.Union(
      [
        Type.Literal('none'),
        Type.Literal('even'),
        Type.Literal('odd'),
        Type.Literal('mark'),
        Type.Literal('space'),
      ],
      { default: 'none' },
    ),
    stop_bits: Type.Union([Type.Literal(1), Type.Literal(1.5), Type.Literal(2)], { default: 1 }),
    flow_control: Type.Union([Type.Literal('none'), Type.Literal('rtscts'), Type.Literal('xonxoff')], {
      default: defaults.flow_control,
    }),
  };
}

/**
 * Where the instrument is: `serial_port` (a device path, or `tcp://host:port` for a serial
 * device server) or a VISA `resource` string. Either may be given; the driver requires one.
 */
export const linkOptions = {
  serial_port: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Serial device (/dev/ttyUSB0) or tcp://host:port of a device server',
    }),
  ),
  resource: Type.Optional(
    Type.String({ minLength: 1, description: 'VISA resource string, e.g. ASRL1::INSTR' }),
  ),
};
