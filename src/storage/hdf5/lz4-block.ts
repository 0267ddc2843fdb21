import { createRequire } from 'node:module';
import { compressSync, uncompressSync } from 'lz4-napi';

/**
 * LZ4 blocks (the raw block format, no frame), as HDF5's LZ4 and bitshuffle filters store them.
 *
 * The system's liblz4 (the library those filters' plugins link) does the work where it loads,
 * called through koffi: it compresses into the caller's buffer, so a block costs no allocation,
 * no fresh pages and no copy, and it runs 2.5–3× faster than lz4-napi's lz4_flex on camera
 * frames (docs/decisions/0025-liblz4-through-koffi.md). Without liblz4 (koffi or the library
 * missing), lz4-napi does it as before (0021), with a copy into the caller's buffer.
 */

/** lz4-napi's blocks carry the uncompressed size (uint32, little-endian) before them; HDF5's do not. */
const SIZE_PREFIX = 4;

export interface Lz4Backend {
  readonly name: string;
  /** Compressed size of `src` written at `dst`, or 0 when it does not fit in `dst`. */
  compressInto(src: Uint8Array, dst: Uint8Array): number;
  /** Decoded size written at `dst`, or negative for a malformed block (or one too large). */
  decompressInto(block: Uint8Array, dst: Uint8Array): number;
}

/** The shared-library names liblz4 goes by (Debian/Ubuntu and most Linux, macOS, Windows). */
const LIBRARY_NAMES = ['liblz4.so.1', 'liblz4.so', 'liblz4.1.dylib', 'liblz4.dylib', 'liblz4.dll', 'lz4.dll'];

/** The system's liblz4 through koffi, or null where koffi or the library is missing. */
export function systemLiblz4(): Lz4Backend | null {
  let koffi: typeof import('koffi');
  try {
    koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  } catch {
    return null;
  }
  for (const name of LIBRARY_NAMES) {
    let lib: ReturnType<typeof koffi.load>;
    try {
      lib = koffi.load(name);
    } catch {
      continue;
    }
    const version = lib.func('const char *LZ4_versionString()')() as string;
    const compress = lib.func(
      'int LZ4_compress_default(const uint8_t *src, uint8_t *dst, int srcSize, int dstCapacity)',
    );
    const decompress = lib.func(
      'int LZ4_decompress_safe(const uint8_t *src, uint8_t *dst, int compressedSize, int dstCapacity)',
    );
    return {
      name: `liblz4 ${version}`,
      compressInto: (src, dst) =>
        dst.byteLength === 0 ? 0 : (compress(src, dst, src.byteLength, dst.byteLength) as number),
      decompressInto: (block, dst) => decompress(block, dst, block.byteLength, dst.byteLength) as number,
    };
  }
  return null;
}

export const lz4Napi: Lz4Backend = {
  name: 'lz4-napi (lz4_flex)',
  compressInto(src, dst) {
    const block = compressSync(Buffer.from(src.buffer, src.byteOffset, src.byteLength)).subarray(SIZE_PREFIX);
    if (block.byteLength > dst.byteLength) return 0;
    dst.set(block);
    return block.byteLength;
  },
  decompressInto(block, dst) {
    const prefixed = Buffer.allocUnsafe(SIZE_PREFIX + block.byteLength);
    prefixed.writeUInt32LE(dst.byteLength, 0);
    prefixed.set(block, SIZE_PREFIX);
    let decoded: Uint8Array;
    try {
      decoded = uncompressSync(prefixed);
    } catch {
      return -1;
    }
    if (decoded.byteLength > dst.byteLength) return -1;
    dst.set(decoded);
    return decoded.byteLength;
  },
};

let chosen: Lz4Backend | undefined;
/** liblz4 where it loads, else lz4-napi; BENCHTOP_LZ4=lz4-napi forces the latter (to compare them). */
function backend(): Lz4Backend {
  chosen ??= process.env.BENCHTOP_LZ4 === 'lz4-napi' ? lz4Napi : (systemLiblz4() ?? lz4Napi);
  return chosen;
}

/** Which LZ4 implementation compresses here (reported by the compression benchmark). */
export function lz4Implementation(): string {
  return backend().name;
}

/** The largest block LZ4 can make of `size` bytes (LZ4_COMPRESSBOUND). */
export function lz4Bound(size: number): number {
  return size + Math.floor(size / 255) + 16;
}

/**
 * Compresses `src` into `dst` and returns the block's size, or 0 when the block does not fit in
 * `dst` (give `dst` lz4Bound(src) bytes to always succeed, or the source's own size to learn
 * that LZ4 does not shrink it). `dst` must not overlap `src`.
 */
export function compressLz4BlockInto(src: Uint8Array, dst: Uint8Array): number {
  return backend().compressInto(src, dst);
}

/**
 * Decodes one LZ4 block into `dst` and returns the decoded size; a malformed block, or one
 * decoding to more than `dst` holds, is an error. The caller checks the size it expected.
 */
export function decompressLz4BlockInto(block: Uint8Array, dst: Uint8Array): number {
  const decoded = backend().decompressInto(block, dst);
  if (decoded < 0)
    throw new Error(
      `LZ4 block of ${block.byteLength} bytes is malformed or decodes to over ${dst.byteLength}`,
    );
  return decoded;
}
