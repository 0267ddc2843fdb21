import { type Static, Type } from '@sinclair/typebox';

/**
 * `[[lines]]`: a production line is configured, not coded. Its own file (like the
 * instrument config schemas) so the line code can import it alone; schema.ts embeds it as `lines`.
 */
const Id = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]*$' });
const TagName = Type.String({ minLength: 1, description: 'A tag of the PLC instrument, e.g. Part.Id' });
/** 24-hour wall-clock time, "HH:MM". */
export const ClockTime = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });
/** "HH:MM-HH:MM" */
export const ClockRange = Type.String({
  pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$',
});

export const ShiftEntry = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$' }),
    start: ClockTime,
    end: Type.String({
      pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
      description: 'An end at or before the start means the next day (night shift)',
    }),
    breaks: Type.Array(ClockRange, { default: [], description: 'Planned breaks: not planned busy time' }),
  },
  { additionalProperties: false },
);

export const SpecLimits = Type.Object(
  {
    lsl: Type.Optional(Type.Number({ description: 'Lower specification limit' })),
    usl: Type.Optional(Type.Number({ description: 'Upper specification limit' })),
  },
  { additionalProperties: false },
);

export const BoxOutputs = Type.Object(
  {
    x: Type.String({ minLength: 1 }),
    y: Type.String({ minLength: 1 }),
    width: Type.Optional(Type.String({ minLength: 1 })),
    height: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false, description: "Vision outputs giving a defect's position (and size)" },
);

export const StationEntry = Type.Object(
  {
    id: Id,
    vision: Type.String({ minLength: 1, description: 'The vision instrument (KeyenceCvx) id' }),
    defect_classes: Type.Record(
      Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]*$' }),
      Type.String({ minLength: 1 }),
      {
        description: 'Defect class → the vision output holding its score (0..1)',
      },
    ),
    defect_threshold: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.75,
      description: 'A class whose score reaches this is a defect (NG tool)',
    }),
    judgement_output: Type.Optional(
      Type.String({ minLength: 1, description: 'Total judgement output (0 = OK); NG fails the part' }),
    ),
    rework_classes: Type.Array(Type.String(), {
      default: [],
      description: 'A part whose defects are all of these classes goes to rework instead of failing',
    }),
    boxes: Type.Record(Type.String(), BoxOutputs, { default: {}, description: 'Defect class → box outputs' }),
    measures: Type.Record(Type.String({ minLength: 1 }), SpecLimits, {
      default: {},
      description: 'Measure outputs charted for SPC, with optional spec limits for Cp/Cpk',
    }),
    timeout_ms: Type.Integer({ exclusiveMinimum: 0, default: 3000, description: 'Vision result deadline' }),
  },
  { additionalProperties: false },
);

export const LineEntry = Type.Object(
  {
    id: Id,
    plc: Type.String({ minLength: 1, description: 'The PLC instrument (LogixPlc) id' }),
    part_event: TagName,
    part_fields: Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]*$' }), TagName, {
      default: {},
      description: 'Part attribute → tag read on each part event (id and sku expected)',
    }),
    state_tag: TagName,
    result_tag: TagName,
    cycle_time_tag: Type.Optional(TagName),
    counter_tag: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "The PLC's part counter (Part.Counter), read on each part event: an edge seen twice is one part, parts made while the link was down are counted as missed. May be part_event itself: then each step of the counter is one part",
      }),
    ),
    alarm_tag: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "A DINT with the PLC's active alarm (Alarm.Code): the code's number, negative for a warning (F301 → 301, W102 → −102), 0 for none; recorded for downtime and raised in the alarm service",
      }),
    ),
    run_tag: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'BOOL written true to run the line, false to stop it (Line.RunCmd)',
      }),
    ),
    reset_tag: Type.Optional(
      Type.String({ minLength: 1, description: 'BOOL pulsed true → false to clear faults (Line.Reset)' }),
    ),
    emergency_stop_tag: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'BOOL written true to stop the line at once (Emergency.Stop)',
      }),
    ),
    ideal_cycle_ms: Type.Number({ exclusiveMinimum: 0 }),
    target_per_hour: Type.Number({ exclusiveMinimum: 0 }),
    utc_offset_minutes: Type.Integer({
      minimum: -840,
      maximum: 840,
      default: 0,
      description: 'Offset of the factory clock the shift times are written in',
    }),
    shifts: Type.Array(ShiftEntry, { default: [] }),
    stations: Type.Array(StationEntry, { default: [] }),
  },
  { additionalProperties: false },
);

export type LineConfig = Static<typeof LineEntry>;
export type ShiftConfig = Static<typeof ShiftEntry>;
export type StationConfig = Static<typeof StationEntry>;
export type SpecLimitsConfig = Static<typeof SpecLimits>;
