import { BenchtopError } from '../../core/errors.ts';

/**
 * CIP elementary data types as Logix controllers use them: the type code a Read Tag reply
 * starts with, the element size, and how values are laid out (little-endian).
 */
export const CipTypeCodes = {
  BOOL: 0xc1,
  SINT: 0xc2,
  INT: 0xc3,
  DINT: 0xc4,
  LINT: 0xc5,
  USINT: 0xc6,
  UINT: 0xc7,
  UDINT: 0xc8,
  REAL: 0xca,
  LREAL: 0xcb,
} as const;

export type CipTypeName = keyof typeof CipTypeCodes;
export const CIP_TYPE_NAMES = Object.keys(CipTypeCodes) as CipTypeName[];

/** A structure's read reply starts with 0x02A0 followed by the structure handle. */
export const CIP_STRUCT_TYPE = 0x02a0;

const SIZES: Record<CipTypeName, number> = {
  BOOL: 1,
  SINT: 1,
  INT: 2,
  DINT: 4,
  LINT: 8,
  USINT: 1,
  UINT: 2,
  UDINT: 4,
  REAL: 4,
  LREAL: 8,
};

/** Integer ranges; LINT's is wider than a JS number holds exactly, so LINT values travel as bigint. */
const INTEGER_RANGES: Partial<Record<CipTypeName, [bigint, bigint]>> = {
  SINT: [-128n, 127n],
  INT: [-32768n, 32767n],
  DINT: [-2147483648n, 2147483647n],
  LINT: [-(2n ** 63n), 2n ** 63n - 1n],
  USINT: [0n, 255n],
  UINT: [0n, 65535n],
  UDINT: [0n, 4294967295n],
};

export type CipValue = number | boolean | bigint;

export function cipTypeName(code: number): CipTypeName | undefined {
  return CIP_TYPE_NAMES.find((name) => CipTypeCodes[name] === code);
}

export function cipTypeSize(type: CipTypeName): number {
  return SIZES[type];
}

export function isIntegerType(type: CipTypeName): boolean {
  return INTEGER_RANGES[type] !== undefined;
}

/** The range a value of the type may take, as numbers (LINT's ends are rounded). */
export function cipTypeLimits(type: CipTypeName): { min: number; max: number } | undefined {
  const range = INTEGER_RANGES[type];
  if (range) return { min: Number(range[0]), max: Number(range[1]) };
  if (type === 'REAL') return { min: -3.4028234663852886e38, max: 3.4028234663852886e38 };
  return undefined;
}

/**
 * Why `value` cannot be stored in `type`, or null when it can. REAL refuses what would
 * overflow to infinity; integers refuse fractions and anything outside the type's range.
 */
export function cipValueProblem(type: CipTypeName, value: CipValue): string | null {
  if (type === 'BOOL')
    return typeof value === 'boolean' ? null : `BOOL takes true or false, got ${String(value)}`;
  if (typeof value === 'boolean') return `${type} takes a number, got ${value}`;
  const range = INTEGER_RANGES[type];
  if (range) {
    if (typeof value === 'number' && !Number.isInteger(value))
      return `${type} takes an integer, got ${value}`;
    const big = BigInt(value);
    if (big < range[0] || big > range[1])
      return `${value} is outside ${type}'s range ${range[0]}..${range[1]}`;
    return null;
  }
  const n = Number(value);
  if (!Number.isFinite(n)) return `${type} takes a finite number, got ${value}`;
  if (type === 'REAL' && Math.abs(n) > 3.4028234663852886e38) return `${value} overflows REAL`;
  return null;
}

/** Encodes values of one type back to back (an array's elements, or one value). */
export function encodeCipValues(type: CipTypeName, values: readonly CipValue[]): Buffer {
  const size = SIZES[type];
  const out = Buffer.alloc(size * values.length);
  values.forEach((value, i) => {
    writeOne(out, type, i * size, value);
  });
  return out;
}

/** Decodes `count` values (default: as many as the buffer holds). */
export function decodeCipValues(type: CipTypeName, data: Buffer, count?: number): CipValue[] {
  const size = SIZES[type];
  const n = count ?? Math.floor(data.length / size);
  if (data.length < n * size) {
    throw new BenchtopError(
      'PROTOCOL_ERROR',
      `CIP ${type}: ${n} values need ${n * size} bytes, got ${data.length}`,
      { type, count: n, bytes: data.length },
    );
  }
  const values: CipValue[] = [];
  for (let i = 0; i < n; i++) values.push(readOne(data, type, i * size));
  return values;
}

function writeOne(out: Buffer, type: CipTypeName, at: number, value: CipValue): void {
  switch (type) {
    case 'BOOL':
      // Logix stores a true BOOL as 0xFF; readers take any non-zero byte as true.
      out.writeUInt8(value === true || (typeof value !== 'boolean' && Number(value) !== 0) ? 0xff : 0, at);
      return;
    case 'SINT':
      out.writeInt8(Number(value), at);
      return;
    case 'USINT':
      out.writeUInt8(Number(value), at);
      return;
    case 'INT':
      out.writeInt16LE(Number(value), at);
      return;
    case 'UINT':
      out.writeUInt16LE(Number(value), at);
      return;
    case 'DINT':
      out.writeInt32LE(Number(value), at);
      return;
    case 'UDINT':
      out.writeUInt32LE(Number(value), at);
      return;
    case 'LINT':
      out.writeBigInt64LE(BigInt(value), at);
      return;
    case 'REAL':
      out.writeFloatLE(Number(value), at);
      return;
    case 'LREAL':
      out.writeDoubleLE(Number(value), at);
      return;
  }
}

function readOne(data: Buffer, type: CipTypeName, at: number): CipValue {
  switch (type) {
    case 'BOOL':
      return data.readUInt8(at) !== 0;
    case 'SINT':
      return data.readInt8(at);
    case 'USINT':
      return data.readUInt8(at);
    case 'INT':
      return data.readInt16LE(at);
    case 'UINT':
      return data.readUInt16LE(at);
    case 'DINT':
      return data.readInt32LE(at);
    case 'UDINT':
      return data.readUInt32LE(at);
    case 'LINT':
      return data.readBigInt64LE(at);
    case 'REAL':
      return data.readFloatLE(at);
    case 'LREAL':
      return data.readDoubleLE(at);
  }
}
