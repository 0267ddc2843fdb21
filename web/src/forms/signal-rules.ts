import type { SignalDescription, SignalValue } from '../api/types.ts';

/**
 * The checks the server makes before writing a signal (src/core/signal-validation.ts
 * `checkWrite`), made in the browser so an invalid value is refused before it is sent. The
 * messages match the server's; test/e2e/signal-rules.test.ts keeps the two in step.
 */
export type SignalRuleDescription = Pick<
  SignalDescription,
  'name' | 'dtype' | 'unit' | 'limits' | 'choices' | 'writable'
>;

export interface SignalProblem {
  code: 'SIGNAL_READ_ONLY' | 'VALUE_INVALID' | 'VALUE_OUT_OF_RANGE';
  message: string;
}

function rangeText(desc: SignalRuleDescription): string {
  const { min, max } = desc.limits ?? {};
  const unit = desc.unit ? ` ${desc.unit}` : '';
  if (min !== undefined && max !== undefined) return `${min}..${max}${unit}`;
  if (min !== undefined) return `>= ${min}${unit}`;
  if (max !== undefined) return `<= ${max}${unit}`;
  return 'any';
}

export function checkSignalValue(
  instrument: string,
  desc: SignalRuleDescription,
  value: unknown,
): SignalProblem | null {
  const where = `${instrument}.${desc.name}`;
  if (!desc.writable) return { code: 'SIGNAL_READ_ONLY', message: `${where} is read-only` };
  const invalid = (expected: string): SignalProblem => ({
    code: 'VALUE_INVALID',
    message: `${where}: expected ${expected}, got ${JSON.stringify(value)}`,
  });
  switch (desc.dtype) {
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value))
        return invalid(desc.dtype === 'integer' ? 'an integer' : 'a number');
      if (desc.dtype === 'integer' && !Number.isInteger(value)) return invalid('an integer');
      const { min, max } = desc.limits ?? {};
      if ((min !== undefined && value < min) || (max !== undefined && value > max))
        return {
          code: 'VALUE_OUT_OF_RANGE',
          message: `${where}: ${value}${desc.unit ? ` ${desc.unit}` : ''} is out of range (allowed ${rangeText(desc)})`,
        };
      return null;
    }
    case 'boolean':
      return typeof value === 'boolean' ? null : invalid('true or false');
    case 'enum':
      return typeof value === 'string' && desc.choices?.includes(value)
        ? null
        : invalid(`one of ${(desc.choices ?? []).map((c) => JSON.stringify(c)).join(', ')}`);
    case 'string':
      return typeof value === 'string' ? null : invalid('a string');
  }
}

/** What an input's text means for a signal: a number for numeric signals (text that is not one stays text, and is refused). */
export function parseSignalInput(desc: Pick<SignalDescription, 'dtype'>, text: string): SignalValue {
  if (desc.dtype === 'number' || desc.dtype === 'integer') {
    const trimmed = text.trim();
    const n = Number(trimmed);
    return trimmed === '' || Number.isNaN(n) ? text : n;
  }
  return text;
}

export function limitsText(desc: Pick<SignalDescription, 'limits' | 'unit'>): string | null {
  const { min, max } = desc.limits ?? {};
  if (min === undefined && max === undefined) return null;
  return rangeText({ name: '', dtype: 'number', writable: true, ...desc });
}
