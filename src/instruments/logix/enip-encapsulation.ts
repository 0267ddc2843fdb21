import { BenchtopError } from '../../core/errors.ts';

/**
 * EtherNet/IP encapsulation (CIP Vol. 2, ch. 2): a 24-byte little-endian header (command,
 * length, session handle, status, 8-byte sender context, options) and the command's data.
 * Frames come whole from LengthPrefixedFramer with `enipFormat`; this module only encodes
 * and decodes them, so it is tested without sockets.
 */
export const EncapCommands = {
  Nop: 0x00,
  ListIdentity: 0x63,
  RegisterSession: 0x65,
  UnRegisterSession: 0x66,
  SendRRData: 0x6f,
  SendUnitData: 0x70,
} as const;

export const EncapStatus = {
  Success: 0x00,
  InvalidCommand: 0x01,
  InsufficientMemory: 0x02,
  BadData: 0x03,
  InvalidSession: 0x64,
  InvalidLength: 0x65,
  UnsupportedVersion: 0x69,
} as const;

/** Common Packet Format item types (Vol. 2, 2-6). */
export const CpfItemTypes = {
  Null: 0x0000,
  ListIdentity: 0x000c,
  ConnectedAddress: 0x00a1,
  ConnectedData: 0x00b1,
  UnconnectedData: 0x00b2,
} as const;

export const ENIP_HEADER_BYTES = 24;
export const ENIP_PORT = 44818;

export interface EncapPacket {
  command: number;
  session: number;
  status: number;
  /** 8 bytes the target echoes unchanged. */
  context: Buffer;
  options: number;
  data: Buffer;
}

export interface CpfItem {
  type: number;
  data: Buffer;
}

export function encodeEncap(packet: Partial<EncapPacket> & { command: number }): Buffer {
  const data = packet.data ?? Buffer.alloc(0);
  const out = Buffer.alloc(ENIP_HEADER_BYTES + data.length);
  out.writeUInt16LE(packet.command, 0);
  out.writeUInt16LE(data.length, 2);
  out.writeUInt32LE(packet.session ?? 0, 4);
  out.writeUInt32LE(packet.status ?? 0, 8);
  (packet.context ?? Buffer.alloc(8)).copy(out, 12, 0, 8);
  out.writeUInt32LE(packet.options ?? 0, 20);
  data.copy(out, ENIP_HEADER_BYTES);
  return out;
}

/** Decodes one whole frame; a length that disagrees with the header is a PROTOCOL_ERROR. */
export function decodeEncap(frame: Buffer): EncapPacket {
  if (frame.length < ENIP_HEADER_BYTES)
    throw malformed(`frame of ${frame.length} bytes is shorter than the header`);
  const length = frame.readUInt16LE(2);
  if (frame.length !== ENIP_HEADER_BYTES + length) {
    throw malformed(
      `header announces ${length} data bytes, frame carries ${frame.length - ENIP_HEADER_BYTES}`,
    );
  }
  return {
    command: frame.readUInt16LE(0),
    session: frame.readUInt32LE(4),
    status: frame.readUInt32LE(8),
    context: Buffer.from(frame.subarray(12, 20)),
    options: frame.readUInt32LE(20),
    data: Buffer.from(frame.subarray(ENIP_HEADER_BYTES)),
  };
}

/** RegisterSession data: protocol version (1) and option flags (0). */
export function encodeRegisterSession(version = 1, options = 0): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt16LE(version, 0);
  out.writeUInt16LE(options, 2);
  return out;
}

export function decodeRegisterSession(data: Buffer): { version: number; options: number } {
  need(data, 4, 'RegisterSession');
  return { version: data.readUInt16LE(0), options: data.readUInt16LE(2) };
}

export function encodeCpf(items: readonly CpfItem[]): Buffer {
  const parts: Buffer[] = [u16(items.length)];
  for (const item of items) {
    const head = Buffer.alloc(4);
    head.writeUInt16LE(item.type, 0);
    head.writeUInt16LE(item.data.length, 2);
    parts.push(head, item.data);
  }
  return Buffer.concat(parts);
}

export function decodeCpf(data: Buffer): CpfItem[] {
  need(data, 2, 'CPF item count');
  const count = data.readUInt16LE(0);
  const items: CpfItem[] = [];
  let at = 2;
  for (let i = 0; i < count; i++) {
    need(data, at + 4, `CPF item ${i} header`);
    const type = data.readUInt16LE(at);
    const length = data.readUInt16LE(at + 2);
    need(data, at + 4 + length, `CPF item ${i} (type 0x${type.toString(16)}, ${length} bytes)`);
    items.push({ type, data: Buffer.from(data.subarray(at + 4, at + 4 + length)) });
    at += 4 + length;
  }
  return items;
}

/** SendRRData / SendUnitData data: interface handle (0 for CIP), timeout in seconds, CPF items. */
export function encodeSendData(items: readonly CpfItem[], timeoutS = 0): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt32LE(0, 0);
  head.writeUInt16LE(timeoutS, 4);
  return Buffer.concat([head, encodeCpf(items)]);
}

