import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DirectChunkWriter } from './direct-chunk-writer.ts';

const root = mkdtempSync(join(tmpdir(), 'benchtop-dio-'));
after(() => rmSync(root, { recursive: true, force: true }));
let files = 0;

/** Bytes that differ at every offset (so a piece written at the wrong place shows). */
function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return bytes;
}

function newFile(): string {
  const path = join(root, `f-${++files}.bin`);
  closeSync(openSync(path, 'w'));
  return path;
}

const supported = (() => {
  const writer = DirectChunkWriter.open(newFile());
  writer?.close();
  return writer !== null;
})();

describe(
  'DirectChunkWriter',
  { skip: supported ? false : `O_DIRECT is not available under ${tmpdir()}` },
  () => {
    it('writes chunks at unaligned positions byte for byte, the aligned middle with O_DIRECT', () => {
      const path = newFile();
      const writer = DirectChunkWriter.open(path);
      assert.ok(writer);
      // Positions and sizes as HDF5 makes them: anywhere, not multiples of the block size.
      const chunks = [
        { position: 14_159, bytes: pattern(2_002_000, 1) },
        { position: 14_159 + 2_002_000, bytes: pattern(8_388_608, 2) },
        { position: 14_159 + 2_002_000 + 8_388_608 + 333, bytes: pattern(1_048_577, 3) },
      ];
      for (const chunk of chunks) writer.write(chunk.bytes, chunk.position);
      writer.close();
      const file = readFileSync(path);
      for (const [i, chunk] of chunks.entries()) {
        const stored = file.subarray(chunk.position, chunk.position + chunk.bytes.byteLength);
        assert.ok(Buffer.from(chunk.bytes).equals(stored), `chunk ${i} reads back as written`);
      }
      assert.equal(writer.fallbackReason, null);
      assert.equal(writer.mode, 'direct');
      const total = chunks.reduce((sum, c) => sum + c.bytes.byteLength, 0);
      assert.ok(writer.directBytes > total - 6 * 4096, `direct ${writer.directBytes} of ${total} bytes`);
      assert.equal(writer.directBytes + writer.bufferedBytes, total);
    });

    it('keeps bytes written around the chunks by another descriptor (HDF5 metadata) intact', () => {
      const path = newFile();
      const metadataFd = openSync(path, 'r+');
      const writer = DirectChunkWriter.open(path);
      assert.ok(writer);
      const header = pattern(3_000, 9);
      writeSync(metadataFd, header, 0, header.byteLength, 0);
      const frame = pattern(4_194_304 + 17, 4);
      writer.write(frame, 3_000);
      // Metadata right after the chunk, in the page its unaligned tail shares.
      const trailer = pattern(700, 5);
      writeSync(metadataFd, trailer, 0, trailer.byteLength, 3_000 + frame.byteLength);
      writer.close();
      closeSync(metadataFd);
      const file = readFileSync(path);
      assert.ok(Buffer.from(header).equals(file.subarray(0, 3_000)));
      assert.ok(Buffer.from(frame).equals(file.subarray(3_000, 3_000 + frame.byteLength)));
      assert.ok(Buffer.from(trailer).equals(file.subarray(3_000 + frame.byteLength)));
    });

    it('writes a chunk smaller than one aligned block through the page cache', () => {
      const path = newFile();
      const writer = DirectChunkWriter.open(path);
      assert.ok(writer);
      const small = pattern(5_000, 6);
      writer.write(small, 100);
      writer.close();
      assert.equal(writer.directBytes, 0);
      assert.ok(Buffer.from(small).equals(readFileSync(path).subarray(100)));
    });
  },
);
