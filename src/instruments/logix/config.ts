import { type Static, Type } from '@sinclair/typebox';

/**
 * CIP types a configured tag may have. st-ethernet-ip 2.7.5 cannot decode LREAL or UDINT
 * replies (its read parser has no case for them and the read then times out), so the driver
 * refuses them here rather than at the first read; the codec and simulator handle both.
 */
export const LOGIX_TAG_TYPES = ['BOOL', 'SINT', 'INT', 'DINT', 'LINT', 'REAL'] as const;
export type LogixTagType = (typeof LOGIX_TAG_TYPES)[number];

export const LogixTagConfig = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      pattern: '^[A-Za-z_:][A-Za-z0-9_:.\\[\\],]*$',
      description:
        'Controller tag name as in the PLC program: `Line.State`, `Program:Main.Speed`, `Temps[3]`',
    }),
    type: Type.Union(
      LOGIX_TAG_TYPES.map((t) => Type.Literal(t)),
      { description: 'CIP type the controller declares for the tag' },
    ),
    writable: Type.Boolean({
      default: false,
      description: 'Benchtop may write it (checked against the type range)',
    }),
    elements: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10_000,
        description: 'An array tag: read and written whole, this many elements (`Temps` with 10 REALs)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type LogixTagConfig = Static<typeof LogixTagConfig>;

export const LogixPlcConfig = Type.Object(
  {
    host: Type.String({
      minLength: 1,
      description: 'Controller (or its EtherNet/IP module) IPv4 address; port 44818',
    }),
    slot: Type.Integer({
      minimum: 0,
      maximum: 16,
      default: 0,
      description: 'Backplane slot of the controller',
    }),
    connected: Type.Boolean({
      default: true,
      description: 'Forward Open (connected class 3 messaging); false: unconnected send for every request',
    }),
    scan_ms: Type.Integer({ minimum: 10, default: 100, description: 'Tag-group scan period' }),
    timeout_ms: Type.Integer({
      exclusiveMinimum: 0,
      default: 5000,
      description: 'Reply timeout per request',
    }),
    discover: Type.Boolean({
      default: false,
      description:
        'List the controller tags (symbol class 0x6B) at connect; the list_tags action lists them anyway',
    }),
    tags: Type.Array(LogixTagConfig, { default: [], description: 'Tags to scan, each one signal' }),
  },
  { additionalProperties: false },
);
export type LogixPlcConfig = Static<typeof LogixPlcConfig>;
