/**
 * Typed values in Modbus registers. 32-bit values take two registers; which comes first is
 * not in the specification, so it is configured: `high_first` (ABCD) or `low_first` (CDAB,
 * the ALD tool's "badc": 1.0f is [0x0000, 0x3F80]).
 */
export const POINT_TYPES = ['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32'] as const;
export type PointType = (typeof POINT_TYPES)[number];
export const WORD_ORDERS = ['high_first', 'low_first'] as const;
export type WordOrder = (typeof WORD_ORDERS)[number];

/** Registers a value of this type occupies (a bool in a register table takes one). */
export const registerCount = (type: PointType): number =>
  type === 'int32' || type === 'uint32' || type === 'float32' ? 2 : 1;

const scratch = Buffer.alloc(4);

/** The value in `words` from index `at` (a bulk read's reply decodes in place, no copy per point). */
export function decodeRegisters(type: PointType, words: readonly number[], order: WordOrder, at = 0): number {
  if (registerCount(type) === 1) {
    const w = words[at]! & 0xffff;
    if (type === 'int16') return w >= 0x8000 ? w - 0x10000 : w;
    if (type === 'bool') return w === 0 ? 0 : 1;
    return w;
  }
  const first = words[at]! & 0xffff;
  const second = words[at + 1]! & 0xffff;
  scratch.writeUInt16BE(order === 'high_first' ? first : second, 0);
  scratch.writeUInt16BE(order === 'high_first' ? second : first, 2);
  if (type === 'float32') return scratch.readFloatBE(0);
  return type === 'int32' ? scratch.readInt32BE(0) : scratch.readUInt32BE(0);
}

/** The registers for `value`; integers must already be whole and in range (the caller checks). */
export function encodeRegisters(type: PointType, value: number, order: WordOrder): number[] {
  switch (type) {
    case 'bool':
      return [value ? 1 : 0];
    case 'int16':
    case 'uint16':
      return [value & 0xffff];
    case 'float32':
      scratch.writeFloatBE(value, 0);
      break;
    case 'int32':
      scratch.writeInt32BE(value, 0);
      break;
    case 'uint32':
      scratch.writeUInt32BE(value, 0);
      break;
  }
  const high = scratch.readUInt16BE(0);
  const low = scratch.readUInt16BE(2);
  return order === 'high_first' ? [high, low] : [low, high];
}

/** The integer range a type can hold, for refusing a write before it is sent. */
export function typeRange(type: PointType): { min: number; max: number } | null {
  switch (type) {
    case 'int16':
      return { min: -32768, max: 32767 };
    case 'uint16':
      return { min: 0, max: 65535 };
    case 'int32':
      return { min: -2147483648, max: 2147483647 };
    case 'uint32':
      return { min: 0, max: 4294967295 };
    default:
      return null;
  }
}
