import { BenchtopError } from '../../core/errors.ts';

/** Little-endian fields and length checks shared by the CIP service codecs. */
export function u16(n: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16LE(n, 0);
  return out;
}

export function u32(n: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(n >>> 0, 0);
  return out;
}

/** A PROTOCOL_ERROR unless `data` holds at least `bytes` bytes. */
export function need(data: Buffer, bytes: number, what: string): void {
  if (data.length < bytes) throw malformed(`${what}: needs ${bytes} bytes, got ${data.length}`);
}

export function malformed(message: string): BenchtopError {
  return new BenchtopError('PROTOCOL_ERROR', `CIP: ${message}`);
}
