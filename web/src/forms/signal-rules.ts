import { isBenchtopError } from '../../../src/core/errors.ts';
import { checkWrite, parseSignalText, rangeText } from '../../../src/core/signal-validation.ts';
import type { SignalDescription, SignalValue } from '../api/types.ts';

/**
 * The checks the server makes before writing a signal, made in the browser with the server's
 * own code (src/core/signal-validation.ts), so an invalid value is refused before it is sent
 * with the same code and message the server would give.
 */
export type SignalRuleDescription = Pick<
  SignalDescription,
  'name' | 'dtype' | 'unit' | 'limits' | 'choices' | 'writable' | 'shape' | 'element'
>;

export interface SignalProblem {
  code: 'SIGNAL_READ_ONLY' | 'VALUE_INVALID' | 'VALUE_OUT_OF_RANGE';
  message: string;
}

export function checkSignalValue(
  instrument: string,
  desc: SignalRuleDescription,
  value: unknown,
): SignalProblem | null {
  try {
    checkWrite(
      instrument,
      { readable: true, description: '', monitored: false, completes: false, ...desc },
      value,
    );
    return null;
  } catch (error) {
    if (isBenchtopError(error)) return { code: error.code as SignalProblem['code'], message: error.message };
    throw error;
  }
}

/** What an input's text means for a signal: a number for numeric signals (text that is not one stays text, and is refused). */
export function parseSignalInput(desc: Pick<SignalDescription, 'dtype'>, text: string): SignalValue {
  return parseSignalText(
    {
      name: '',
      readable: true,
      writable: true,
      description: '',
      monitored: false,
      completes: false,
      ...desc,
    },
    text,
  );
}

export function limitsText(desc: Pick<SignalDescription, 'limits' | 'unit'>): string | null {
  const { min, max } = desc.limits ?? {};
  if (min === undefined && max === undefined) return null;
  return rangeText(desc);
}
