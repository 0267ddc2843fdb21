import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import { byteShuffle, filterPipeline } from './chunk-codecs.ts';
import { ChunkCompressorPool, type CompressedChunk } from './chunk-compressor-pool.ts';
import { decodeChunk } from './chunk-decoders.ts';

const chunkOf = (n: number) => new Uint8Array(64 * 1024).map((_, i) => (i * 31 + n * 7) & 0xff);

describe('ChunkCompressorPool', () => {
  it('compresses on two threads and delivers in submission order', async () => {
    const got: CompressedChunk[] = [];
    let resolveAll!: () => void;
    const all = new Promise<void>((resolve) => {
      resolveAll = resolve;
    });
    const pool = new ChunkCompressorPool({
      codec: 'deflate',
      level: 1,
      elementSize: 2,
      capacity: 16,
      threads: 2,
      onCompressed: (chunk) => {
        got.push(chunk);
        if (got.length === 10) resolveAll();
      },
      onError: (error) => assert.fail(error),
    });
    for (let n = 0; n < 10; n++) assert.equal(pool.submit(chunkOf(n)), n);
    await all;
    assert.deepEqual(
      got.map((c) => c.seq),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    for (const chunk of got) {
      assert.deepEqual(new Uint8Array(inflateSync(chunk.compressed)), byteShuffle(chunkOf(chunk.seq), 2));
    }
    const stats = pool.stats();
    assert.equal(stats.threads, 2);
    assert.equal(stats.queued, 0);
    assert.equal(stats.overflow, 0);
    assert.equal(stats.rawBytes, 10 * 64 * 1024);
    await pool.close();
  });

  for (const [codec, level] of [
    ['lz4', 0],
    ['lz4', 1],
    ['bitshuffle-lz4', 0],
  ] as const) {
    it(`sends ${codec} level ${level} chunks back in the submitted buffer, decoding to what was submitted`, async () => {
      const got: CompressedChunk[] = [];
      const { promise, resolve } = Promise.withResolvers<void>();
      const pool = new ChunkCompressorPool({
        codec,
        level,
        elementSize: 2,
        capacity: 4,
        threads: 1,
        onCompressed: (chunk) => {
          got.push(chunk);
          if (got.length === 3) resolve();
        },
        onError: (error) => assert.fail(error),
      });
      for (let n = 0; n < 3; n++) pool.submit(chunkOf(n));
      await promise;
      for (const chunk of got) {
        assert.equal(chunk.compressed.buffer.byteLength, 64 * 1024, "the chunk's own buffer, overwritten");
        assert.ok(chunk.compressed.byteLength < 64 * 1024);
        assert.deepEqual(
          decodeChunk(chunk.compressed, filterPipeline(codec, level, 2), 64 * 1024),
          chunkOf(chunk.seq),
        );
      }
      assert.equal(pool.stats().rawBytes, 3 * 64 * 1024);
      await pool.close();
    });
  }

  it('refuses and counts chunks beyond its capacity instead of queueing them', async () => {
    let delivered = 0;
    let resolveAll!: () => void;
    const all = new Promise<void>((resolve) => {
      resolveAll = resolve;
    });
    const pool = new ChunkCompressorPool({
      codec: 'bitshuffle-lz4',
      level: 0,
      elementSize: 2,
      capacity: 3,
      threads: 1,
      onCompressed: () => {
        if (++delivered === 3) resolveAll();
      },
      onError: (error) => assert.fail(error),
    });
    const seqs = [0, 1, 2, 3, 4].map((n) => pool.submit(chunkOf(n)));
    assert.deepEqual(seqs, [0, 1, 2, null, null]);
    assert.equal(pool.stats().overflow, 2);
    assert.equal(pool.stats().peak, 3);
    await all;
    assert.equal(pool.submit(chunkOf(5)), 3, 'room again once chunks were delivered');
    await pool.close();
  });
});
