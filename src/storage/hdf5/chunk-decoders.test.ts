import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ChunkScratch, compressChunk, type FrameCodec, filterPipeline } from './chunk-codecs.ts';
import { decodeChunk } from './chunk-decoders.ts';

/** Noisy 16-bit pixels: compressible high bytes, noisy low bytes, as camera frames are. */
function pixels(count: number, seed: number): Uint8Array {
  const px = new Uint16Array(count);
  let x = seed;
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    px[i] = 1000 + ((i >> 6) & 0xff) + (x >>> 28);
  }
  return new Uint8Array(px.buffer);
}

describe('decodeChunk', () => {
  const codecs: [FrameCodec, number][] = [
    ['deflate', 1],
    ['lz4', 0],
    ['lz4', 1],
    ['bitshuffle-lz4', 0],
    ['zstd', 3],
  ];
  // Sizes with ragged ends: not a multiple of 8 elements, more than one bitshuffle block and one LZ4 block.
  for (const count of [1, 7, 4096 + 13, (1 << 19) + 5]) {
    for (const [codec, level] of codecs) {
      it(`undoes ${codec} level ${level} on ${count} uint16 elements`, () => {
        const raw = pixels(count, count);
        const stored = compressChunk(codec, level, 2, raw);
        assert.deepEqual(decodeChunk(stored, filterPipeline(codec, level, 2), raw.byteLength), raw);
      });
    }
  }

  it('gives the same chunks with reused scratch buffers, from chunk to chunk of different sizes', () => {
    for (const [codec, level] of codecs) {
      const scratch: ChunkScratch = {};
      for (const count of [4096 + 13, 7, 1 << 18, 4096 + 13]) {
        const raw = pixels(count, count + 1);
        const stored = new Uint8Array(compressChunk(codec, level, 2, raw, scratch));
        assert.deepEqual(stored, new Uint8Array(compressChunk(codec, level, 2, raw)), `${codec} ${count}`);
        assert.deepEqual(decodeChunk(stored, filterPipeline(codec, level, 2), raw.byteLength), raw);
      }
    }
  });

  it('gives the same chunks written over the chunk itself, and elsewhere when they do not fit in it', () => {
    // Random bytes: LZ4 stores every block as is, so the result is larger than the chunk.
    const incompressible = (count: number) => {
      const bytes = new Uint8Array(2 * count);
      let x = 7;
      for (let i = 0; i < bytes.length; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        bytes[i] = x >>> 24;
      }
      return bytes;
    };
    for (const [codec, level] of codecs) {
      const scratch: ChunkScratch = {};
      for (const raw of [pixels((1 << 19) + 5, 3), pixels(4096 + 13, 4), incompressible(1 << 19)]) {
        const expected = new Uint8Array(compressChunk(codec, level, 2, raw));
        const chunk = raw.slice();
        const stored = compressChunk(codec, level, 2, chunk, scratch, chunk);
        assert.deepEqual(new Uint8Array(stored), expected, `${codec} ${level} ${raw.byteLength} bytes`);
        if (codec.includes('lz4')) {
          assert.equal(
            stored.buffer === chunk.buffer,
            expected.byteLength <= raw.byteLength,
            'over the chunk when it fits',
          );
        }
        assert.deepEqual(decodeChunk(stored, filterPipeline(codec, level, 2), raw.byteLength), raw);
      }
    }
  });

  it('refuses a chunk that decodes to the wrong size', () => {
    const raw = pixels(100, 1);
    const stored = compressChunk('zstd', 1, 2, raw);
    assert.throws(
      () => decodeChunk(stored, filterPipeline('zstd', 1, 2), raw.byteLength + 2),
      /expected 202/,
    );
  });
});
