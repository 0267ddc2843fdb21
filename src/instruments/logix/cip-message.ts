import { BenchtopError } from '../../core/errors.ts';

/**
 * CIP Message Router requests and replies (Vol. 1, 2-4) and the services a Logix controller
 * answers. A request is `service, path size in words, path, data`; a reply is
 * `service | 0x80, 0, general status, extended status size in words, [extended], data`.
 */
export const CipServices = {
  GetAttributeAll: 0x01,
  GetAttributeSingle: 0x0e,
  MultipleServicePacket: 0x0a,
  ReadTag: 0x4c,
  WriteTag: 0x4d,
  /** Read-Modify-Write Tag on a tag path; Forward Close on the Connection Manager's path. */
  ReadModifyWrite: 0x4e,
  ForwardClose: 0x4e,
  /** Read Tag Fragmented on a tag path; Unconnected Send on the Connection Manager's path. */
  ReadTagFragmented: 0x52,
  UnconnectedSend: 0x52,
  WriteTagFragmented: 0x53,
  ForwardOpen: 0x54,
  GetInstanceAttributeList: 0x55,
} as const;

export const CipStatus = {
  Success: 0x00,
  ConnectionFailure: 0x01,
  /** Logix answers an unknown tag with "path segment error". */
  PathSegmentError: 0x04,
  PathDestinationUnknown: 0x05,
  /** More data than fits: continue (symbol list from the last instance + 1, fragmented reads from the offset). */
  PartialTransfer: 0x06,
  ServiceNotSupported: 0x08,
  InvalidAttributeValue: 0x09,
  NotEnoughData: 0x13,
  TooMuchData: 0x15,
  EmbeddedServiceError: 0x1e,
  InvalidParameter: 0x20,
  GeneralError: 0xff,
} as const;

/** Extended status with 0xFF: the written type does not match the tag's (Logix 0x2107). */
export const EXT_TYPE_MISMATCH = 0x2107;

export const CONNECTION_MANAGER_PATH = Buffer.from([0x20, 0x06, 0x24, 0x01]);
export const IDENTITY_PATH = Buffer.from([0x20, 0x01, 0x24, 0x01]);
export const MESSAGE_ROUTER_PATH = Buffer.from([0x20, 0x02, 0x24, 0x01]);

export interface CipRequest {
  service: number;
  /** The raw EPATH (decode it with decodePath). */
  path: Buffer;
  data: Buffer;
}

export interface CipReply {
  /** The request's service (the 0x80 reply bit removed). */
  service: number;
  status: number;
  extended: number[];
  data: Buffer;
}

export function encodeRequest(service: number, path: Buffer, data: Buffer = Buffer.alloc(0)): Buffer {
  const padded = path.length % 2 === 1 ? Buffer.concat([path, Buffer.alloc(1)]) : path;
  return Buffer.concat([Buffer.from([service, padded.length / 2]), padded, data]);
}

export function decodeRequest(message: Buffer): CipRequest {
  need(message, 2, 'CIP request');
  const words = message.readUInt8(1);
  need(message, 2 + words * 2, 'CIP request path');
  return {
    service: message.readUInt8(0),
    path: Buffer.from(message.subarray(2, 2 + words * 2)),
    data: Buffer.from(message.subarray(2 + words * 2)),
  };
}

export function encodeReply(reply: Partial<CipReply> & { service: number }): Buffer {
  const extended = reply.extended ?? [];
  const head = Buffer.alloc(4 + extended.length * 2);
  head.writeUInt8((reply.service | 0x80) & 0xff, 0);
  head.writeUInt8(0, 1);
  head.writeUInt8(reply.status ?? 0, 2);
  head.writeUInt8(extended.length, 3);
  extended.forEach((word, i) => {
    head.writeUInt16LE(word, 4 + i * 2);
  });
  return Buffer.concat([head, reply.data ?? Buffer.alloc(0)]);
}

