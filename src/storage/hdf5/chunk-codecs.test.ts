import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { inflateSync, zstdDecompressSync } from 'node:zlib';
import { bitTranspose } from './bit-transpose.ts';
import { byteShuffle, compressChunk, type FrameCodec, filterPipeline } from './chunk-codecs.ts';

const python = '/usr/bin/python3';
const probe = (code: string) => spawnSync(python, ['-c', code], { stdio: 'ignore' }).status === 0;
const h5py = probe('import h5py, numpy');
/** Filters h5py can apply here (Debian's hdf5-filter-plugin has LZ4; bitshuffle and zstd come with PyPI's hdf5plugin). */
const available = (id: number) =>
  h5py &&
  probe(
    `import h5py\ntry:\n  import hdf5plugin\nexcept ImportError:\n  pass\nassert h5py.h5z.filter_avail(${id})`,
  );
const lz4Plugin = available(32004);
const bitshufflePlugin = available(32008);
const zstdPlugin = available(32015);

/** Camera-like frames: a bias, a bright band and Poisson-ish noise, plus edge values 0 and 65535. */
function frames(count: number, height: number, width: number): Uint16Array[] {
  let state = 12345;
  const uniform = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  return Array.from({ length: count }, (_, n) => {
    const pixels = new Uint16Array(height * width);
    for (let i = 0; i < pixels.length; i++) {
      const signal = 100 + (i % width > width / 2 ? 2000 : 0) + n;
      pixels[i] = Math.min(65535, Math.round(signal + Math.sqrt(signal) * (uniform() + uniform() - 1) * 2.4));
    }
    pixels[0] = 0;
    pixels[pixels.length - 1] = 65535;
    return pixels;
  });
}

/** 65536 pixels of full-range noise, then zeros: LZ4 compresses the block, but not its start. */
function noisyStart(length: number): Uint16Array {
  let state = 99;
  return new Uint16Array(length).map((_, i) => {
    if (i >= 65536) return 0;
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 16;
  });
}

const bytesOf = (p: Uint16Array) => new Uint8Array(p.buffer, p.byteOffset, p.byteLength);

/** Bit `bit` of element `i`, the definition bitshuffle's transpose follows. */
function naiveBitTranspose(block: Uint8Array, count: number, size: number): Uint8Array {
  const out = new Uint8Array(count * size);
  for (let i = 0; i < count; i++) {
    for (let bit = 0; bit < size * 8; bit++) {
      const value = (block[i * size + (bit >> 3)]! >> (bit & 7)) & 1;
      out[bit * (count / 8) + (i >> 3)]! |= value << (i & 7);
    }
  }
  return out;
}

