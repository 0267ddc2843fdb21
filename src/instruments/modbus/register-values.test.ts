import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeRegisters, encodeRegisters } from './register-values.ts';

describe('register values', () => {
  it('puts 1.0f as [0x0000, 0x3F80] low word first and [0x3F80, 0x0000] high word first', () => {
    assert.deepEqual(encodeRegisters('float32', 1, 'low_first'), [0x0000, 0x3f80]);
    assert.deepEqual(encodeRegisters('float32', 1, 'high_first'), [0x3f80, 0x0000]);
    assert.equal(decodeRegisters('float32', [0x0000, 0x3f80], 'low_first'), 1);
    assert.equal(decodeRegisters('float32', [0x0000, 0x3f80], 'high_first'), 2.2779507836064226e-41);
  });

  it('round-trips signed and unsigned integers at their extremes in both orders', () => {
    for (const order of ['low_first', 'high_first'] as const) {
      for (const [type, v] of [
        ['int16', -32768],
        ['int16', 32767],
        ['uint16', 65535],
        ['int32', -2147483648],
        ['int32', 123456789],
        ['uint32', 4294967295],
        ['float32', -1234.5],
      ] as const) {
        assert.equal(
          decodeRegisters(type, encodeRegisters(type, v, order), order),
          v,
          `${type} ${v} ${order}`,
        );
      }
    }
    assert.deepEqual(encodeRegisters('int32', -2, 'high_first'), [0xffff, 0xfffe]);
    assert.deepEqual(encodeRegisters('int32', 0x12345678, 'low_first'), [0x5678, 0x1234]);
  });
});
