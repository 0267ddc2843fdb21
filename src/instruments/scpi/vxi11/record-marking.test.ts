import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeRecord, RecordDecoder, RecordTooLargeError } from './record-marking.ts';

const bytes = (...values: number[]) => Buffer.from(values);

describe('ONC-RPC record marking', () => {
  it('frames a payload as one last fragment', () => {
    assert.deepEqual(encodeRecord(bytes(1, 2, 3)), bytes(0x80, 0, 0, 3, 1, 2, 3));
    assert.deepEqual(encodeRecord(Buffer.alloc(0)), bytes(0x80, 0, 0, 0));
  });

  it('splits a payload into fragments, the last one marked', () => {
    assert.deepEqual(
      encodeRecord(bytes(1, 2, 3, 4, 5), 2),
      bytes(0, 0, 0, 2, 1, 2, 0, 0, 0, 2, 3, 4, 0x80, 0, 0, 1, 5),
    );
  });

  it('decodes records fed one byte at a time, headers split too', () => {
    const records: Buffer[] = [];
    const decoder = new RecordDecoder((r) => records.push(r));
    const stream = Buffer.concat([encodeRecord(bytes(9, 8, 7, 6, 5), 2), encodeRecord(bytes(42))]);
    for (const b of stream) decoder.push(bytes(b));
    assert.deepEqual(records, [bytes(9, 8, 7, 6, 5), bytes(42)]);
  });

  it('decodes several records in one chunk and a record split across chunks at every position', () => {
    const stream = Buffer.concat([
      encodeRecord(bytes(1, 2, 3)),
      encodeRecord(bytes(4, 5), 1),
      encodeRecord(bytes(6)),
    ]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const records: Buffer[] = [];
      const decoder = new RecordDecoder((r) => records.push(r));
      decoder.push(stream.subarray(0, cut));
      decoder.push(stream.subarray(cut));
      assert.deepEqual(records, [bytes(1, 2, 3), bytes(4, 5), bytes(6)], `cut at ${cut}`);
    }
  });

  it('keeps what it needs of a chunk that is lent (a TCP read buffer reused for the next read)', () => {
    const stream = Buffer.concat([encodeRecord(bytes(1, 2, 3, 4, 5, 6), 4), encodeRecord(bytes(7, 8, 9))]);
    for (let cut = 1; cut < stream.length; cut++) {
      const records: Buffer[] = [];
      const decoder = new RecordDecoder((r) => records.push(Buffer.from(r)));
      const readBuffer = Buffer.alloc(stream.length);
      for (const part of [stream.subarray(0, cut), stream.subarray(cut)]) {
        part.copy(readBuffer);
        decoder.push(readBuffer.subarray(0, part.length));
        readBuffer.fill(0xee); // the socket's next read overwrites it
      }
      assert.deepEqual(records, [bytes(1, 2, 3, 4, 5, 6), bytes(7, 8, 9)], `cut at ${cut}`);
    }
  });

  it('emits nothing until the last fragment arrives', () => {
    const records: Buffer[] = [];
    const decoder = new RecordDecoder((r) => records.push(r));
    decoder.push(bytes(0, 0, 0, 1, 7));
    assert.deepEqual(records, []);
    decoder.push(bytes(0x80, 0, 0, 1, 8));
    assert.deepEqual(records, [bytes(7, 8)]);
  });

  it('refuses a record larger than its limit (garbage in the stream)', () => {
    const decoder = new RecordDecoder(() => {}, 1024);
    assert.throws(() => decoder.push(Buffer.from('\u0000\u00ff#@!garbage', 'latin1')), RecordTooLargeError);
    const total = new RecordDecoder(() => {}, 4);
    total.push(bytes(0, 0, 0, 3, 1, 2, 3));
    assert.throws(
      () => total.push(bytes(0x80, 0, 0, 2, 4, 5)),
      RecordTooLargeError,
      'fragments count together',
    );
  });
});
