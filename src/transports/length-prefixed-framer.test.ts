import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enipFormat, FrameLengthError, LengthPrefixedFramer, mbapFormat } from './length-prefixed-framer.ts';

/** An MBAP frame: transaction id, protocol 0, length, unit, then the PDU. */
function mbap(transaction: number, unit: number, pdu: number[]): Buffer {
  const frame = Buffer.alloc(7 + pdu.length);
  frame.writeUInt16BE(transaction, 0);
  frame.writeUInt16BE(0, 2);
  frame.writeUInt16BE(pdu.length + 1, 4);
  frame.writeUInt8(unit, 6);
  Buffer.from(pdu).copy(frame, 7);
  return frame;
}

function enip(command: number, data: number[]): Buffer {
  const frame = Buffer.alloc(24 + data.length);
  frame.writeUInt16LE(command, 0);
  frame.writeUInt16LE(data.length, 2);
  Buffer.from(data).copy(frame, 24);
  return frame;
}

describe('LengthPrefixedFramer', () => {
  it('keeps what it needs of a chunk that is lent (a TCP read buffer reused for the next read)', () => {
    const a = mbap(1, 17, [0x03, 0x00, 0x00, 0x00, 0x0a]);
    const b = mbap(2, 17, [0x83, 0x02]);
    const stream = Buffer.concat([a, b]);
    for (let cut = 1; cut < stream.length; cut++) {
      const frames: Buffer[] = [];
      const framer = new LengthPrefixedFramer(mbapFormat, (f) => frames.push(f));
      const readBuffer = Buffer.alloc(stream.length);
      for (const part of [stream.subarray(0, cut), stream.subarray(cut)]) {
        part.copy(readBuffer);
        framer.push(readBuffer.subarray(0, part.length));
        readBuffer.fill(0xee); // the socket's next read overwrites it
      }
      assert.deepEqual(frames, [a, b], `cut at ${cut}`);
    }
  });

  it('emits the same MBAP frames wherever the stream is split, including three-way splits', () => {
    const a = mbap(1, 17, [0x03, 0x00, 0x00, 0x00, 0x0a]);
    const b = mbap(2, 17, [0x83, 0x02]);
    const stream = Buffer.concat([a, b]);
    for (let i = 0; i <= stream.length; i++) {
      for (let j = i; j <= stream.length; j++) {
        const frames: Buffer[] = [];
        const framer = new LengthPrefixedFramer(mbapFormat, (f) => frames.push(f));
        framer.push(stream.subarray(0, i));
        framer.push(stream.subarray(i, j));
        framer.push(stream.subarray(j));
        assert.deepEqual(frames, [a, b], `split at ${i}/${j}`);
        assert.equal(framer.pending, 0);
      }
    }
  });

  it('frames an EtherNet/IP packet with an empty body and one with data, byte by byte', () => {
    const a = enip(0x65, [1, 0, 0, 0]);
    const b = enip(0x66, []);
    const frames: Buffer[] = [];
    const framer = new LengthPrefixedFramer(enipFormat, (f) => frames.push(f));
    for (const byte of Buffer.concat([a, b])) framer.push(Uint8Array.of(byte));
    assert.deepEqual(frames, [a, b]);
  });

  it('keeps a partial frame pending and emits copies that survive reuse of the chunk', () => {
    const frame = mbap(7, 1, [0x01, 0x00, 0x00, 0x00, 0x08]);
    const frames: Buffer[] = [];
    const framer = new LengthPrefixedFramer(mbapFormat, (f) => frames.push(f));
    const chunk = Buffer.from(frame);
    framer.push(chunk.subarray(0, 9));
    assert.equal(frames.length, 0);
    assert.equal(framer.pending, 9);
    framer.push(chunk.subarray(9));
    chunk.fill(0);
    assert.deepEqual(frames, [frame]);
  });

  it('refuses a header announcing an impossible length and starts over', () => {
    const framer = new LengthPrefixedFramer(mbapFormat, () => {});
    const bad = mbap(1, 1, [0x03]);
    bad.writeUInt16BE(400, 4);
    assert.throws(
      () => framer.push(bad),
      (e: unknown) => e instanceof FrameLengthError && /Modbus TCP.*406-byte/.test(e.message),
    );
    assert.equal(framer.pending, 0);
    const zero = mbap(1, 1, []);
    zero.writeUInt16BE(0, 4);
    assert.throws(() => framer.push(zero), FrameLengthError);
  });
});
