import { need } from './cip-bytes.ts';

/** The Identity object (class 1, instance 1) as Get Attribute All 0x01 returns it. */
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
