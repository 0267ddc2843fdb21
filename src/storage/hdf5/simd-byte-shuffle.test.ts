import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byteShuffle } from './chunk-codecs.ts';
import { simdByteShuffle2 } from './simd-byte-shuffle.ts';

function bytesOf(count: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(count);
  let x = seed;
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

describe('simdByteShuffle2', () => {
  it('is available on Node 24 (WebAssembly SIMD)', () => {
    assert.ok(simdByteShuffle2(new Uint8Array(4)));
  });

  // Around the 16-element step, odd byte counts (a ragged last byte), and a 2 MiB chunk.
  for (const size of [0, 1, 2, 3, 30, 31, 32, 33, 34, 63, 64, 65, 4096 + 13, (1 << 21) + 6]) {
    it(`shuffles ${size} bytes as the JavaScript loop does`, () => {
      const bytes = bytesOf(size, size + 1);
      assert.deepEqual(new Uint8Array(simdByteShuffle2(bytes)!), byteShuffle(bytes, 2));
    });
  }

  it('reads a view at an offset, and gives the same from a larger chunk to a smaller one', () => {
    const big = bytesOf(1 << 20, 5);
    assert.deepEqual(new Uint8Array(simdByteShuffle2(big)!), byteShuffle(big, 2));
    const view = big.subarray(3, 3 + 1002);
    assert.deepEqual(new Uint8Array(simdByteShuffle2(view)!), byteShuffle(view, 2));
  });
});
