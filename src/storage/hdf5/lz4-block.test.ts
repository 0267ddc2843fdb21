import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Lz4Backend, lz4Bound, lz4Implementation, lz4Napi, systemLiblz4 } from './lz4-block.ts';

/** 16-bit camera-like bytes: a smooth pattern with noise in the low bytes. */
function pixels(count: number): Uint8Array {
  const bytes = new Uint8Array(2 * count);
  let x = 11;
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const value = 1000 + ((i >> 6) % 200) + (x >>> 29);
    bytes[2 * i] = value & 0xff;
    bytes[2 * i + 1] = value >> 8;
  }
  return bytes;
}

function random(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = 3;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

const liblz4 = systemLiblz4();
const backends: [string, Lz4Backend | null][] = [
  ['liblz4', liblz4],
  ['lz4-napi', lz4Napi],
];

describe('LZ4 blocks', () => {
  it('uses the system liblz4 where it loads (Debian: liblz4-1)', () => {
    assert.ok(liblz4, 'liblz4.so.1 did not load through koffi');
    assert.match(lz4Implementation(), /^liblz4 1\.\d+\.\d+$/);
  });

  for (const [name, backend] of backends) {
    it(`${name}: compresses into the caller's buffer, 0 when the block does not fit, and back`, (t) => {
      if (!backend) return t.skip('liblz4 not loadable');
      for (const src of [pixels(1 << 19), pixels(1000).subarray(3, 1003), new Uint8Array(0)]) {
        const dst = new Uint8Array(lz4Bound(src.byteLength) + 8).subarray(8);
        const size = backend.compressInto(src, dst);
        assert.ok(size > 0, `${src.byteLength} bytes compressed`);
        const block = dst.subarray(0, size);
        const back = new Uint8Array(src.byteLength + 5);
        assert.equal(backend.decompressInto(block, back), src.byteLength);
        assert.deepEqual(back.subarray(0, src.byteLength), src);
        // One byte less than the block needs: nothing written that claims to be a block.
        assert.equal(backend.compressInto(src, new Uint8Array(size - 1)), 0);
      }
      const noise = random(65536);
      assert.equal(
        backend.compressInto(noise, new Uint8Array(noise.byteLength - 1)),
        0,
        'random bytes do not shrink',
      );
    });

    it(`${name}: a malformed block, or one decoding to more than the room, is refused`, (t) => {
      if (!backend) return t.skip('liblz4 not loadable');
      const src = pixels(4096);
      const dst = new Uint8Array(lz4Bound(src.byteLength));
      const block = dst.subarray(0, backend.compressInto(src, dst));
      assert.ok(backend.decompressInto(block, new Uint8Array(src.byteLength - 1)) < 0);
      assert.ok(
        backend.decompressInto(block.subarray(0, block.byteLength - 7), new Uint8Array(src.byteLength)) < 0,
      );
    });
  }

  it("each implementation decodes the other's blocks (both are the LZ4 block format)", (t) => {
    if (!liblz4) return t.skip('liblz4 not loadable');
    const src = pixels(1 << 18);
    for (const [from, to] of [
      [liblz4, lz4Napi],
      [lz4Napi, liblz4],
    ] as const) {
      const dst = new Uint8Array(lz4Bound(src.byteLength));
      const block = dst.subarray(0, from.compressInto(src, dst));
      const back = new Uint8Array(src.byteLength);
      assert.equal(to.decompressInto(block, back), src.byteLength);
      assert.deepEqual(back, src);
    }
  });
});
