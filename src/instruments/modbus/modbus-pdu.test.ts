import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LengthPrefixedFramer, mbapFormat } from '../../transports/length-prefixed-framer.ts';
import {
  decodeAdu,
  decodeRequest,
  decodeResponse,
  encodeAdu,
  encodeRequest,
  encodeResponse,
  ModbusExceptionError,
  ModbusFormatError,
  type ModbusRequest,
  type ModbusResponse,
} from './modbus-pdu.ts';

const hex = (b: Buffer) => b.toString('hex');

describe('Modbus PDU codec', () => {
  it('encodes requests as the specification shows them', () => {
    // Examples from the Modbus Application Protocol specification v1.1b3.
    assert.equal(hex(encodeRequest({ fc: 1, address: 19, quantity: 19 })), '0100130013');
    assert.equal(hex(encodeRequest({ fc: 3, address: 107, quantity: 3 })), '03006b0003');
    assert.equal(hex(encodeRequest({ fc: 5, address: 172, value: true })), '0500acff00');
    assert.equal(hex(encodeRequest({ fc: 6, address: 1, value: 3 })), '0600010003');
    assert.equal(
      hex(encodeRequest({ fc: 15, address: 19, values: [1, 0, 1, 1, 0, 0, 1, 1, 1, 0].map(Boolean) })),
      '0f0013000a02cd01',
    );
    assert.equal(
      hex(encodeRequest({ fc: 16, address: 1, values: [0x000a, 0x0102] })),
      '100001000204000a0102',
    );
    assert.equal(
      hex(
        encodeRequest({
          fc: 23,
          readAddress: 3,
          readQuantity: 6,
          writeAddress: 14,
          values: [0xff, 0xff, 0xff],
        }),
      ),
      '1700030006000e00030600ff00ff00ff',
    );
  });

  it('round-trips every request through the server decoder', () => {
    const requests: ModbusRequest[] = [
      { fc: 1, address: 0, quantity: 2000 },
      { fc: 2, address: 15, quantity: 27 },
      { fc: 3, address: 2000, quantity: 125 },
      { fc: 4, address: 65535, quantity: 1 },
      { fc: 5, address: 10, value: false },
      { fc: 6, address: 2, value: 0xffff },
      { fc: 15, address: 15, values: [true, false, true, true, false, true, false, false, true] },
      { fc: 16, address: 2066, values: [0, 0x3f80] },
      { fc: 23, readAddress: 2060, readQuantity: 4, writeAddress: 2066, values: [1, 2] },
    ];
    for (const r of requests) assert.deepEqual(decodeRequest(encodeRequest(r)), r);
  });

  it('round-trips every reply through the client decoder', () => {
    const cases: [ModbusRequest, ModbusResponse][] = [
      [
        { fc: 1, address: 0, quantity: 10 },
        { fc: 1, bits: [1, 0, 0, 1, 1, 0, 1, 0, 1, 1].map(Boolean) },
      ],
      [
        { fc: 2, address: 0, quantity: 3 },
        { fc: 2, bits: [true, false, true] },
      ],
      [
        { fc: 3, address: 0, quantity: 2 },
        { fc: 3, registers: [0, 0x3f80] },
      ],
      [
        { fc: 4, address: 0, quantity: 1 },
        { fc: 4, registers: [42] },
      ],
      [
        { fc: 5, address: 7, value: true },
        { fc: 5, address: 7, value: true },
      ],
      [
        { fc: 6, address: 7, value: 9 },
        { fc: 6, address: 7, value: 9 },
      ],
      [
        { fc: 15, address: 3, values: [true, true] },
        { fc: 15, address: 3, quantity: 2 },
      ],
      [
        { fc: 16, address: 3, values: [1, 2, 3] },
        { fc: 16, address: 3, quantity: 3 },
      ],
      [
        { fc: 23, readAddress: 0, readQuantity: 2, writeAddress: 9, values: [5] },
        { fc: 23, registers: [7, 8] },
      ],
      [
        { fc: 3, address: 0, quantity: 2 },
        { fc: 3, exception: 2 },
      ],
    ];
    for (const [request, response] of cases) {
      assert.deepEqual(decodeResponse(encodeResponse(response), request), response);
    }
    assert.equal(hex(encodeResponse({ fc: 3, exception: 2 })), '8302');
  });

  it('answers malformed requests with the exception a server must send', () => {
    const code = (pdu: number[]) => {
      try {
        decodeRequest(Buffer.from(pdu));
        return 0;
      } catch (error) {
        assert.ok(error instanceof ModbusExceptionError);
        return error.exception;
      }
    };
    assert.equal(code([0x2b, 0x0e, 0x01, 0x00]), 1, 'unsupported function');
    assert.equal(code([0x03, 0x00, 0x00, 0x00, 0x7e]), 3, '126 registers');
    assert.equal(code([0x03, 0x00, 0x00, 0x00, 0x00]), 3, 'zero registers');
    assert.equal(code([0x01, 0x00, 0x00, 0x07, 0xd1]), 3, '2001 bits');
    assert.equal(code([0x05, 0x00, 0x01, 0x12, 0x34]), 3, 'coil value neither FF00 nor 0000');
    assert.equal(code([0x10, 0x00, 0x01, 0x00, 0x02, 0x03, 0, 1, 0, 2]), 3, 'byte count does not match');
    assert.equal(code([0x0f, 0x00, 0x01, 0x00, 0x09, 0x01, 0xff]), 3, 'nine bits in one byte');
    assert.equal(code([0x03, 0x00]), 3, 'truncated');
    assert.equal(code([0x17, 0, 0, 0, 1, 0, 0, 0, 1, 2, 0]), 3, 'FC23 data shorter than its byte count');
  });

  it('refuses replies that do not answer the request', () => {
    const request: ModbusRequest = { fc: 3, address: 100, quantity: 2 };
    const bad = [
      [0x03],
      [0x04, 0x04, 0, 0, 0, 0],
      [0x03, 0x02, 0, 0],
      [0x03, 0x04, 0, 0, 0],
      [0x03, 0x04, 0, 0, 0, 0, 0],
    ];
    for (const pdu of bad) assert.throws(() => decodeResponse(Buffer.from(pdu), request), ModbusFormatError);
    assert.throws(
      () => decodeResponse(Buffer.from([0x06, 0, 2, 0, 1]), { fc: 6, address: 1, value: 1 }),
      /echo of address 2/,
    );
  });

  it('frames MBAP split anywhere and keeps transaction and unit ids', () => {
    const a = encodeAdu(0x1234, 17, encodeRequest({ fc: 3, address: 2060, quantity: 2 }));
    const b = encodeAdu(0xffff, 1, encodeResponse({ fc: 1, bits: [true, false, true] }));
    assert.equal(hex(a), '12340000000611030' + '80c0002');
    const stream = Buffer.concat([a, b]);
    for (let i = 0; i <= stream.length; i++) {
      const adus: ReturnType<typeof decodeAdu>[] = [];
      const framer = new LengthPrefixedFramer(mbapFormat, (f) => adus.push(decodeAdu(f)));
      framer.push(stream.subarray(0, i));
      framer.push(stream.subarray(i));
      assert.equal(adus.length, 2, `split at ${i}`);
      assert.deepEqual(
        adus.map((x) => [x.transactionId, x.protocolId, x.unitId]),
        [
          [0x1234, 0, 17],
          [0xffff, 0, 1],
        ],
      );
      assert.deepEqual(decodeRequest(adus[0]!.pdu), { fc: 3, address: 2060, quantity: 2 });
      assert.deepEqual(decodeResponse(adus[1]!.pdu, { fc: 1, address: 0, quantity: 3 }), {
        fc: 1,
        bits: [true, false, true],
      });
    }
  });

  it('rejects an MBAP header announcing an impossible length', () => {
    const framer = new LengthPrefixedFramer(mbapFormat, () => assert.fail('no frame expected'));
    assert.throws(() => framer.push(Buffer.from([0, 1, 0, 0, 0x01, 0x00, 1])), /stream out of step/);
  });
});