export function decodeReply(message: Buffer): CipReply {
  need(message, 4, 'CIP reply');
  const service = message.readUInt8(0);
  if ((service & 0x80) === 0) throw malformed(`0x${service.toString(16)} is a request, not a reply`);
  const words = message.readUInt8(3);
  need(message, 4 + words * 2, 'CIP reply extended status');
  const extended: number[] = [];
  for (let i = 0; i < words; i++) extended.push(message.readUInt16LE(4 + i * 2));
  return {
    service: service & 0x7f,
    status: message.readUInt8(2),
    extended,
    data: Buffer.from(message.subarray(4 + words * 2)),
  };
}

/** Human text for a general status, for error messages. */
export function describeCipStatus(status: number, extended: readonly number[] = []): string {
  const names: Record<number, string> = {
    1: 'connection failure',
    4: 'path segment error (unknown tag)',
    5: 'path destination unknown',
    6: 'partial transfer',
    8: 'service not supported',
    19: 'not enough data',
    21: 'too much data',
    30: 'embedded service error',
    32: 'invalid parameter',
  };
  if (status === 0xff && extended[0] === EXT_TYPE_MISMATCH)
    return 'general error: data type mismatch (0x2107)';
  const ext =
    extended.length > 0 ? ` (extended ${extended.map((e) => `0x${e.toString(16)}`).join(', ')})` : '';
  return `${names[status] ?? 'general status'} 0x${status.toString(16).padStart(2, '0')}${ext}`;
}

// --- Unconnected Send (Connection Manager 0x52): a request routed to a backplane slot ---

export interface UnconnectedSend {
  tickTime: number;
  ticks: number;
  embedded: Buffer;
  routePath: Buffer;
}

export function encodeUnconnectedSend(embedded: Buffer, routePath: Buffer, timeoutMs = 2000): Buffer {
  // Priority/tick time 2^n ms per tick, ticks ≤ 255: the smallest n that fits the timeout.
  let tickTime = 0;
  while (tickTime < 15 && Math.ceil(timeoutMs / 2 ** tickTime) > 255) tickTime++;
  const ticks = Math.min(255, Math.max(1, Math.ceil(timeoutMs / 2 ** tickTime)));
  const head = Buffer.alloc(4);
  head.writeUInt8(tickTime, 0);
  head.writeUInt8(ticks, 1);
  head.writeUInt16LE(embedded.length, 2);
  const pad = embedded.length % 2 === 1 ? Buffer.alloc(1) : Buffer.alloc(0);
  const route = Buffer.from([Math.ceil(routePath.length / 2), 0]);
  const data = Buffer.concat([head, embedded, pad, route, routePath]);
  return encodeRequest(CipServices.UnconnectedSend, CONNECTION_MANAGER_PATH, data);
}

export function decodeUnconnectedSend(data: Buffer): UnconnectedSend {
  need(data, 4, 'Unconnected Send');
  const length = data.readUInt16LE(2);
  need(data, 4 + length, 'Unconnected Send embedded request');
  const at = 4 + length + (length % 2);
  need(data, at + 2, 'Unconnected Send route path size');
  const words = data.readUInt8(at);
  need(data, at + 2 + words * 2, 'Unconnected Send route path');
  return {
    tickTime: data.readUInt8(0),
    ticks: data.readUInt8(1),
    embedded: Buffer.from(data.subarray(4, 4 + length)),
    routePath: Buffer.from(data.subarray(at + 2, at + 2 + words * 2)),
  };
}

// --- Forward Open 0x54 / Forward Close 0x4E (Connection Manager) ---

export interface ForwardOpenRequest {
  tickTime: number;
  ticks: number;
  otConnectionId: number;
  toConnectionId: number;
  connectionSerial: number;
  vendorId: number;
  originatorSerial: number;
  timeoutMultiplier: number;
  otRpiUs: number;
  otParameters: number;
  toRpiUs: number;
  toParameters: number;
  transportTrigger: number;
  connectionPath: Buffer;
}

