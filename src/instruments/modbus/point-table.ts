import type { ModbusPlcConfig, ModbusPointConfig, ModbusTable } from './config.ts';
import { LIMITS } from './modbus-pdu.ts';
import { type PointType, registerCount } from './register-values.ts';

/** One configured point: a signal backed by a coil, a discrete input or register(s). */
export interface Point {
  readonly name: string;
  readonly table: ModbusTable;
  readonly type: PointType;
  /** Where writes go (and what is read when there is no read_address). */
  readonly address: number;
  /** Where the value is read. */
  readonly readAddress: number;
  /** Bits (coil, discrete) or registers it spans. */
  readonly width: number;
  readonly writable: boolean;
  readonly unit?: string;
  readonly description?: string;
  readonly min?: number;
  readonly max?: number;
  readonly tolerance?: number;
  /** Linear raw → engineering scaling, or null. */
  readonly scale: { raw: [number, number]; eng: [number, number] } | null;
}

export const isBitTable = (table: ModbusTable) => table === 'coil' || table === 'discrete';

export function toPoint(c: ModbusPointConfig): Point {
  const type = c.type ?? 'float32';
  return {
    name: c.name,
    table: c.table,
    type,
    address: c.address,
    readAddress: c.read_address ?? c.address,
    width: isBitTable(c.table) ? 1 : registerCount(type),
    writable: c.writable === true,
    ...(c.unit !== undefined ? { unit: c.unit } : {}),
    ...(c.description !== undefined ? { description: c.description } : {}),
    ...(c.min !== undefined ? { min: c.min } : {}),
    ...(c.max !== undefined ? { max: c.max } : {}),
    ...(c.tolerance !== undefined ? { tolerance: c.tolerance } : {}),
    scale: c.raw_range && c.range ? { raw: c.raw_range, eng: c.range } : null,
  };
}

export const rawToEngineering = (p: Point, raw: number): number => {
  if (!p.scale) return raw;
  const [r0, r1] = p.scale.raw;
  const [e0, e1] = p.scale.eng;
  return e0 + ((raw - r0) * (e1 - e0)) / (r1 - r0);
};

export const engineeringToRaw = (p: Point, value: number): number => {
  if (!p.scale) return value;
  const [r0, r1] = p.scale.raw;
  const [e0, e1] = p.scale.eng;
  return r0 + ((value - e0) * (r1 - r0)) / (e1 - e0);
};

interface Issue {
  path: (string | number)[];
  message: string;
}

interface Span {
  index: number;
  key: 'address' | 'read_address';
  table: ModbusTable;
  start: number;
  width: number;
  type: PointType;
}

/**
 * Problems a schema cannot see, each at the point's line: overlapping registers of different
 * types, a 32-bit value that does not fit, `writable` on a read-only table, scaling that
 * cannot be inverted, duplicate names. Wired as the schema's `configChecks`.
 */
export function pointTableIssues(value: unknown): Issue[] {
  const config = value as Partial<ModbusPlcConfig>;
  const points = Array.isArray(config.points) ? config.points : [];
  const issues: Issue[] = [];
  const names = new Map<string, number>();
  const spans: Span[] = [];
  points.forEach((c, i) => {
    const at = (key: string) => ['points', i, key];
    const first = names.get(c.name);
    if (first !== undefined)
      issues.push({ path: at('name'), message: `duplicate point "${c.name}" (also points[${first}])` });
    else names.set(c.name, i);
    const p = toPoint(c);
    if (c.writable && (c.table === 'discrete' || c.table === 'input'))
      issues.push({
        path: at('writable'),
        message: `${c.table === 'discrete' ? 'a discrete input' : 'an input register'} cannot be written; only coil and holding points can be writable`,
      });
    if (isBitTable(c.table) && p.type !== 'bool')
      issues.push({
        path: at('type'),
        message: `a ${c.table} holds one bit: type must be "bool", got "${p.type}"`,
      });
    for (const key of ['address', 'read_address'] as const) {
      const start = key === 'address' ? p.address : p.readAddress;
      if (key === 'read_address' && c.read_address === undefined) continue;
      if (start + p.width > 65536)
        issues.push({
          path: at(key),
          message: `a ${p.type} takes ${p.width} registers: ${start} leaves only ${65536 - start} (the last address is 65535)`,
        });
      spans.push({ index: i, key, table: p.table, start, width: p.width, type: p.type });
    }
    if (c.min !== undefined && c.max !== undefined && c.min > c.max)
      issues.push({ path: at('min'), message: `min ${c.min} is above max ${c.max}` });
    if ((c.raw_range === undefined) !== (c.range === undefined))
      issues.push({
        path: at(c.raw_range ? 'raw_range' : 'range'),
        message: 'raw_range and range go together',
      });
    if (c.raw_range && c.raw_range[0] === c.raw_range[1])
      issues.push({ path: at('raw_range'), message: 'raw_range must span a non-zero interval' });
    if (c.range && c.range[0] === c.range[1])
      issues.push({ path: at('range'), message: 'range must span a non-zero interval' });
    if (c.raw_range && p.type === 'bool')
      issues.push({ path: at('raw_range'), message: 'a bool cannot be scaled' });
  });
  // Two points may share registers only as exact aliases (same start, same type).
  spans.sort((a, b) => a.table.localeCompare(b.table) || a.start - b.start);
  for (let i = 0; i < spans.length; i++) {
    for (let j = i + 1; j < spans.length; j++) {
      const a = spans[i]!;
      const b = spans[j]!;
      if (b.table !== a.table || b.start >= a.start + a.width) break;
      if (a.start === b.start && a.type === b.type) continue;
      const later = a.index > b.index ? a : b;
      const earlier = later === a ? b : a;
      const name = (s: Span) => points[s.index]!.name;
      issues.push({
        path: ['points', later.index, later.key],
        message: `${later.table} ${later.start}–${later.start + later.width - 1} (${later.type} "${name(later)}") overlaps ${earlier.start}–${earlier.start + earlier.width - 1} (${earlier.type} "${name(earlier)}", points[${earlier.index}])`,
      });
    }
  }
  return issues;
}

/** One request of a bulk read: a contiguous range covering some points. */
export interface ReadBlock {
  table: ModbusTable;
  start: number;
  quantity: number;
  points: Point[];
}

/**
 * Merges the points' read ranges into the fewest requests the protocol allows: per table,
 * sorted by address, a point joins the block before it when the unused gap is at most
 * `maxGap` and the block stays within 2000 bits or 125 registers.
 */
export function planReads(points: readonly Point[], maxGap: number): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  for (const table of ['coil', 'discrete', 'holding', 'input'] as const) {
    const limit = isBitTable(table) ? LIMITS.readBits : LIMITS.readRegisters;
    const sorted = points.filter((p) => p.table === table).sort((a, b) => a.readAddress - b.readAddress);
    let block: ReadBlock | null = null;
    for (const p of sorted) {
      const end = p.readAddress + p.width;
      if (block) {
        const blockEnd = block.start + block.quantity;
        if (p.readAddress - blockEnd <= maxGap && Math.max(end, blockEnd) - block.start <= limit) {
          block.quantity = Math.max(end, blockEnd) - block.start;
          block.points.push(p);
          continue;
        }
      }
      block = { table, start: p.readAddress, quantity: p.width, points: [p] };
      blocks.push(block);
    }
  }
  return blocks;
}
