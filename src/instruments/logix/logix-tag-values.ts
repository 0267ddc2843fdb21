import type { SignalValue } from '../../core/device.ts';
import { BenchtopError } from '../../core/errors.ts';
import { type CipValue, cipTypeName, cipValueProblem } from './cip-types.ts';
import type { LogixTagConfig } from './config.ts';

/**
 * Between Benchtop's signal values and st-ethernet-ip's tag values: what a write may send
 * (checked against the CIP type), how a read becomes a signal value (arrays as JSON until the
 * signal model has arrays), bit tags, and the tag list as the driver reports it.
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
  let values: unknown[];
  if (config.elements !== undefined) {
    try {
      const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
      if (!Array.isArray(parsed)) throw new Error('not an array');
      values = parsed;
    } catch {
      throw new BenchtopError(
        'VALUE_INVALID',
        `${id}.${config.name} takes a JSON array of ${config.elements} ${config.type}`,
        {
          signal: config.name,
        },
      );
    }
    if (values.length !== config.elements) {
      throw new BenchtopError(
        'VALUE_INVALID',
        `${id}.${config.name} takes ${config.elements} elements, got ${values.length}`,
        { signal: config.name, elements: config.elements, got: values.length },
      );
    }
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

/** The library's value as a signal value: numbers, booleans, arrays as JSON. */
export function tagSignalValue(config: LogixTagConfig, raw: unknown): SignalValue | undefined {
  if (raw === null || raw === undefined) return undefined;
  const one = (v: unknown): number | boolean => (typeof v === 'bigint' ? Number(v) : (v as number | boolean));
  if (config.elements !== undefined) {
    const list = Array.isArray(raw) ? raw : [raw];
    return JSON.stringify(list.map(one));
  }
  return one(raw);
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