export function encodeForwardOpen(r: ForwardOpenRequest): Buffer {
  const out = Buffer.alloc(36);
  out.writeUInt8(r.tickTime, 0);
  out.writeUInt8(r.ticks, 1);
  out.writeUInt32LE(r.otConnectionId >>> 0, 2);
  out.writeUInt32LE(r.toConnectionId >>> 0, 6);
  out.writeUInt16LE(r.connectionSerial, 10);
  out.writeUInt16LE(r.vendorId, 12);
  out.writeUInt32LE(r.originatorSerial >>> 0, 14);
  out.writeUInt32LE(r.timeoutMultiplier, 18);
  out.writeUInt32LE(r.otRpiUs, 22);
  out.writeUInt16LE(r.otParameters, 26);
  out.writeUInt32LE(r.toRpiUs, 28);
  out.writeUInt16LE(r.toParameters, 32);
  out.writeUInt8(r.transportTrigger, 34);
  out.writeUInt8(Math.ceil(r.connectionPath.length / 2), 35);
  return Buffer.concat([out, r.connectionPath]);
}

export function decodeForwardOpen(data: Buffer): ForwardOpenRequest {
  need(data, 36, 'Forward Open');
  const words = data.readUInt8(35);
  need(data, 36 + words * 2, 'Forward Open connection path');
  return {
    tickTime: data.readUInt8(0),
    ticks: data.readUInt8(1),
    otConnectionId: data.readUInt32LE(2),
    toConnectionId: data.readUInt32LE(6),
    connectionSerial: data.readUInt16LE(10),
    vendorId: data.readUInt16LE(12),
    originatorSerial: data.readUInt32LE(14),
    timeoutMultiplier: data.readUInt32LE(18),
    otRpiUs: data.readUInt32LE(22),
    otParameters: data.readUInt16LE(26),
    toRpiUs: data.readUInt32LE(28),
    toParameters: data.readUInt16LE(32),
    transportTrigger: data.readUInt8(34),
    connectionPath: Buffer.from(data.subarray(36, 36 + words * 2)),
  };
}

export interface ForwardOpenReply {
  otConnectionId: number;
  toConnectionId: number;
  connectionSerial: number;
  vendorId: number;
  originatorSerial: number;
  otApiUs: number;
  toApiUs: number;
}

export function encodeForwardOpenReply(r: ForwardOpenReply): Buffer {
  const out = Buffer.alloc(26);
  out.writeUInt32LE(r.otConnectionId >>> 0, 0);
  out.writeUInt32LE(r.toConnectionId >>> 0, 4);
  out.writeUInt16LE(r.connectionSerial, 8);
  out.writeUInt16LE(r.vendorId, 10);
  out.writeUInt32LE(r.originatorSerial >>> 0, 12);
  out.writeUInt32LE(r.otApiUs, 16);
  out.writeUInt32LE(r.toApiUs, 20);
  out.writeUInt8(0, 24); // application reply size (words)
  out.writeUInt8(0, 25); // reserved
  return out;
}

export function decodeForwardOpenReply(data: Buffer): ForwardOpenReply {
  need(data, 26, 'Forward Open reply');
  return {
    otConnectionId: data.readUInt32LE(0),
    toConnectionId: data.readUInt32LE(4),
    connectionSerial: data.readUInt16LE(8),
    vendorId: data.readUInt16LE(10),
    originatorSerial: data.readUInt32LE(12),
    otApiUs: data.readUInt32LE(16),
    toApiUs: data.readUInt32LE(20),
  };
}

export interface ForwardCloseRequest {
  tickTime: number;
  ticks: number;
  connectionSerial: number;
  vendorId: number;
  originatorSerial: number;
  connectionPath: Buffer;
}

export function decodeForwardClose(data: Buffer): ForwardCloseRequest {
  need(data, 12, 'Forward Close');
  const words = data.readUInt8(10);
  need(data, 12 + words * 2, 'Forward Close connection path');
  return {
    tickTime: data.readUInt8(0),
    ticks: data.readUInt8(1),
    connectionSerial: data.readUInt16LE(2),
    vendorId: data.readUInt16LE(4),
    originatorSerial: data.readUInt32LE(6),
    connectionPath: Buffer.from(data.subarray(12, 12 + words * 2)),
  };
}

