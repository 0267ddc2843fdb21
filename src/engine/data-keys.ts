import type { SignalDescription } from '../core/device.ts';
import type { DataKey } from '../core/documents.ts';

const NUMPY: Record<Exclude<SignalDescription['dtype'], 'array'>, string> = {
  number: '<f8',
  integer: '<i8',
  boolean: '|b1',
  string: '|O',
  enum: '|O',
};

/**
 * A signal's data key, straight from its description: dtype, shape (an `array` signal's own,
 * stored inline in the events), unit, precision, limits, choices.
 */
export function signalDataKey(path: string, desc: SignalDescription): DataKey {
  const { min, max } = desc.limits ?? {};
  const array = desc.dtype === 'array';
  return {
    dtype: desc.dtype === 'enum' ? 'string' : desc.dtype,
    shape: array ? [...(desc.shape ?? [])] : [],
    source: path,
    dtype_numpy: array
      ? NUMPY[desc.element ?? 'number']
      : NUMPY[desc.dtype as Exclude<typeof desc.dtype, 'array'>],
    ...(desc.unit !== undefined ? { units: desc.unit } : {}),
    ...(desc.precision !== undefined ? { precision: desc.precision } : {}),
    ...(min !== undefined || max !== undefined
      ? {
          limits: {
            control: {
              ...(min !== undefined ? { low: min } : {}),
              ...(max !== undefined ? { high: max } : {}),
            },
          },
        }
      : {}),
    ...(desc.choices ? { choices: [...desc.choices] } : {}),
  };
}

/**
 * A camera's frames: a uint16 array stored outside the events (`STREAM:`), [height, width] or,
 * for RGB, [height, width, 3].
 */
export function frameDataKey(camera: string, height: number, width: number, channels: 1 | 3 = 1): DataKey {
  return {
    dtype: 'array',
    shape: channels === 3 ? [height, width, 3] : [height, width],
    source: `${camera}.frames`,
    dtype_numpy: '<u2',
    external: 'STREAM:',
  };
}
