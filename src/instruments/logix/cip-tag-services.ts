import { malformed, need, u16, u32 } from './cip-bytes.ts';

/** Logix tag services: Read Tag 0x4C, Write Tag 0x4D, Read-Modify-Write 0x4E, Read/Write Tag Fragmented 0x52/0x53. */
export function encodeReadTag(elements: number): Buffer {
  return u16(elements);
}

export function decodeReadTag(data: Buffer): { elements: number } {
  need(data, 2, 'Read Tag');
  return { elements: data.readUInt16LE(0) };
}

export function encodeReadTagFragmented(elements: number, offset: number): Buffer {
  return Buffer.concat([u16(elements), u32(offset)]);
}

export function decodeReadTagFragmented(data: Buffer): { elements: number; offset: number } {
  need(data, 6, 'Read Tag Fragmented');
  return { elements: data.readUInt16LE(0), offset: data.readUInt32LE(2) };
}

/** A read reply: the type code, then the value bytes. */
export function encodeTagValue(typeCode: number, bytes: Buffer): Buffer {
  return Buffer.concat([u16(typeCode), bytes]);
}

export function decodeTagValue(data: Buffer): { typeCode: number; bytes: Buffer } {
  need(data, 2, 'tag value');
  const typeCode = data.readUInt16LE(0);
  // A structure's type is 0x02A0 followed by its 2-byte handle.
  const start = typeCode === 0x02a0 ? 4 : 2;
  need(data, start, 'structure handle');
  return { typeCode, bytes: Buffer.from(data.subarray(start)) };
}

export interface WriteTagData {
  typeCode: number;
  elements: number;
  /** Byte offset, for Write Tag Fragmented only. */
  offset?: number;
  bytes: Buffer;
}

export function encodeWriteTag(w: WriteTagData): Buffer {
  const offset = w.offset === undefined ? Buffer.alloc(0) : u32(w.offset);
  return Buffer.concat([u16(w.typeCode), u16(w.elements), offset, w.bytes]);
}

export function decodeWriteTag(data: Buffer, fragmented: boolean): WriteTagData {
  need(data, fragmented ? 8 : 4, fragmented ? 'Write Tag Fragmented' : 'Write Tag');
  const typeCode = data.readUInt16LE(0);
  // A structure's type is followed by its handle; values start after it.
  const head = (typeCode === 0x02a0 ? 6 : 4) + (fragmented ? 4 : 0);
  need(data, head, 'Write Tag header');
  const elementsAt = typeCode === 0x02a0 ? 4 : 2;
  return {
    typeCode,
    elements: data.readUInt16LE(elementsAt),
    ...(fragmented ? { offset: data.readUInt32LE(elementsAt + 2) } : {}),
    bytes: Buffer.from(data.subarray(head)),
  };
}

/** Read-Modify-Write: mask size (1, 2, 4 or 8 bytes), OR mask, AND mask. */
export function encodeReadModifyWrite(orMask: Buffer, andMask: Buffer): Buffer {
  return Buffer.concat([u16(orMask.length), orMask, andMask]);
}

export function decodeReadModifyWrite(data: Buffer): { orMask: Buffer; andMask: Buffer } {
  need(data, 2, 'Read-Modify-Write');
  const size = data.readUInt16LE(0);
  if (![1, 2, 4, 8].includes(size))
    throw malformed(`Read-Modify-Write mask size ${size} is not 1, 2, 4 or 8`);
  need(data, 2 + size * 2, 'Read-Modify-Write masks');
  return {
    orMask: Buffer.from(data.subarray(2, 2 + size)),
    andMask: Buffer.from(data.subarray(2 + size, 2 + size * 2)),
  };
}