export function encodeForwardCloseReply(r: {
  connectionSerial: number;
  vendorId: number;
  originatorSerial: number;
}): Buffer {
  const out = Buffer.alloc(10);
  out.writeUInt16LE(r.connectionSerial, 0);
  out.writeUInt16LE(r.vendorId, 2);
  out.writeUInt32LE(r.originatorSerial >>> 0, 4);
  return out;
}

// --- Identity object (class 1, instance 1): Get Attribute All ---

export interface Identity {
  vendorId: number;
  deviceType: number;
  productCode: number;
  revision: { major: number; minor: number };
  /** 0x0060 in run mode, 0x0070 in program mode (bits 4–7); fault bits 8–11. */
  status: number;
  serialNumber: number;
  productName: string;
}

/** Attributes 1–7 only: ethernet-ip takes everything after byte 15 as the name. */
export function encodeIdentity(identity: Identity): Buffer {
  const name = Buffer.from(identity.productName, 'latin1');
  const out = Buffer.alloc(15 + name.length);
  out.writeUInt16LE(identity.vendorId, 0);
  out.writeUInt16LE(identity.deviceType, 2);
  out.writeUInt16LE(identity.productCode, 4);
  out.writeUInt8(identity.revision.major, 6);
  out.writeUInt8(identity.revision.minor, 7);
  out.writeUInt16LE(identity.status, 8);
  out.writeUInt32LE(identity.serialNumber >>> 0, 10);
  out.writeUInt8(name.length, 14);
  name.copy(out, 15);
  return out;
}

export function decodeIdentity(data: Buffer): Identity {
  need(data, 15, 'Identity');
  const length = data.readUInt8(14);
  need(data, 15 + length, 'Identity product name');
  return {
    vendorId: data.readUInt16LE(0),
    deviceType: data.readUInt16LE(2),
    productCode: data.readUInt16LE(4),
    revision: { major: data.readUInt8(6), minor: data.readUInt8(7) },
    status: data.readUInt16LE(8),
    serialNumber: data.readUInt32LE(10),
    productName: data.subarray(15, 15 + length).toString('latin1'),
  };
}

// --- Symbol object (class 0x6B): Get Instance Attribute List 0x55, attributes 1 (name) and 2 (type) ---

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

// --- Logix tag services ---

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

// --- Multiple Service Packet 0x0A (Message Router): count, offsets from the count, messages ---

export function encodeMultipleService(messages: readonly Buffer[]): Buffer {
  const head = Buffer.alloc(2 + messages.length * 2);
  head.writeUInt16LE(messages.length, 0);
  let offset = head.length;
  messages.forEach((m, i) => {
    head.writeUInt16LE(offset, 2 + i * 2);
    offset += m.length;
  });
  return Buffer.concat([head, ...messages]);
}

export function decodeMultipleService(data: Buffer): Buffer[] {
  need(data, 2, 'Multiple Service Packet');
  const count = data.readUInt16LE(0);
  need(data, 2 + count * 2, 'Multiple Service Packet offsets');
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) offsets.push(data.readUInt16LE(2 + i * 2));
  return offsets.map((start, i) => {
    const end = i + 1 < count ? offsets[i + 1]! : data.length;
    if (start < 2 + count * 2 || end > data.length || end < start) {
      throw malformed(
        `Multiple Service Packet message ${i} at ${start}..${end} lies outside ${data.length} bytes`,
      );
    }
    return Buffer.from(data.subarray(start, end));
  });
}

/** The overall status of a Multiple Service Packet reply: 0x1E when any embedded reply failed. */
export function multipleServiceStatus(replies: readonly Buffer[]): number {
  return replies.some((r) => r.readUInt8(2) !== 0) ? CipStatus.EmbeddedServiceError : CipStatus.Success;
}

function u16(n: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16LE(n, 0);
  return out;
}

function u32(n: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(n >>> 0, 0);
  return out;
}

function need(data: Buffer, bytes: number, what: string): void {
  if (data.length < bytes) throw malformed(`${what}: needs ${bytes} bytes, got ${data.length}`);
}

function malformed(message: string): BenchtopError {
  return new BenchtopError('PROTOCOL_ERROR', `CIP: ${message}`);
}
