import type { SignalValue } from '../../core/device.ts';
import { BenchtopError } from '../../core/errors.ts';
import { type CipValue, cipTypeName, cipValueProblem } from './cip-types.ts';
import type { LogixTagConfig } from './config.ts';

/**
 * Between Benchtop's signal values and st-ethernet-ip's tag values: what a write may send
 * (checked against the CIP type), how a read becomes a signal value (an array tag is an `array`
 * signal: its elements flat, BOOL elements as 0/1), bit tags, and the tag list as the driver
 * reports it.
 */

/** A controller tag as the tag list (symbol class 0x6B) reports it. */
export interface DiscoveredTag {
  name: string;
  /** CIP type name, or `STRUCT` / the hex code for types this driver does not read. */
  type: string;
  /** Array dimensions, 0 for a scalar. */
  dimensions: number;
}

/** Integer types a bit tag may be a bit of. */
export const BIT_TYPES = ['SINT', 'INT', 'DINT'];

/** `Flags.3`: bit 3 of an integer tag, a BOOL signal written with Read-Modify-Write (0x4E). */
export function isBitTag(name: string): boolean {
  const parts = name.split('.');
  return parts.length > 1 && /^\d{1,2}$/.test(parts[parts.length - 1]!);
}

/** A value Benchtop may send: the type's range, an array's length and element types. */
export function checkedTagValues(id: string, config: LogixTagConfig, value: SignalValue): CipValue[] {
  let values: readonly unknown[];
  if (config.elements !== undefined) {
    if (!Array.isArray(value)) {
      throw new BenchtopError(
        'VALUE_INVALID',
        `${id}.${config.name} takes an array of ${config.elements} ${config.type}`,
        { signal: config.name },
      );
    }
    values = value;
    if (values.length !== config.elements) {
      throw new BenchtopError(
        'VALUE_INVALID',
        `${id}.${config.name} takes ${config.elements} elements, got ${values.length}`,
        { signal: config.name, elements: config.elements, got: values.length },
      );
    }
    // Array signals hold numbers: a BOOL array's elements travel as 0/1.
    if (config.type === 'BOOL') values = values.map((v) => (v === 0 ? false : v === 1 ? true : v));
  } else {
    values = [value];
  }
  return values.map((v, i) => {
    if (typeof v !== 'number' && typeof v !== 'boolean') {
      throw new BenchtopError(
        'VALUE_INVALID',
        `${id}.${config.name}: ${JSON.stringify(v)} is not a ${config.type}`,
      );
    }
    const problem = cipValueProblem(config.type, v);
    if (problem) {
      const code =
        typeof v === 'number' && (config.type === 'BOOL' || !Number.isInteger(v))
          ? 'VALUE_INVALID'
          : 'VALUE_OUT_OF_RANGE';
      const at = config.elements === undefined ? '' : `[${i}]`;
      throw new BenchtopError(code, `${id}.${config.name}${at}: ${problem}`, {
        signal: config.name,
        value: v,
        type: config.type,
      });
    }
    return config.type === 'LINT' ? BigInt(v as number) : v;
  });
}

/** The library's value as a signal value: numbers, booleans; an array tag's elements as numbers. */
export function tagSignalValue(config: LogixTagConfig, raw: unknown): SignalValue | undefined {
  if (raw === null || raw === undefined) return undefined;
  const one = (v: unknown): number | boolean => (typeof v === 'bigint' ? Number(v) : (v as number | boolean));
  if (config.elements !== undefined) {
    const list = Array.isArray(raw) ? raw : [raw];
    return list.map((v) => Number(one(v)));
  }
  return one(raw);
}

/** Two signal values alike (arrays element by element), so a scan publishes only changes. */
export function sameSignalValue(a: SignalValue | undefined, b: SignalValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

export function describeListed(
  tags: readonly {
    name: string;
    program: string | null;
    type: { code: number; structure: boolean; arrayDims: number; reserved: boolean };
  }[],
): DiscoveredTag[] {
  return tags
    .filter((t) => !t.type.reserved)
    .map((t) => ({
      name: t.program ? `Program:${t.program}.${t.name}` : t.name,
      type: t.type.structure ? 'STRUCT' : (cipTypeName(t.type.code) ?? `0x${t.type.code.toString(16)}`),
      dimensions: t.type.arrayDims,
    }));
}
