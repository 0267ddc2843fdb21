/**
 * VXI-11 (VXIbus Consortium VXI-11 rev 1.0, "TCP/IP Instrument Protocol") over ONC-RPC: the
 * core channel (program 0x0607AF version 1) and the abort channel (DEVICE_ASYNC, program
 * 0x0607B0 version 1, a second TCP connection to the port create_link returns). Encoders and
 * decoders for the procedures a message-based client needs, used by both the link and the
 * simulator.
 */
import { BenchtopError, type ErrorCode } from '../../../core/errors.ts';
import { XdrError, type XdrReader, XdrWriter } from './xdr.ts';

export const Vxi11 = {
  CORE_PROG: 0x0607af,
  CORE_VERS: 1,
  CREATE_LINK: 10,
  DEVICE_WRITE: 11,
  DEVICE_READ: 12,
  DEVICE_READSTB: 13,
  DEVICE_TRIGGER: 14,
  DEVICE_CLEAR: 15,
  DEVICE_REMOTE: 16,
  DEVICE_LOCAL: 17,
  DEVICE_LOCK: 18,
  DEVICE_UNLOCK: 19,
  DESTROY_LINK: 23,
  /** DEVICE_ASYNC: served on its own port so it is heard while a core call is blocked. */
  ASYNC_PROG: 0x0607b0,
  ASYNC_VERS: 1,
  DEVICE_ABORT: 1,
  /** DEVICE_INTR (service requests, the device calling the client back); not used here. */
  INTR_PROG: 0x0607b1,
  INTR_VERS: 1,
} as const;

/** Device_Flags bits. */
export const OpFlag = { WAITLOCK: 1, END: 8, TERMCHRSET: 128 } as const;
/** device_read reason bits: why the read stopped. */
export const ReadReason = { REQCNT: 1, CHR: 2, END: 4 } as const;

/** Device_ErrorCode values and what each means. */
export const vxi11Errors: Record<number, string> = {
  0: 'no error',
  1: 'syntax error',
  3: 'device not accessible',
  4: 'invalid link identifier',
  5: 'parameter error',
  6: 'channel not established',
  8: 'operation not supported',
  9: 'out of resources',
  11: 'device locked by another link',
  12: 'no lock held by this link',
  15: 'I/O timeout',
  17: 'I/O error',
  21: 'invalid address',
  23: 'abort',
  29: 'channel already established',
};

/**
 * Which Benchtop error a device error becomes. Timeouts and a lost or unusable link restart
 * the actor (a fresh link is the cure); a lock held elsewhere is an availability problem;
 * the rest mean the two sides disagree about the protocol.
 */
function errorCodeFor(vxiError: number): ErrorCode {
  if (vxiError === 15) return 'INSTRUMENT_TIMEOUT';
  if (vxiError === 11) return 'INSTRUMENT_UNAVAILABLE';
  if ([3, 4, 6, 9, 17, 21, 23, 29].includes(vxiError)) return 'LINK_LOST';
  return 'PROTOCOL_ERROR';
}

export function vxi11Error(address: string, what: string, vxiError: number): BenchtopError {
  const meaning = vxi11Errors[vxiError] ?? 'unknown error';
  return new BenchtopError(
    errorCodeFor(vxiError),
    `${address}: ${what} failed: VXI-11 error ${vxiError} (${meaning})`,
    {
      address,
      command: what,
      vxi11Error: vxiError,
    },
  );
}

/** Decodes results; a reply cut short is a protocol error naming the procedure. */
export function decodeResults<T>(address: string, what: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof XdrError)) throw error;
    throw new BenchtopError('PROTOCOL_ERROR', `${address}: malformed reply to ${what}: ${error.message}`, {
      address,
      command: what,
    });
  }
}

export interface CreateLinkParms {
  clientId: number;
  lockDevice: boolean;
  lockTimeout: number;
  device: string;
}

export function encodeCreateLink(p: CreateLinkParms): Buffer {
  return new XdrWriter().int(p.clientId).bool(p.lockDevice).uint(p.lockTimeout).string(p.device).toBuffer();
}

export function decodeCreateLinkParms(r: XdrReader): CreateLinkParms {
  return { clientId: r.int(), lockDevice: r.bool(), lockTimeout: r.uint(), device: r.string(256) };
}

