import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.ts';
import { isBenchtopError } from '../../core/errors.ts';
import type { ByteTransport } from '../../transports/transport.ts';
import { ModbusConnection } from './modbus-connection.ts';
import { type Adu, decodeAdu, decodeRequest, encodeAdu, encodeResponse } from './modbus-pdu.ts';

/** A PLC at the end of a fake wire: records every write (a system call) and answers on demand. */
function fakeWire() {
  const writes: Buffer[] = [];
  let receive: (chunk: Uint8Array) => void = () => {};
  const transport: ByteTransport = {
    address: 'fake://plc',
    isOpen: true,
    open: async () => {},
    write: async (data) => {
      writes.push(Buffer.from(data));
    },
    onData: (r) => {
      receive = r;
    },
    onClose: () => {},
    close: async () => {},
  };
  /** The requests of every write so far, frame by frame (a write may carry several). */
  const requests = (): Adu[] => {
    const out: Adu[] = [];
    for (const w of writes) {
      for (let at = 0; at < w.length; ) {
        const length = w.readUInt16BE(at + 4);
        out.push(decodeAdu(w.subarray(at, at + 6 + length)));
        at += 6 + length;
      }
    }
    return out;
  };
  /** Answers a request with its start address in every register. */
  const answer = (adu: Adu) => {
    const r = decodeRequest(adu.pdu) as { fc: 3; address: number; quantity: number };
    const pdu = encodeResponse({ fc: 3, registers: Array(r.quantity).fill(r.address) });
    receive(encodeAdu(adu.transactionId, adu.unitId, pdu));
  };
  return { transport, writes, requests, answer };
}

const read = (address: number) => ({ fc: 3 as const, address, quantity: 2 });
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ModbusConnection', () => {
  it('one request in flight by default: the next is written only after the reply', async () => {
    const wire = fakeWire();
    const c = new ModbusConnection(wire.transport, { unitId: 1, timeoutMs: 1000, clock: new ManualClock() });
    const a = c.request(read(10));
    const b = c.request(read(20));
    await settle();
    assert.equal(wire.requests().length, 1);
    wire.answer(wire.requests()[0]!);
    await settle();
    assert.equal(wire.requests().length, 2);
    wire.answer(wire.requests()[1]!);
    assert.deepEqual(await a, { fc: 3, registers: [10, 10] });
    assert.deepEqual(await b, { fc: 3, registers: [20, 20] });
  });

  it('with maxInFlight, writes the requests of one turn together and matches replies in any order by transaction id', async () => {
    const wire = fakeWire();
    const c = new ModbusConnection(wire.transport, {
      unitId: 1,
      timeoutMs: 1000,
      clock: new ManualClock(),
      maxInFlight: 3,
    });
    const replies = [10, 20, 30, 40].map((address) => c.request(read(address)));
    await settle();
    // Three in one write; the fourth waits for a free slot.
    assert.equal(wire.writes.length, 1);
    const sent = wire.requests();
    assert.equal(sent.length, 3);
    assert.equal(new Set(sent.map((r) => r.transactionId)).size, 3);
    wire.answer(sent[2]!);
    wire.answer(sent[0]!);
    await settle();
    assert.equal(wire.requests().length, 4, 'a reply freed a slot');
    wire.answer(sent[1]!);
    wire.answer(wire.requests()[3]!);
    const got = await Promise.all(replies);
    assert.deepEqual(
      got.map((r) => ('registers' in r ? r.registers[0] : null)),
      [10, 20, 30, 40],
    );
  });

  it('a timeout fails every request in flight and every one waiting', async () => {
    const wire = fakeWire();
    const clock = new ManualClock();
    const c = new ModbusConnection(wire.transport, { unitId: 1, timeoutMs: 100, clock, maxInFlight: 2 });
    const replies = [1, 2, 3].map((address) =>
      c.request(read(address)).then(
        () => 'answered',
        (e: unknown) => (isBenchtopError(e) ? e.code : String(e)),
      ),
    );
    await settle();
    await clock.advance(100);
    assert.deepEqual(await Promise.all(replies), [
      'INSTRUMENT_TIMEOUT',
      'INSTRUMENT_TIMEOUT',
      'INSTRUMENT_TIMEOUT',
    ]);
  });
});
