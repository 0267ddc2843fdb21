import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AcceptStat, decodeCall, decodeReply, encodeAcceptedReply, encodeCall } from './onc-rpc.ts';
import { XdrError, XdrReader, XdrWriter } from './xdr.ts';

describe('XDR', () => {
  it('encodes integers big-endian and pads opaque data to four bytes', () => {
    const b = new XdrWriter()
      .uint(0x0607af)
      .int(-1)
      .bool(true)
      .string('inst0')
      .opaque(Buffer.alloc(0))
      .toBuffer();
    assert.equal(
      b.toString('hex'),
      '000607af' +
        'ffffffff' +
        '00000001' +
        '00000005' +
        Buffer.from('inst0').toString('hex') +
        '000000' +
        '00000000',
    );
    const r = new XdrReader(b);
    assert.deepEqual(
      [r.uint(), r.int(), r.bool(), r.string(), r.opaque().length, r.remaining],
      [0x0607af, -1, true, 'inst0', 0, 0],
    );
  });

  it('refuses data that ends early or claims an absurd length', () => {
    assert.throws(() => new XdrReader(Buffer.from([0, 0, 0])).uint(), XdrError);
    assert.throws(() => new XdrReader(new XdrWriter().uint(8).uint(1).toBuffer()).opaque(), XdrError);
    assert.throws(() => new XdrReader(new XdrWriter().uint(1000).toBuffer()).opaque(10), XdrError);
  });
});

describe('ONC-RPC messages', () => {
  it('a call carries xid, RPC version 2, program, version, procedure, AUTH_NONE and the arguments', () => {
    const call = encodeCall(0x01020304, 100000, 2, 3, new XdrWriter().uint(0x0607af).toBuffer());
    assert.equal(
      call.toString('hex'),
      [
        '01020304',
        '00000000',
        '00000002',
        '000186a0',
        '00000002',
        '00000003',
        '00000000',
        '00000000',
        '00000000',
        '00000000',
        '000607af',
      ].join(''),
    );
    const decoded = decodeCall(call)!;
    assert.deepEqual(
      [decoded.xid, decoded.prog, decoded.vers, decoded.proc, decoded.args.uint()],
      [0x01020304, 100000, 2, 3, 0x0607af],
    );
  });

  it('a successful reply hands back the results; refusals say why', () => {
    const ok = decodeReply(
      encodeAcceptedReply(7, AcceptStat.SUCCESS, new XdrWriter().uint(4711).toBuffer()),
    )!;
    assert.equal(ok.status, 'success');
    assert.equal(ok.status === 'success' && ok.results.uint(), 4711);
    assert.deepEqual(decodeReply(encodeAcceptedReply(8, AcceptStat.PROC_UNAVAIL)), {
      xid: 8,
      status: 'refused',
      reason: 'PROC_UNAVAIL',
    });
    assert.deepEqual(
      decodeReply(encodeAcceptedReply(9, AcceptStat.PROG_MISMATCH, undefined, { low: 1, high: 1 })),
      {
        xid: 9,
        status: 'refused',
        reason: 'PROG_MISMATCH (server supports versions 1..1)',
      },
    );
    const denied = new XdrWriter().uint(10).uint(1).uint(1).uint(0).uint(2).uint(2).toBuffer();
    assert.deepEqual(decodeReply(denied), {
      xid: 10,
      status: 'denied',
      reason: 'RPC version mismatch (server supports 2..2)',
    });
  });

  it('a call is not a reply, and a reply is not a call', () => {
    assert.equal(decodeReply(encodeCall(1, 2, 3, 4, Buffer.alloc(0))), null);
    assert.equal(decodeCall(encodeAcceptedReply(1, AcceptStat.SUCCESS)), null);
  });
});