export interface CreateLinkResp {
  error: number;
  lid: number;
  abortPort: number;
  maxRecvSize: number;
}

export function encodeCreateLinkResp(p: CreateLinkResp): Buffer {
  return new XdrWriter().int(p.error).int(p.lid).uint(p.abortPort).uint(p.maxRecvSize).toBuffer();
}

export function decodeCreateLinkResp(r: XdrReader): CreateLinkResp {
  return { error: r.int(), lid: r.int(), abortPort: r.uint(), maxRecvSize: r.uint() };
}

export interface WriteParms {
  lid: number;
  ioTimeout: number;
  lockTimeout: number;
  flags: number;
  data: Buffer;
}

export function encodeDeviceWrite(p: WriteParms): Buffer {
  return new XdrWriter()
    .int(p.lid)
    .uint(p.ioTimeout)
    .uint(p.lockTimeout)
    .int(p.flags)
    .opaque(p.data)
    .toBuffer();
}

export function decodeDeviceWriteParms(r: XdrReader): WriteParms {
  return { lid: r.int(), ioTimeout: r.uint(), lockTimeout: r.uint(), flags: r.int(), data: r.opaque() };
}

export function encodeWriteResp(error: number, size: number): Buffer {
  return new XdrWriter().int(error).uint(size).toBuffer();
}

export function decodeWriteResp(r: XdrReader): { error: number; size: number } {
  return { error: r.int(), size: r.uint() };
}

export interface ReadParms {
  lid: number;
  requestSize: number;
  ioTimeout: number;
  lockTimeout: number;
  flags: number;
  /** Sent as an XDR int; only the low byte counts. */
  termChar: number;
}

export function encodeDeviceRead(p: ReadParms): Buffer {
  return new XdrWriter()
    .int(p.lid)
    .uint(p.requestSize)
    .uint(p.ioTimeout)
    .uint(p.lockTimeout)
    .int(p.flags)
    .int(p.termChar)
    .toBuffer();
}

export function decodeDeviceReadParms(r: XdrReader): ReadParms {
  return {
    lid: r.int(),
    requestSize: r.uint(),
    ioTimeout: r.uint(),
    lockTimeout: r.uint(),
    flags: r.int(),
    termChar: r.int() & 0xff,
  };
}

export function encodeReadResp(error: number, reason: number, data: Buffer): Buffer {
  return new XdrWriter().int(error).int(reason).opaque(data).toBuffer();
}

export function decodeReadResp(r: XdrReader): { error: number; reason: number; data: Buffer } {
  return { error: r.int(), reason: r.int(), data: r.opaque() };
}

/** Device_GenericParms (readstb, trigger, clear, remote, local). */
export interface GenericParms {
  lid: number;
  flags: number;
  lockTimeout: number;
  ioTimeout: number;
}

export function encodeGenericParms(p: GenericParms): Buffer {
  return new XdrWriter().int(p.lid).int(p.flags).uint(p.lockTimeout).uint(p.ioTimeout).toBuffer();
}

export function decodeGenericParms(r: XdrReader): GenericParms {
  return { lid: r.int(), flags: r.int(), lockTimeout: r.uint(), ioTimeout: r.uint() };
}

/** Device_LockParms: with WAITLOCK the device waits up to lock_timeout for another link's lock. */
export interface LockParms {
  lid: number;
  flags: number;
  lockTimeout: number;
}

export function encodeDeviceLock(p: LockParms): Buffer {
  return new XdrWriter().int(p.lid).int(p.flags).uint(p.lockTimeout).toBuffer();
}

export function decodeDeviceLockParms(r: XdrReader): LockParms {
  return { lid: r.int(), flags: r.int(), lockTimeout: r.uint() };
}

export function encodeError(error: number): Buffer {
  return new XdrWriter().int(error).toBuffer();
}

export function decodeError(r: XdrReader): number {
  return r.int();
}

/** Device_Link: the argument of device_unlock, destroy_link and device_abort. */
export function encodeLink(lid: number): Buffer {
  return new XdrWriter().int(lid).toBuffer();
}

export function decodeLink(r: XdrReader): number {
  return r.int();
}
