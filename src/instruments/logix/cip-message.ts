import { malformed, need } from './cip-bytes.ts';

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
