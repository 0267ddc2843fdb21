/**
 * ONC-RPC version 2 messages (RFC 5531 §9) with AUTH_NONE credentials, as the portmapper
 * and VXI-11 use them: calls, accepted replies, and the ways a reply can refuse a call.
 */
import { XdrReader, XdrWriter } from './xdr.ts';

const CALL = 0;
const REPLY = 1;
const MSG_ACCEPTED = 0;
const MSG_DENIED = 1;
const AUTH_NONE = 0;

export const AcceptStat = {
  SUCCESS: 0,
  PROG_UNAVAIL: 1,
  PROG_MISMATCH: 2,
  PROC_UNAVAIL: 3,
  GARBAGE_ARGS: 4,
  SYSTEM_ERR: 5,
} as const;

const acceptStatNames = [
  'SUCCESS',
  'PROG_UNAVAIL',
  'PROG_MISMATCH',
  'PROC_UNAVAIL',
  'GARBAGE_ARGS',
  'SYSTEM_ERR',
];

export interface RpcCall {
  xid: number;
  prog: number;
  vers: number;
  proc: number;
  args: XdrReader;
}

export type RpcReply =
  | { xid: number; status: 'success'; results: XdrReader }
  /** Accepted but not run: the program, version or procedure is unknown, or the arguments were bad. */
  | { xid: number; status: 'refused'; reason: string }
  /** Denied: wrong RPC version or authentication. */
  | { xid: number; status: 'denied'; reason: string };

export function encodeCall(xid: number, prog: number, vers: number, proc: number, args: Buffer): Buffer {
  const head = new XdrWriter()
    .uint(xid)
    .uint(CALL)
    .uint(2)
    .uint(prog)
    .uint(vers)
    .uint(proc)
    .uint(AUTH_NONE)
    .uint(0)
    .uint(AUTH_NONE)
    .uint(0)
    .toBuffer();
  return Buffer.concat([head, args]);
}

/** Parses a call (server side); null when the record is not an RPC v2 call. */
export function decodeCall(record: Buffer): RpcCall | null {
  const r = new XdrReader(record);
  const xid = r.uint();
  if (r.uint() !== CALL || r.uint() !== 2) return null;
  const prog = r.uint();
  const vers = r.uint();
  const proc = r.uint();
  r.uint();
  r.opaque(400);
  r.uint();
  r.opaque(400);
  return { xid, prog, vers, proc, args: r };
}

/** An accepted reply: SUCCESS with results, or another accept status (with the version range for PROG_MISMATCH). */
export function encodeAcceptedReply(
  xid: number,
  stat: number,
  results: Buffer = Buffer.alloc(0),
  mismatch?: { low: number; high: number },
): Buffer {
  const w = new XdrWriter().uint(xid).uint(REPLY).uint(MSG_ACCEPTED).uint(AUTH_NONE).uint(0).uint(stat);
  if (stat === AcceptStat.PROG_MISMATCH && mismatch) w.uint(mismatch.low).uint(mismatch.high);
  return Buffer.concat([w.toBuffer(), stat === AcceptStat.SUCCESS ? results : Buffer.alloc(0)]);
}

/** Parses a reply (client side). Throws XdrError when the record is cut short. */
export function decodeReply(record: Buffer): RpcReply | null {
  const r = new XdrReader(record);
  const xid = r.uint();
  if (r.uint() !== REPLY) return null;
  const replyStat = r.uint();
  if (replyStat === MSG_DENIED) {
    const reject = r.uint();
    if (reject === 0) {
      const low = r.uint();
      const high = r.uint();
      return { xid, status: 'denied', reason: `RPC version mismatch (server supports ${low}..${high})` };
    }
    return { xid, status: 'denied', reason: `authentication error ${r.uint()}` };
  }
  if (replyStat !== MSG_ACCEPTED) return null;
  r.uint();
  r.opaque(400);
  const stat = r.uint();
  if (stat === AcceptStat.SUCCESS) return { xid, status: 'success', results: r };
  let reason = acceptStatNames[stat] ?? `accept status ${stat}`;
  if (stat === AcceptStat.PROG_MISMATCH) reason += ` (server supports versions ${r.uint()}..${r.uint()})`;
  return { xid, status: 'refused', reason };
}
