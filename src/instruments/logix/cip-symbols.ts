import { need } from './cip-bytes.ts';

/**
 * The Symbol object (class 0x6B): the controller's tag list, read with Get Instance Attribute
 * List 0x55 for attributes 1 (name) and 2 (type); 0x06 means continue from the last instance + 1.
 */
export interface SymbolEntry {
  instance: number;
  name: string;
  /** Symbol type word: type code in bits 0–11, array dimensions 13–14, structure bit 15. */
  type: number;
}

export const SYMBOL_CLASS = 0x6b;

export function encodeSymbolListRequest(): Buffer {
  return Buffer.from([0x02, 0x00, 0x01, 0x00, 0x02, 0x00]);
}

export function encodeSymbolEntries(entries: readonly SymbolEntry[]): Buffer {
  return Buffer.concat(
    entries.map((e) => {
      const name = Buffer.from(e.name, 'latin1');
      const out = Buffer.alloc(8 + name.length);
      out.writeUInt32LE(e.instance >>> 0, 0);
      out.writeUInt16LE(name.length, 4);
      name.copy(out, 6);
      out.writeUInt16LE(e.type, 6 + name.length);
      return out;
    }),
  );
}

export function decodeSymbolEntries(data: Buffer): SymbolEntry[] {
  const entries: SymbolEntry[] = [];
  let at = 0;
  while (at < data.length) {
    need(data, at + 6, 'symbol entry');
    const length = data.readUInt16LE(at + 4);
    need(data, at + 8 + length, 'symbol entry name and type');
    entries.push({
      instance: data.readUInt32LE(at),
      name: data.subarray(at + 6, at + 6 + length).toString('latin1'),
      type: data.readUInt16LE(at + 6 + length),
    });
    at += 8 + length;
  }
  return entries;
}

/** Symbol type word for an atomic type code, optionally an array of `dimensions` dimensions. */
export function symbolType(typeCode: number, dimensions = 0): number {
  return (typeCode & 0x0fff) | ((dimensions & 0x3) << 13);
}

export function symbolTypeParts(type: number): { typeCode: number; dimensions: number; structure: boolean } {
  return { typeCode: type & 0x0fff, dimensions: (type >> 13) & 0x3, structure: (type & 0x8000) !== 0 };
}
