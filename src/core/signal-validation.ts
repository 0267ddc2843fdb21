import { type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { ActionDescription, SignalDescription, SignalValue } from './device-description.ts';
import { BenchtopError } from './errors.ts';

export { parseSignalText } from './signal-text.ts';

/** `690..1040 nm`, `>= 0 s`, or `any`. */
export function rangeText(desc: Pick<SignalDescription, 'limits' | 'unit'>): string {
  const { min, max } = desc.limits ?? {};
  const unit = desc.unit ? ` ${desc.unit}` : '';
  if (min !== undefined && max !== undefined) return `${min}..${max}${unit}`;
  if (min !== undefined) return `>= ${min}${unit}`;
  if (max !== undefined) return `<= ${max}${unit}`;
  return 'any';
}

/** A short text for a value in an error message; never throws, whatever its depth or size. */
function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Array.isArray(value) ? '[deeply nested array]' : '[unserialisable value]';
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Checks a value against a signal's description before any byte is sent. Errors name the
 * instrument, the signal, the value and what is allowed.
 */
export function checkWrite(instrument: string, desc: SignalDescription, value: unknown): SignalValue {
  const where = `${instrument}.${desc.name}`;
  if (!desc.writable) {
    throw new BenchtopError('SIGNAL_READ_ONLY', `${where} is read-only`, { instrument, signal: desc.name });
  }
  const invalid = (expected: string) => {
    const shown = preview(value);
    return new BenchtopError('VALUE_INVALID', `${where}: expected ${expected}, got ${shown}`, {
      instrument,
      signal: desc.name,
      // A rejected value may be anything a client sent (a million nested arrays): echo a preview.
      value: typeof value === 'object' && value !== null ? shown : value,
      expected,
    });
  };
  switch (desc.dtype) {
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value))
        throw invalid(desc.dtype === 'integer' ? 'an integer' : 'a number');
      if (desc.dtype === 'integer' && !Number.isInteger(value)) throw invalid('an integer');
      const { min, max } = desc.limits ?? {};
      if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
        throw new BenchtopError(
          'VALUE_OUT_OF_RANGE',
          `${where}: ${value}${desc.unit ? ` ${desc.unit}` : ''} is out of range (allowed ${rangeText(desc)})`,
          { instrument, signal: desc.name, value, min, max, unit: desc.unit },
        );
      }
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw invalid('true or false');
      return value;
    case 'enum':
      if (typeof value !== 'string' || !desc.choices?.includes(value)) {
        throw invalid(`one of ${(desc.choices ?? []).map((c) => JSON.stringify(c)).join(', ')}`);
      }
      return value;
    case 'string':
      if (typeof value !== 'string') throw invalid('a string');
      return value;
    case 'array':
      return checkArray(desc, value, invalid);
  }
}

/** Elements one `array` signal holds: the product of its shape. */
export function arrayLength(desc: Pick<SignalDescription, 'shape'>): number {
  return (desc.shape ?? []).reduce((a, b) => a * b, 1);
}

function checkArray(desc: SignalDescription, value: unknown, invalid: (expected: string) => Error): number[] {
  const length = arrayLength(desc);
  const integer = desc.element === 'integer';
  const expected = `${length} ${integer ? 'integers' : 'numbers'} (shape ${JSON.stringify(desc.shape ?? [])}, row-major)`;
  if (!Array.isArray(value) || value.length !== length) throw invalid(expected);
  const { min, max } = desc.limits ?? {};
  for (const v of value) {
    if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)))
      throw invalid(expected);
    if ((min !== undefined && v < min) || (max !== undefined && v > max)) {
      throw invalid(`${expected} within ${rangeText(desc)}`);
    }
  }
  return [...value];
}

/** JSON Schema of a signal's value: the API validates PUT bodies and the UI builds inputs from it. */
export function signalValueSchema(desc: SignalDescription): TSchema {
  const common = { description: desc.description, ...(desc.unit ? { unit: desc.unit } : {}) };
  switch (desc.dtype) {
    case 'number':
      return Type.Number({
        ...common,
        ...(desc.limits?.min !== undefined ? { minimum: desc.limits.min } : {}),
        ...(desc.limits?.max !== undefined ? { maximum: desc.limits.max } : {}),
      });
    case 'integer':
      return Type.Integer({
        ...common,
        ...(desc.limits?.min !== undefined ? { minimum: desc.limits.min } : {}),
        ...(desc.limits?.max !== undefined ? { maximum: desc.limits.max } : {}),
      });
    case 'boolean':
      return Type.Boolean(common);
    case 'enum':
      return Type.Union(
        (desc.choices ?? []).map((c) => Type.Literal(c)),
        common,
      );
    case 'string':
      return Type.String(common);
    case 'array': {
      const element = desc.element === 'integer' ? Type.Integer() : Type.Number();
      const length = arrayLength(desc);
      return Type.Array(element, {
        ...common,
        minItems: length,
        maxItems: length,
        'x-shape': desc.shape ?? [],
      });
    }
  }
}

/** Checks action arguments against the action's schema; every problem is listed. */
export function checkActionArgs(
  instrument: string,
  action: ActionDescription,
  args: unknown,
): Record<string, unknown> {
  const value = Value.Default(action.args, structuredClone(args ?? {}));
  const errors = [...Value.Errors(action.args, value)];
  if (errors.length > 0) {
    throw new BenchtopError(
      'VALIDATION_FAILED',
      `${instrument}.${action.name}: invalid arguments: ${errors.map((e) => `${e.path || '/'} ${e.message}`).join('; ')}`,
      {
        instrument,
        action: action.name,
        errors: errors.map((e) => ({ path: e.path, message: e.message, value: e.value })),
      },
    );
  }
  return value as Record<string, unknown>;
}
