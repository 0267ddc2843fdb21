import { type Static, Type } from '@sinclair/typebox';

/** What a field of the result line means: `judgement` is 0 for OK, anything else NG. */
export const CvxOutputKinds = ['judgement', 'measure', 'x', 'y', 'score'] as const;
export type CvxOutputKind = (typeof CvxOutputKinds)[number];

/** The trigger commands: all cameras, or one of cameras 1–4. */
export const CvxTriggers = ['TA', 'T1', 'T2', 'T3', 'T4'] as const;
export type CvxTrigger = (typeof CvxTriggers)[number];

export const CvxOutputConfig = Type.Object(
  {
    index: Type.Integer({ minimum: 0, description: 'Position of the field in the result line (0 = first)' }),
    name: Type.String({
      pattern: '^[A-Za-z][A-Za-z0-9_]*$',
      description: 'Signal name for this field (not one of the fixed signals)',
    }),
    kind: Type.Union(
      CvxOutputKinds.map((k) => Type.Literal(k)),
      { description: 'judgement (0 = OK) | measure | x | y | score' },
    ),
    tool: Type.Optional(
      Type.String({ minLength: 1, description: 'The defect class the tool behind this field detects' }),
    ),
    unit: Type.Optional(Type.String({ description: 'Unit of a measure, x or y field, e.g. px or mm' })),
  },
  { additionalProperties: false },
);
export type CvxOutputConfig = Static<typeof CvxOutputConfig>;

export const KeyenceCvxConfig = Type.Object(
  {
    host: Type.String({ minLength: 1, description: 'Controller IP address or host name' }),
    port: Type.Integer({
      minimum: 1,
      maximum: 65535,
      default: 8500,
      description: 'Non-procedural command port (8500 on the CV-X; 8501 belongs to KV PLCs)',
    }),
    timeout_ms: Type.Integer({
      exclusiveMinimum: 0,
      default: 3000,
      description: 'Longest wait for a reply, and for the result line after a trigger',
    }),
    trigger: Type.Union(
      CvxTriggers.map((t) => Type.Literal(t)),
      {
        default: 'TA',
        description: 'Trigger command the `trigger` action sends: TA (all cameras) or T1..T4',
      },
    ),
    outputs: Type.Array(CvxOutputConfig, {
      default: [],
      description: "The result line's fields, as set in the controller's non-procedural output settings",
    }),
  },
  { additionalProperties: false },
);
export type KeyenceCvxConfig = Static<typeof KeyenceCvxConfig>;
