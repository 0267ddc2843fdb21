import { need } from './cip-bytes.ts';
import { CipServices, CONNECTION_MANAGER_PATH, encodeRequest } from './cip-message.ts';

/**
 * The Connection Manager (class 6, instance 1): Unconnected Send 0x52 (a request routed to a
 * backplane slot), Forward Open 0x54 and Forward Close 0x4E (CIP Vol. 1, 3-5).
 */
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
