import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { SignalDescription } from '../../src/core/device.ts';
import { BenchtopError } from '../../src/core/errors.ts';
import { checkWrite, signalValueSchema } from '../../src/core/signal-validation.ts';
import type { JsonSchema } from '../../web/src/api/types.ts';
import {
  checkDraft,
  type Draft,
  draftToValue,
  effectiveSchema,
  fieldKind,
  initialDraft,
  validate,
} from '../../web/src/forms/json-schema.ts';
import { checkSignalValue, parseSignalInput } from '../../web/src/forms/signal-rules.ts';

/**
 * The dashboard refuses invalid values before sending them. These tests hold its rules to the
 * server's: the same signal checks (src/core/signal-validation.ts) with the same codes and
 * messages, and the same verdicts as TypeBox on the kinds of schema plans and actions publish.
 */

function signal(over: Partial<SignalDescription>): SignalDescription {
  return {
    name: 'x',
    dtype: 'number',
    readable: true,
    writable: true,
    description: '',
    monitored: false,
    completes: false,
    ...over,
  };
}

const SIGNALS: SignalDescription[] = [
  signal({ name: 'wavelength', dtype: 'integer', unit: 'nm', limits: { min: 690, max: 1040 } }),
  signal({ name: 'position', dtype: 'number', unit: 'mm', limits: { min: -25, max: 25 } }),
  signal({ name: 'velocity', dtype: 'number', limits: { min: 0.000001 } }),
  signal({ name: 'setpoint', dtype: 'number', unit: '°C', limits: { max: 25 } }),
  signal({ name: 'gain', dtype: 'number' }),
  signal({ name: 'shutter', dtype: 'boolean' }),
  signal({ name: 'units', dtype: 'enum', choices: ['W', 'dB', 'dBm'] }),
  signal({ name: 'label', dtype: 'string' }),
  signal({ name: 'power', dtype: 'number', writable: false }),
];

const VALUES: unknown[] = [
  0,
  5,
  690,
  1040,
  1041,
  689.5,
  850.5,
  -25,
  25.0001,
  -30,
  1e-7,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '5',
  '',
  true,
  false,
  'W',
  'dbm',
  null,
  undefined,
  [1],
  { value: 1 },
];

function serverVerdict(desc: SignalDescription, value: unknown): { code: string; message: string } | null {
  try {
    checkWrite('lab', desc, value);
    return null;
  } catch (error) {
    assert.ok(error instanceof BenchtopError);
    return { code: error.code, message: error.message };
  }
}

describe('dashboard signal rules match the server', () => {
  for (const desc of SIGNALS) {
    it(`${desc.name} (${desc.dtype}${desc.writable ? '' : ', read-only'})`, () => {
      for (const value of VALUES) {
        assert.deepEqual(
          checkSignalValue('lab', desc, value),
          serverVerdict(desc, value),
          `value ${JSON.stringify(value) ?? String(value)}`,
        );
      }
    });
  }

  it('reads numbers from input text and leaves anything else to be refused', () => {
    const wavelength = SIGNALS[0]!;
    assert.equal(parseSignalInput(wavelength, ' 900 '), 900);
    assert.equal(parseSignalInput(wavelength, '9e2'), 900);
    assert.equal(parseSignalInput(wavelength, ''), '');
    assert.equal(parseSignalInput(wavelength, 'abc'), 'abc');
    assert.equal(
      checkSignalValue('laser', wavelength, parseSignalInput(wavelength, 'abc'))?.code,
      'VALUE_INVALID',
    );
    assert.equal(parseSignalInput(SIGNALS[7]!, ' text '), ' text ');
  });

  it("validates a signal's published schema the way the server does", () => {
    for (const desc of SIGNALS.filter((s) => s.writable)) {
      const schema = signalValueSchema(desc);
      const json = JSON.parse(JSON.stringify(schema)) as JsonSchema;
      for (const value of VALUES) {
        if (value === undefined) continue;
        assert.equal(
          validate(json, value).length === 0,
          Value.Check(schema, value),
          `${desc.name} = ${JSON.stringify(value)}`,
        );
      }
    }
  });
});

