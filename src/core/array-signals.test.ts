import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeSignal } from './device.ts';
import { signal } from './device-builder.ts';
import { isBenchtopError } from './errors.ts';
import { checkWrite, parseSignalText, signalValueSchema } from './signal-validation.ts';

const desc = describeSignal(
  'waveform',
  signal<readonly number[]>({
    dtype: 'array',
    shape: [2, 2],
    element: 'integer',
    limits: { min: 0, max: 10 },
    description: 'Four set points',
    read: async () => [0, 0, 0, 0],
    write: async () => undefined,
  }),
);

describe('array signals', () => {
  it('describe their shape and element type', () => {
    assert.deepEqual([desc.dtype, desc.shape, desc.element], ['array', [2, 2], 'integer']);
  });

  it('accept a flat row-major value of the right length, type and range', () => {
    assert.deepEqual(checkWrite('awg', desc, [1, 2, 3, 4]), [1, 2, 3, 4]);
    for (const bad of [[1, 2, 3], [1, 2, 3, 4.5], [1, 2, 3, 11], 'x', [1, 2, 3, '4']]) {
      assert.throws(
        () => checkWrite('awg', desc, bad),
        (e: unknown) => isBenchtopError(e) && e.code === 'VALUE_INVALID' && /4 integers/.test(e.message),
      );
    }
  });

  it('have a value schema with the length and parse command-line text', () => {
    const schema = signalValueSchema(desc);
    assert.equal(schema.type, 'array');
    assert.deepEqual([schema.minItems, schema.maxItems, schema['x-shape']], [4, 4, [2, 2]]);
    assert.deepEqual(parseSignalText(desc, '1,2,3,4'), [1, 2, 3, 4]);
    assert.deepEqual(parseSignalText(desc, '[5, 6, 7, 8]'), [5, 6, 7, 8]);
    assert.equal(parseSignalText(desc, 'nope'), 'nope');
  });
});
