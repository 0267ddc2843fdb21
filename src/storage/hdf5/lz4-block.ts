import { compressSync, uncompressSync } from 'lz4-napi';

/**
 * LZ4 blocks (the raw block format, no frame) through lz4-napi, a prebuilt N-API addon
 * (lz4_flex), faster than the pure-TypeScript compressor it replaced and off the JavaScript heap
 * (docs/decisions/0021-lz4-napi-block-compressor.md). Output decodes with any LZ4 block decoder
 * (LZ4_decompress_safe), as HDF5's LZ4 and bitshuffle filters use.
 */

/**
 * lz4-napi's `compressSync` puts the uncompressed size (uint32, little-endian) before the block,
 * and `uncompressSync` expects it there; HDF5's filters store the block alone.
 */
const SIZE_PREFIX = 4;

/** The LZ4 block of `src`, a view of a buffer the addon allocated (no copy of the input). */
export function compressLz4Block(src: Uint8Array): Uint8Array {
  return compressSync(Buffer.from(src.buffer, src.byteOffset, src.byteLength)).subarray(SIZE_PREFIX);
}

/**
 * The bytes of one LZ4 block that decodes to at most `size` bytes (more is an error); the caller
 * checks the length it expected.
 */
export function decompressLz4Block(block: Uint8Array, size: number): Uint8Array {
  const prefixed = Buffer.allocUnsafe(SIZE_PREFIX + block.byteLength);
  prefixed.writeUInt32LE(size, 0);
  prefixed.set(block, SIZE_PREFIX);
  return uncompressSync(prefixed);
}