/** Shapes the plans and actions publish (TypeBox), and values around their edges. */
const SCHEMAS: [string, TSchema, unknown[]][] = [
  [
    'action with a bounded number',
    Type.Object({ delta: Type.Number({ minimum: -50, maximum: 50 }) }, { additionalProperties: false }),
    [
      { delta: 0 },
      { delta: -50 },
      { delta: 50.1 },
      {},
      { delta: '1' },
      { delta: 1, extra: 2 },
      { delta: null },
    ],
  ],
  [
    'exclusive minimum and optional integer',
    Type.Object({
      interval_s: Type.Number({ exclusiveMinimum: 0 }),
      frames: Type.Optional(Type.Integer({ minimum: 1 })),
    }),
    [
      { interval_s: 0 },
      { interval_s: 0.1 },
      { interval_s: 1, frames: 0 },
      { interval_s: 1, frames: 2.5 },
      { interval_s: 1, frames: 3 },
    ],
  ],
  [
    'strings: length, pattern, choices',
    Type.Object({
      command: Type.String({ minLength: 1, maxLength: 8, pattern: '^[^\\r\\n]+$' }),
      mode: Type.Union([Type.Literal('timed'), Type.Literal('edge')]),
    }),
    [
      { command: '*IDN?', mode: 'timed' },
      { command: '', mode: 'timed' },
      { command: 'a\nb', mode: 'edge' },
      { command: 'way too long', mode: 'edge' },
      { command: 'x', mode: 'other' },
    ],
  ],
  [
    'lists of choices and of objects',
    Type.Object({
      detectors: Type.Array(Type.Union([Type.Literal('meter.power'), Type.Literal('dmm.voltage')]), {
        minItems: 1,
      }),
      axes: Type.Array(
        Type.Object(
          { motor: Type.String({ minLength: 1 }), num: Type.Integer({ minimum: 1 }) },
          { additionalProperties: false },
        ),
        { minItems: 1 },
      ),
      snake: Type.Boolean(),
    }),
    [
      { detectors: ['meter.power'], axes: [{ motor: 'stage.axis1.position', num: 3 }], snake: false },
      { detectors: [], axes: [{ motor: 'm', num: 3 }], snake: false },
      { detectors: ['camera'], axes: [{ motor: 'm', num: 3 }], snake: true },
      { detectors: ['dmm.voltage'], axes: [], snake: true },
      { detectors: ['dmm.voltage'], axes: [{ motor: 'm', num: 0 }], snake: true },
      { detectors: ['dmm.voltage'], axes: [{ motor: 'm' }], snake: true },
      { detectors: ['dmm.voltage'], axes: [{ motor: 'm', num: 1 }], snake: 'yes' },
    ],
  ],
];

describe('dashboard schema checks match TypeBox', () => {
  for (const [name, schema, values] of SCHEMAS) {
    it(name, () => {
      const json = JSON.parse(JSON.stringify(schema)) as JsonSchema;
      for (const value of values)
        assert.equal(validate(json, value).length === 0, Value.Check(schema, value), JSON.stringify(value));
    });
  }
});

/** The part of a scan's schema that makes start/stop limits follow the chosen motor. */
const SCAN: JsonSchema = {
  type: 'object',
  required: ['motor', 'start', 'num'],
  additionalProperties: false,
  properties: {
    motor: { type: 'string', enum: ['stage.axis1.position', 'laser.wavelength'] },
    start: { type: 'number', 'x-position-of': 'motor' },
    num: { type: 'integer', minimum: 1 },
    positions: { type: 'array', items: { type: 'number' } },
    note: { type: 'string' },
  },
  allOf: [
    {
      if: { properties: { motor: { const: 'stage.axis1.position' } }, required: ['motor'] },
      // biome-ignore lint/suspicious/noThenProperty: `then` is the JSON Schema keyword
      then: { properties: { start: { minimum: -25, maximum: 25, 'x-unit': 'mm' } } },
    },
    {
      if: { properties: { motor: { const: 'laser.wavelength' } }, required: ['motor'] },
      // biome-ignore lint/suspicious/noThenProperty: `then` is the JSON Schema keyword
      then: { properties: { start: { minimum: 690, maximum: 1040, 'x-unit': 'nm' } } },
    },
  ],
};

describe('dashboard plan forms', () => {
  it('holds device names to the enum the plan schema lists (TypeBox does not check a raw enum)', () => {
    const detector: JsonSchema = { type: 'string', minLength: 1, enum: ['meter.power', 'dmm.voltage'] };
    assert.deepEqual(validate(detector, 'meter.power'), []);
    assert.deepEqual(validate(detector, 'camera'), [
      { path: '', message: 'must be one of meter.power, dmm.voltage' },
    ]);
  });

  it('applies the limits of the chosen motor (allOf / if / then)', () => {
    assert.deepEqual(effectiveSchema(SCAN, { motor: 'laser.wavelength' }).properties?.start, {
      type: 'number',
      'x-position-of': 'motor',
      minimum: 690,
      maximum: 1040,
      'x-unit': 'nm',
    });
    assert.equal(effectiveSchema(SCAN, {}).properties?.start?.minimum, undefined);
    assert.deepEqual(validate(SCAN, { motor: 'stage.axis1.position', start: 30, num: 3 }), [
      { path: 'start', message: 'must be ≤ 25 mm' },
    ]);
    assert.deepEqual(validate(SCAN, { motor: 'laser.wavelength', start: 800, num: 3 }), []);
  });

  it('turns drafts into values: numbers parsed, empty optional fields left out, bad text reported', () => {
    const draft = initialDraft(SCAN) as Record<string, Draft>;
    assert.deepEqual(draft, { motor: '', start: '', num: '', positions: '', note: '' });
    assert.equal(fieldKind(SCAN.properties!.positions!), 'number-list');
    assert.deepEqual(
      draftToValue(SCAN, {
        ...draft,
        motor: 'laser.wavelength',
        start: '800',
        num: '5',
        positions: '1, 2;3 4',
      }),
      { value: { motor: 'laser.wavelength', start: 800, num: 5, positions: [1, 2, 3, 4] }, problems: [] },
    );
    assert.deepEqual(
      checkDraft(SCAN, { ...draft, motor: 'laser.wavelength', start: 'eight', num: '5' }).problems,
      [{ path: 'start', message: '"eight" is not a number' }],
    );
    assert.deepEqual(checkDraft(SCAN, draft).problems, [
      { path: 'motor', message: 'is required' },
      { path: 'start', message: 'is required' },
      { path: 'num', message: 'is required' },
    ]);
  });
});