describe('chunk codecs', () => {
  it('byte-shuffles as HDF5: first bytes, then second bytes, a ragged tail kept', () => {
    assert.deepEqual([...byteShuffle(Uint8Array.of(1, 2, 3, 4, 5, 6, 7), 2)], [1, 3, 5, 2, 4, 6, 7]);
    assert.deepEqual([...byteShuffle(Uint8Array.of(1, 2, 3, 4, 5, 6), 3)], [1, 4, 2, 5, 3, 6]);
    // A multiple of four elements (the word-at-a-time path) and an odd offset (the byte loop).
    const bytes = new Uint8Array(34).map((_, i) => i * 7 + 1);
    const expected = (b: Uint8Array) => {
      const n = Math.floor(b.length / 2);
      return [
        ...Array.from({ length: n }, (_, i) => b[2 * i]!),
        ...Array.from({ length: n }, (_, i) => b[2 * i + 1]!),
        ...b.subarray(2 * n),
      ];
    };
    assert.deepEqual([...byteShuffle(bytes.subarray(0, 32), 2)], expected(bytes.subarray(0, 32)));
    assert.deepEqual([...byteShuffle(bytes.subarray(1, 34), 2)], expected(bytes.subarray(1, 34)));
  });

  it('bit-transposes as bitshuffle defines it, for 1, 2 and 4 byte elements', () => {
    // 64 and 4096 elements take the uint16 word path; 40 (not a multiple of 32) and an odd
    // offset the byte loop.
    for (const [size, count, offset] of [
      [1, 64, 0],
      [2, 64, 0],
      [2, 4096, 0],
      [2, 40, 0],
      [2, 64, 1],
      [4, 64, 0],
    ] as const) {
      const bytes = new Uint8Array(offset + count * size).map((_, i) => (i * 37 + (i >> 3) * 11) & 0xff);
      const block = bytes.subarray(offset);
      const out = new Uint8Array(count * size);
      bitTranspose(block, count, size, out, 0);
      assert.deepEqual(
        out,
        naiveBitTranspose(block, count, size),
        `element size ${size}, ${count}, +${offset}`,
      );
    }
  });

  it('deflate and zstd chunks decode (node:zlib) to the shuffled frame', () => {
    const [pixels] = frames(1, 64, 96);
    const shuffled = byteShuffle(bytesOf(pixels!), 2);
    assert.deepEqual(new Uint8Array(inflateSync(compressChunk('deflate', 1, 2, bytesOf(pixels!)))), shuffled);
    assert.deepEqual(
      new Uint8Array(zstdDecompressSync(compressChunk('zstd', 3, 2, bytesOf(pixels!)))),
      shuffled,
    );
  });

  it('lz4 level 1 stores a block whose start LZ4 cannot shrink as is; level 0 compresses it', () => {
    const pixels = noisyStart(1024 * 1536);
    const blockSize = (chunk: Uint8Array) => new DataView(chunk.buffer, chunk.byteOffset).getUint32(12);
    // Block 0 is the first MiB of the shuffled low bytes: 64 KiB of noise, then zeros.
    assert.equal(blockSize(compressChunk('lz4', 1, 2, bytesOf(pixels))), 1 << 20);
    assert.ok(blockSize(compressChunk('lz4', 0, 2, bytesOf(pixels))) < 1 << 17);
  });

  describe('read back by h5py through the declared filters, every pixel', () => {
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-codecs-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    const check = (codecs: FrameCodec[], height: number, width: number, level = 1) => {
      const raw = frames(3, height, width);
      // Frames 0..2, an all-zero and an all-max chunk (long runs, LZ4 length bytes past 255), and
      // one whose first MiB of shuffled bytes lz4 level 1 stores as is.
      raw.push(
        new Uint16Array(height * width),
        new Uint16Array(height * width).fill(65535),
        noisyStart(height * width),
      );
      const framesPath = join(dir, `frames-${height}x${width}.raw`);
      writeFileSync(framesPath, Buffer.concat(raw.map((p) => bytesOf(p))));
      const datasets = codecs.map((codec) => ({
        name: codec,
        filters: filterPipeline(codec, level, 2),
        chunks: raw.map((p, i) => {
          const path = join(dir, `${codec}-${height}x${width}-${i}.chunk`);
          writeFileSync(path, compressChunk(codec, level, 2, bytesOf(p)));
          return path;
        }),
      }));
      const specPath = join(dir, `spec-${height}x${width}-${level}.json`);
      const file = join(dir, `direct-${height}x${width}-${level}.h5`);
      writeFileSync(specPath, JSON.stringify({ file, height, width, frames: framesPath, datasets }));
      const script = new URL('./test-support/read_direct_chunks.py', import.meta.url).pathname;
      const result = spawnSync(python, [script, specPath], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      const outcome = JSON.parse(result.stdout) as Record<string, { equal: boolean; frames: number }>;
      for (const codec of codecs)
        assert.deepEqual(outcome[codec], { equal: true, frames: raw.length }, codec);
    };

    it(
      'deflate (shuffle + deflate, built into HDF5)',
      { skip: !h5py && 'python3-h5py not installed' },
      () => {
        check(['deflate'], 256, 320);
      },
    );

    it(
      'deflate with a ragged shuffle tail (99 × 101 pixels)',
      { skip: !h5py && 'python3-h5py not installed' },
      () => {
        check(['deflate'], 99, 101);
      },
    );

    it(
      'lz4 (shuffle + HDF5 LZ4 filter 32004)',
      {
        skip:
          !lz4Plugin && 'HDF5 LZ4 filter 32004 not available to h5py (apt-get install hdf5-filter-plugin)',
      },
      () => {
        check(['lz4'], 256, 320, 0);
        check(['lz4'], 99, 101, 0);
        // Level 1 stores noisy blocks as they are: 1 MiB blocks, so frames large enough to have them.
        check(['lz4'], 1024, 1536, 1);
      },
    );

    it(
      'bitshuffle-lz4: whole blocks, and a ragged last block and tail',
      {
        skip:
          !bitshufflePlugin &&
          'bitshuffle filter 32008 not available to h5py (Debian bookworm packages no bitshuffle HDF5 plugin; PyPI hdf5plugin has it)',
      },
      () => {
        check(['bitshuffle-lz4'], 256, 320);
        // 99 × 101 pixels: the last bitshuffle block is partial and 3 elements are copied as is.
        check(['bitshuffle-lz4'], 99, 101);
      },
    );

    it(
      'zstd (shuffle + filter 32015)',
      {
        skip:
          !zstdPlugin &&
          'zstd filter 32015 not available to h5py (Debian bookworm packages no zstd HDF5 plugin; PyPI hdf5plugin has it)',
      },
      () => {
        check(['zstd'], 256, 320);
        check(['zstd'], 99, 101);
      },
    );
  });
});
