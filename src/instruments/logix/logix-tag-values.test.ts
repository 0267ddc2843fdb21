import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBenchtopError } from '../../core/errors.ts';
import {
  checkedTagValues,
  describeListed,
  isBitTag,
  sameSignalValue,
  tagSignalValue,
} from './logix-tag-values.ts';

describe('Logix tag values', () => {
  it('checks writes against the CIP type: ranges, whole numbers, BOOL, LINT as bigint', () => {
    assert.deepEqual(checkedTagValues('plc', { name: 'A', type: 'DINT', writable: true }, -5), [-5]);
    assert.deepEqual(checkedTagValues('plc', { name: 'R', type: 'LINT', writable: true }, 2 ** 40), [
      2n ** 40n,
    ]);
    const refuse = (type: 'SINT' | 'LINT' | 'INT' | 'BOOL', value: number | boolean, code: string) =>
      assert.throws(
        () => checkedTagValues('plc', { name: 'T', type, writable: true }, value),
        (e) => isBenchtopError(e) && e.code === code,
        `${type} ${value}`,
      );
    refuse('SINT', 128, 'VALUE_OUT_OF_RANGE');
    refuse('LINT', 2 ** 63, 'VALUE_OUT_OF_RANGE');
    refuse('INT', 0.5, 'VALUE_INVALID');
    refuse('BOOL', 1, 'VALUE_INVALID');
  });

  it('takes arrays of exactly `elements` values and names the bad element', () => {
    const temps = { name: 'Temps', type: 'REAL' as const, writable: true, elements: 3 };
    assert.deepEqual(checkedTagValues('plc', temps, [1, 2.5, -3]), [1, 2.5, -3]);
    assert.throws(() => checkedTagValues('plc', temps, [1, 2]), /takes 3 elements, got 2/);
    assert.throws(() => checkedTagValues('plc', temps, '[1, 2.5, -3]'), /takes an array of 3 REAL/);
    assert.throws(() => checkedTagValues('plc', temps, [1, 1e39, 3]), /Temps\[1\]: 1e\+39 overflows REAL/);
    const flags = { name: 'Bits', type: 'BOOL' as const, writable: true, elements: 3 };
    assert.deepEqual(checkedTagValues('plc', flags, [1, 0, 1]), [true, false, true]);
    assert.throws(() => checkedTagValues('plc', flags, [1, 2, 0]), /Bits\[1\]: BOOL takes true or false/);
  });

  it('turns library values into signal values and knows bit tags', () => {
    assert.equal(tagSignalValue({ name: 'L', type: 'LINT', writable: false }, 12n), 12);
    assert.deepEqual(
      tagSignalValue({ name: 'T', type: 'REAL', writable: false, elements: 2 }, [1.5, 2]),
      [1.5, 2],
    );
    assert.deepEqual(
      tagSignalValue({ name: 'B', type: 'BOOL', writable: false, elements: 2 }, [true, false]),
      [1, 0],
    );
    assert.equal(sameSignalValue([1, 2], [1, 2]), true);
    assert.equal(sameSignalValue([1, 2], [1, 3]), false);
    assert.equal(sameSignalValue(undefined, [1]), false);
    assert.equal(tagSignalValue({ name: 'D', type: 'DINT', writable: false }, null), undefined);
    assert.equal(isBitTag('Flags.3'), true);
    assert.equal(isBitTag('Program:Main.Flags.31'), true);
    assert.equal(isBitTag('Line.State'), false);
    assert.equal(isBitTag('Temps[3]'), false);
    assert.deepEqual(
      describeListed([
        {
          name: 'Speed',
          program: 'Main',
          type: { code: 0xca, structure: false, arrayDims: 0, reserved: false },
        },
        {
          name: '__sys',
          program: null,
          type: { code: 0xc4, structure: false, arrayDims: 0, reserved: true },
        },
        {
          name: 'Line',
          program: null,
          type: { code: 0xf12, structure: true, arrayDims: 0, reserved: false },
        },
      ]),
      [
        { name: 'Program:Main.Speed', type: 'REAL', dimensions: 0 },
        { name: 'Line', type: 'STRUCT', dimensions: 0 },
      ],
    );
  });
});
