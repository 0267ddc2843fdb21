import { type Static, type TLiteral, type TUnion, Type } from '@sinclair/typebox';
import { pointTableIssues } from './point-table.ts';
import { POINT_TYPES, WORD_ORDERS } from './register-values.ts';

const literals = <T extends string>(values: readonly T[], options: Record<string, unknown> = {}) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as TUnion<TLiteral<T>[]>;

export const MODBUS_TABLES = ['coil', 'discrete', 'holding', 'input'] as const;
export type ModbusTable = (typeof MODBUS_TABLES)[number];

const pair = (description: string) =>
  Type.Optional(Type.Tuple([Type.Number(), Type.Number()], { description }));

export const ModbusPointConfig = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]*$', description: 'Signal name' }),
    table: literals(MODBUS_TABLES, { description: 'coil | discrete | holding | input' }),
    address: Type.Integer({ minimum: 0, maximum: 65535, description: '0-based PDU address' }),
    type: literals(POINT_TYPES, {
      default: 'float32',
      description: 'bool | int16 | uint16 | int32 | uint32 | float32',
    }),
    unit: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    writable: Type.Boolean({ default: false, description: 'Coils and holding registers only' }),
    min: Type.Optional(Type.Number({ description: 'Lowest value a write may set (engineering units)' })),
    max: Type.Optional(Type.Number({ description: 'Highest value a write may set (engineering units)' })),
    read_address: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 65535,
        description:
          'Where the actual value is read when it is not the written register (same table and type)',
      }),
    ),
    raw_range: pair('Linear scaling: raw register values [lo, hi] ...'),
    range: pair('... map to engineering units [lo, hi]'),
    tolerance: Type.Optional(
      Type.Number({
        minimum: 0,
        description: 'Read-back tolerance for this point (default: the instrument’s)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ModbusPointConfig = Static<typeof ModbusPointConfig>;

export const ModbusPlcConfig = Type.Object(
  {
    host: Type.String({ minLength: 1, description: 'PLC address' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 502 }),
    unit_id: Type.Integer({ minimum: 0, maximum: 255, default: 1, description: 'Modbus unit (slave) id' }),
    word_order: literals(WORD_ORDERS, {
      default: 'high_first',
      description: 'Order of the two registers of 32-bit values: high_first (ABCD) or low_first (CDAB)',
    }),
    timeout_ms: Type.Integer({ exclusiveMinimum: 0, default: 1000 }),
    max_connections: Type.Integer({
      minimum: 1,
      maximum: 16,
      default: 4,
      description: 'Connection pool size',
    }),
    max_in_flight: Type.Integer({
      minimum: 1,
      maximum: 16,
      default: 1,
      description:
        'Requests outstanding on each connection, matched to their replies by transaction id; 1 for PLCs that take one at a time',
    }),
    max_gap: Type.Integer({
      minimum: 0,
      maximum: 124,
      default: 10,
      description: 'Unused registers/bits bridged when merging reads',
    }),
    write_tolerance: Type.Number({
      minimum: 0,
      default: 0.01,
      description: 'A write is confirmed when the read-back is within max(this, 1e-6 relative)',
    }),
    sim_model: literals(['points', 'register_bank', 'ald'], {
      default: 'points',
      description:
        'Simulator: serve the point map (points), every address of every table (register_bank), or the point map driven by the ALD chamber physics (ald)',
    }),
    points_file: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'TOML file of more [[points]] (relative to this configuration), appended to the inline ones',
      }),
    ),
    points: Type.Array(ModbusPointConfig, { default: [] }),
  },
  {
    additionalProperties: false,
    configChecks: pointTableIssues,
    includes: [{ key: 'points_file', array: 'points' }],
  },
);
export type ModbusPlcConfig = Static<typeof ModbusPlcConfig>;
