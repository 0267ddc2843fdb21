import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AcceptStat, decodeCall, decodeReply, encodeAcceptedReply, encodeCall } from './onc-rpc.ts';
import { encodeRecord, RecordDecoder } from './record-marking.ts';
import {
  decodeCreateLinkParms,
  decodeCreateLinkResp,
  decodeDeviceLockParms,
  decodeError,
  decodeGenericParms,
  decodeLink,
  encodeCreateLink,
  encodeCreateLinkResp,
  encodeDeviceLock,
  encodeError,
  encodeGenericParms,
  encodeLink,
  OpFlag,
  Vxi11,
} from './vxi11-protocol.ts';
import type { XdrReader } from './xdr.ts';

/** Every way of cutting `bytes` in two, plus one byte at a time: what a TCP stream may deliver. */
function splits(bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [];
  for (let at = 0; at <= bytes.length; at++) out.push([bytes.subarray(0, at), bytes.subarray(at)]);
  out.push([...bytes].map((b) => Buffer.from([b])));
  return out;
}

/** Pushes the chunks through a record decoder and returns the one record that comes out. */
function reassemble(chunks: Buffer[]): Buffer {
  const records: Buffer[] = [];
  const decoder = new RecordDecoder((r) => records.push(r));
  for (const chunk of chunks) decoder.push(chunk);
  assert.equal(records.length, 1);
  return records[0]!;
}

/** A call as the client sends it (small fragments), read back by the server from split chunks. */
function callRoundTrips<T>(prog: number, proc: number, args: Buffer, decode: (r: XdrReader) => T): T[] {
  const wire = encodeRecord(encodeCall(7, prog, 1, proc, args), 12);
  return splits(wire).map((chunks) => {
    const call = decodeCall(reassemble(chunks));
    assert.ok(call);
    assert.deepEqual([call.xid, call.prog, call.vers, call.proc], [7, prog, 1, proc]);
    const value = decode(call.args);
    assert.equal(call.args.remaining, 0, 'nothing left over');
    return value;
  });
}

/** A reply as the server sends it, read back by the client from split chunks. */
function replyRoundTrips<T>(results: Buffer, decode: (r: XdrReader) => T): T[] {
  const wire = encodeRecord(encodeAcceptedReply(9, AcceptStat.SUCCESS, results));
  return splits(wire).map((chunks) => {
    const reply = decodeReply(reassemble(chunks));
    assert.ok(reply && reply.status === 'success');
    const value = decode(reply.results);
    assert.equal(reply.results.remaining, 0);
    return value;
  });
}

describe('VXI-11 procedures: XDR through record marking, split anywhere', () => {
  it('create_link with lockDevice, and its reply carrying abortPort', () => {
    const parms = { clientId: 1234, lockDevice: true, lockTimeout: 2500, device: 'inst0' };
    for (const got of callRoundTrips(
      Vxi11.CORE_PROG,
      Vxi11.CREATE_LINK,
      encodeCreateLink(parms),
      decodeCreateLinkParms,
    ))
      assert.deepEqual(got, parms);
    const resp = { error: 0, lid: 3, abortPort: 40123, maxRecvSize: 4096 };
    for (const got of replyRoundTrips(encodeCreateLinkResp(resp), decodeCreateLinkResp))
      assert.deepEqual(got, resp);
  });

  it('device_clear takes Device_GenericParms: link, flags, lock_timeout, io_timeout', () => {
    const parms = { lid: 3, flags: OpFlag.WAITLOCK, lockTimeout: 500, ioTimeout: 2000 };
    assert.equal(
      encodeGenericParms(parms).toString('hex'),
      '00000003' + '00000001' + '000001f4' + '000007d0',
    );
    for (const got of callRoundTrips(
      Vxi11.CORE_PROG,
      Vxi11.DEVICE_CLEAR,
      encodeGenericParms(parms),
      decodeGenericParms,
    ))
      assert.deepEqual(got, parms);
  });

  it('device_lock takes Device_LockParms: link, flags, lock_timeout (no io_timeout)', () => {
    const parms = { lid: 3, flags: OpFlag.WAITLOCK, lockTimeout: 0xfffffffe };
    assert.equal(encodeDeviceLock(parms).toString('hex'), '00000003' + '00000001' + 'fffffffe');
    for (const got of callRoundTrips(
      Vxi11.CORE_PROG,
      Vxi11.DEVICE_LOCK,
      encodeDeviceLock(parms),
      decodeDeviceLockParms,
    ))
      assert.deepEqual(got, parms);
  });

  it('device_unlock and device_abort (DEVICE_ASYNC program) take just the link id', () => {
    for (const got of callRoundTrips(Vxi11.CORE_PROG, Vxi11.DEVICE_UNLOCK, encodeLink(3), decodeLink))
      assert.equal(got, 3);
    for (const got of callRoundTrips(Vxi11.ASYNC_PROG, Vxi11.DEVICE_ABORT, encodeLink(-2), decodeLink))
      assert.equal(got, -2);
  });

  it('Device_Error replies: 11 locked, 12 no lock held, 23 abort', () => {
    for (const code of [0, 11, 12, 23])
      for (const got of replyRoundTrips(encodeError(code), decodeError)) assert.equal(got, code);
  });

  it('uses the specification numbers', () => {
    assert.deepEqual(
      [Vxi11.CORE_PROG, Vxi11.ASYNC_PROG, Vxi11.INTR_PROG, Vxi11.DEVICE_ABORT],
      [0x0607af, 0x0607b0, 0x0607b1, 1],
    );
    assert.deepEqual(
      [Vxi11.DEVICE_CLEAR, Vxi11.DEVICE_LOCK, Vxi11.DEVICE_UNLOCK, Vxi11.DESTROY_LINK],
      [15, 18, 19, 23],
    );
  });
});