export function decodeSendData(data: Buffer): {
  interfaceHandle: number;
  timeoutS: number;
  items: CpfItem[];
} {
  need(data, 6, 'SendRRData/SendUnitData header');
  return {
    interfaceHandle: data.readUInt32LE(0),
    timeoutS: data.readUInt16LE(4),
    items: decodeCpf(data.subarray(6)),
  };
}

/** An unconnected message: Null address item, then the UCMM data item. */
export function unconnectedItems(message: Buffer): CpfItem[] {
  return [
    { type: CpfItemTypes.Null, data: Buffer.alloc(0) },
    { type: CpfItemTypes.UnconnectedData, data: message },
  ];
}

/** A connected message: the connection id, then the 2-byte sequence count and the message. */
export function connectedItems(connectionId: number, sequence: number, message: Buffer): CpfItem[] {
  const address = Buffer.alloc(4);
  address.writeUInt32LE(connectionId >>> 0, 0);
  return [
    { type: CpfItemTypes.ConnectedAddress, data: address },
    { type: CpfItemTypes.ConnectedData, data: Buffer.concat([u16(sequence & 0xffff), message]) },
  ];
}

/** Splits a SendUnitData reply or request into its connection id, sequence count and message. */
export function decodeConnectedItems(items: readonly CpfItem[]): {
  connectionId: number;
  sequence: number;
  message: Buffer;
} {
  const address = items.find((i) => i.type === CpfItemTypes.ConnectedAddress);
  const payload = items.find((i) => i.type === CpfItemTypes.ConnectedData);
  if (!address || address.data.length < 4 || !payload || payload.data.length < 2) {
    throw malformed('connected message lacks the 0xA1 connection id or the 0xB1 data item');
  }
  return {
    connectionId: address.data.readUInt32LE(0),
    sequence: payload.data.readUInt16LE(0),
    message: Buffer.from(payload.data.subarray(2)),
  };
}

export interface ListIdentityItem {
  encapsulationVersion: number;
  /** IPv4 address and port the target reports (the socket address, big-endian on the wire). */
  address: string;
  port: number;
  vendorId: number;
  deviceType: number;
  productCode: number;
  revision: { major: number; minor: number };
  status: number;
  serialNumber: number;
  productName: string;
  state: number;
}

/** The ListIdentity reply's CIP Identity item (type 0x0C). */
export function encodeListIdentityItem(identity: ListIdentityItem): Buffer {
  const name = Buffer.from(identity.productName, 'latin1');
  const out = Buffer.alloc(2 + 16 + 2 + 2 + 2 + 2 + 2 + 4 + 1 + name.length + 1);
  let at = 0;
  out.writeUInt16LE(identity.encapsulationVersion, at);
  at += 2;
  out.writeInt16BE(2, at); // sin_family AF_INET
  out.writeUInt16BE(identity.port, at + 2);
  identity.address.split('.').forEach((octet, i) => {
    out.writeUInt8(Number(octet), at + 4 + i);
  });
  at += 16;
  out.writeUInt16LE(identity.vendorId, at);
  out.writeUInt16LE(identity.deviceType, at + 2);
  out.writeUInt16LE(identity.productCode, at + 4);
  out.writeUInt8(identity.revision.major, at + 6);
  out.writeUInt8(identity.revision.minor, at + 7);
  out.writeUInt16LE(identity.status, at + 8);
  out.writeUInt32LE(identity.serialNumber >>> 0, at + 10);
  at += 14;
  out.writeUInt8(name.length, at);
  name.copy(out, at + 1);
  out.writeUInt8(identity.state, at + 1 + name.length);
  return out;
}

export function decodeListIdentityItem(data: Buffer): ListIdentityItem {
  need(data, 34, 'ListIdentity item');
  const nameLength = data.readUInt8(32);
  need(data, 33 + nameLength + 1, 'ListIdentity product name');
  return {
    encapsulationVersion: data.readUInt16LE(0),
    port: data.readUInt16BE(4),
    address: [...data.subarray(6, 10)].join('.'),
    vendorId: data.readUInt16LE(18),
    deviceType: data.readUInt16LE(20),
    productCode: data.readUInt16LE(22),
    revision: { major: data.readUInt8(24), minor: data.readUInt8(25) },
    status: data.readUInt16LE(26),
    serialNumber: data.readUInt32LE(28),
    productName: data.subarray(33, 33 + nameLength).toString('latin1'),
    state: data.readUInt8(33 + nameLength),
  };
}

function u16(n: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16LE(n, 0);
  return out;
}

function need(data: Buffer, bytes: number, what: string): void {
  if (data.length < bytes) throw malformed(`${what}: needs ${bytes} bytes, got ${data.length}`);
}

function malformed(message: string): BenchtopError {
  return new BenchtopError('PROTOCOL_ERROR', `EtherNet/IP: ${message}`);
}
