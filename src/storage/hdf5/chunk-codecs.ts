import { constants, deflateSync, zstdCompressSync } from 'node:zlib';
import { bitTranspose, LITTLE_ENDIAN } from './bit-transpose.ts';
import { compressLz4BlockInto, lz4Bound } from './lz4-block.ts';
import { simdByteShuffle2 } from './simd-byte-shuffle.ts';

/**
 * Lossless codecs for camera frame chunks, producing exactly the bytes HDF5's filters store, so
 * a chunk compressed here and written as-is (direct chunk write) is decompressed by any reader
 * that has the filter:
 *
 * - `deflate`: the byte shuffle filter (H5Z_FILTER_SHUFFLE, 2) then deflate (H5Z_FILTER_DEFLATE,
 *   1), zlib format, as h5py's `shuffle=True, compression='gzip'`. Built into every HDF5.
 * - `lz4`: byte shuffle, then the HDF5 LZ4 filter (32004; Debian's hdf5-filter-plugin): a 12-byte
 *   header (uncompressed size as big-endian uint64, block size as big-endian uint32), then per
 *   block a big-endian uint32 size and the LZ4 block, or the block as is when LZ4 does not
 *   shrink it (its stored size then equals the block's).
 *   `level` 1 (fast) stores a block as is straight away when LZ4 shrinks its first 64 KiB by less
 *   than a quarter: on camera frames that is the shuffled low bytes, which are mostly shot
 *   noise (LZ4 gets ≈ 1.1× there at ≈ 10× the time of the high bytes); level 0 compresses every
 *   block, as HDF5's own LZ4 filter does. Either decodes with any LZ4 filter.
 * - `zstd`: byte shuffle, then a Zstandard frame with its content size (filter 32015, the
 *   HDF5Plugin-Zstandard format that hdf5plugin and Debian's hdf5-filter-plugin read).
 * - `bitshuffle-lz4`: filter 32008 (bitshuffle with LZ4): a 12-byte header (uncompressed size as
 *   big-endian uint64, block size in bytes as big-endian uint32), then per block a big-endian
 *   uint32 compressed size and the LZ4 block of that block's bit-transposed data; elements that
 *   do not fill a multiple of 8 at the end are copied as they are.
 *
 * node:zlib's deflate and zstd and lz4-napi's LZ4 (lz4-block.ts) are native and release nothing
 * to JavaScript but the output; the byte shuffle of 2-byte pixels runs in WebAssembly SIMD
 * (simd-byte-shuffle.ts), other shuffles are plain loops over typed arrays.
 */
export type FrameCodec = 'deflate' | 'lz4' | 'zstd' | 'bitshuffle-lz4';

/** Bytes per block of the `lz4` codec (the filter's own default, 1 GiB, would make a chunk one block). */
const LZ4_FILTER_BLOCK = 1 << 20;

export interface FilterSpec {
  /** HDF5 filter id. */
  id: number;
  /** The filter's client data (cd_values) as stored in the dataset's pipeline. */
  cdValues: number[];
}

/** Bitshuffle's default block: 8 KiB of elements, a multiple of 8 elements. */
export function bitshuffleBlockElements(elementSize: number): number {
  return Math.max(8, Math.floor(8192 / elementSize / 8) * 8);
}

/** The filter pipeline, first filter applied first, that reads back what `compressChunk` writes. */
export function filterPipeline(codec: FrameCodec, level: number, elementSize: number): FilterSpec[] {
  switch (codec) {
    case 'deflate':
      return [
        { id: 2, cdValues: [elementSize] },
        { id: 1, cdValues: [level] },
      ];
    case 'lz4':
      return [
        { id: 2, cdValues: [elementSize] },
        { id: 32004, cdValues: [LZ4_FILTER_BLOCK] },
      ];
    case 'zstd':
      return [
        { id: 2, cdValues: [elementSize] },
        { id: 32015, cdValues: [level] },
      ];
    case 'bitshuffle-lz4':
      // major, minor version of the format, element size, block size (elements), 2 = LZ4
      return [{ id: 32008, cdValues: [0, 4, elementSize, bitshuffleBlockElements(elementSize), 2] }];
  }
}

/**
 * Buffers a caller reuses from chunk to chunk (one per thread): fresh 8 MiB buffers per frame
 * cost page faults and unmapping, on a loaded machine as much as the shuffle itself. A result
 * may then be a view of `out`: copy it before the next call.
 */
export interface ChunkScratch {
  shuffled?: Uint8Array;
  out?: Uint8Array;
  /** bitshuffle-lz4's compressed blocks before they are placed. */
  staged?: Uint8Array;
}

/**
 * Where the LZ4 codecs put their result: `into` when it is large enough (then the result is
 * `into.subarray(0, size)`), else `scratch.out`, else a new buffer. Their blocks are all
 * compressed before the first byte is written, so `into` may be the chunk being compressed:
 * the compressor thread writes the result over the frame it has read (no 4 MiB output buffer
 * to allocate, fault in and transfer per frame).
 */
function resultBuffer(
  size: number,
  scratch: ChunkScratch | undefined,
  into: Uint8Array | undefined,
): Uint8Array {
  if (into && into.byteLength >= size) return into.subarray(0, size);
  return scratchBuffer(scratch, 'out', size).subarray(0, size);
}

/** `scratch.<name>` of at least `size` bytes (grown when too small), or a new buffer without scratch. */
function scratchBuffer(
  scratch: ChunkScratch | undefined,
  name: keyof ChunkScratch,
  size: number,
): Uint8Array {
  if (!scratch) return new Uint8Array(size);
  const have = scratch[name];
  if (have && have.byteLength >= size) return have;
  const made = new Uint8Array(size);
  scratch[name] = made;
  return made;
}

/**
 * One chunk's bytes as the codec's filters store them (see ChunkScratch for `scratch`). With
 * `into` (which may be `chunk` itself), `lz4` and `bitshuffle-lz4` write their result there
 * when it fits (resultBuffer); `deflate` and `zstd` return node:zlib's own buffer.
 */
export function compressChunk(
  codec: FrameCodec,
  level: number,
  elementSize: number,
  chunk: Uint8Array,
  scratch?: ChunkScratch,
  into?: Uint8Array,
): Uint8Array {
  const shuffle = () =>
    (elementSize === 2 ? simdByteShuffle2(chunk) : null) ??
    byteShuffle(chunk, elementSize, scratchBuffer(scratch, 'shuffled', chunk.byteLength));
  switch (codec) {
    case 'deflate':
      return deflateSync(shuffle(), { level });
    case 'zstd': {
      const shuffled = shuffle();
      return zstdCompressSync(shuffled, {
        params: { [constants.ZSTD_c_compressionLevel]: level, [constants.ZSTD_c_contentSizeFlag]: 1 },
        pledgedSrcSize: shuffled.byteLength,
      });
    }
    case 'lz4':
      return lz4Filter(shuffle(), level >= 1, scratch, into);
    case 'bitshuffle-lz4':
      return bitshuffleLz4(chunk, elementSize, scratch, into);
  }
}

/**
 * The HDF5 LZ4 filter's chunk format (see the module comment). Each block is compressed straight
 * to its place in the result: in `into` while it fits there, else in `scratch.out` (what was
 * written moves there once, and a block that did not fit is compressed again). `into` must not
 * overlap `bytes` (blocks stored as is are copied from it).
 */
export function lz4Filter(
  bytes: Uint8Array,
  skipIncompressible = false,
  scratch?: ChunkScratch,
  into?: Uint8Array,
): Uint8Array {
  const blocks = Math.ceil(bytes.byteLength / LZ4_FILTER_BLOCK);
  // A block LZ4 does not shrink is stored as is, so no block is larger than its input.
  const largest = 12 + 4 * blocks + bytes.byteLength;
  let out = into && into.byteLength >= 12 ? into : scratchBuffer(scratch, 'out', largest);
  let inScratch = out !== into;
  let view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(0, Math.floor(bytes.byteLength / 2 ** 32));
  view.setUint32(4, bytes.byteLength >>> 0);
  view.setUint32(8, LZ4_FILTER_BLOCK);
  let at = 12;
  const moveToScratch = () => {
    if (inScratch) return;
    const roomier = scratchBuffer(scratch, 'out', largest);
    roomier.set(out.subarray(0, at));
    out = roomier;
    view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    inScratch = true;
  };
  // Room for one byte less than the block: LZ4 reports 0 when it cannot shrink it into that.
  const compressHere = (block: Uint8Array) =>
    compressLz4BlockInto(block, out.subarray(at + 4, Math.min(out.byteLength, at + 3 + block.byteLength)));
  for (let start = 0; start < bytes.byteLength; start += LZ4_FILTER_BLOCK) {
    const block = bytes.subarray(start, start + LZ4_FILTER_BLOCK);
    let size = 0;
    if (!skipIncompressible || worthCompressing(block)) {
      size = compressHere(block);
      if (size === 0 && !inScratch && at + 3 + block.byteLength > out.byteLength) {
        moveToScratch();
        size = compressHere(block);
      }
    }
    if (size === 0) {
      if (at + 4 + block.byteLength > out.byteLength) moveToScratch();
      out.set(block, at + 4);
      size = block.byteLength;
    }
    view.setUint32(at, size);
    at += 4 + size;
  }
  return out.subarray(0, at);
}

/** HDF5's shuffle filter: all first bytes of the elements, then all second bytes, …; a ragged tail as is. */
export function byteShuffle(
  bytes: Uint8Array,
  elementSize: number,
  into: Uint8Array = new Uint8Array(bytes.byteLength),
): Uint8Array {
  // Every byte of `out` is written below, so a reused buffer needs no clearing.
  const out = into.byteLength === bytes.byteLength ? into : into.subarray(0, bytes.byteLength);
  const n = Math.floor(bytes.byteLength / elementSize);
  if (
    elementSize === 2 &&
    LITTLE_ENDIAN &&
    bytes.byteOffset % 4 === 0 &&
    out.byteOffset % 4 === 0 &&
    n % 4 === 0
  ) {
    // Four elements per step: two 32-bit loads, one 32-bit store into each half.
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, n / 2);
    const low = new Uint32Array(out.buffer, out.byteOffset, n / 4);
    const high = new Uint32Array(out.buffer, out.byteOffset + n, n / 4);
    for (let q = 0; q < n / 4; q++) {
      const a = words[2 * q]!;
      const b = words[2 * q + 1]!;
      low[q] = (a & 0xff) | ((a >>> 8) & 0xff00) | ((b & 0xff) << 16) | ((b >>> 16) << 24);
      high[q] = ((a >>> 8) & 0xff) | ((a >>> 16) & 0xff00) | (((b >>> 8) & 0xff) << 16) | ((b >>> 24) << 24);
    }
  } else if (elementSize === 2 && LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) {
    // One 16-bit load per element.
    const words = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) {
      const w = words[i]!;
      out[i] = w & 0xff;
      out[n + i] = w >>> 8;
    }
  } else {
    for (let b = 0; b < elementSize; b++) {
      const row = b * n;
      for (let i = 0; i < n; i++) out[row + i] = bytes[i * elementSize + b]!;
    }
  }
  out.set(bytes.subarray(n * elementSize), n * elementSize);
  return out;
}

const TRIAL_BYTES = 64 * 1024;
const trialOut = new Uint8Array((TRIAL_BYTES * 3) / 4);

/** Whether LZ4 shrinks the block's first 64 KiB by at least a quarter (see `lz4`, level 1). */
function worthCompressing(block: Uint8Array): boolean {
  if (block.byteLength <= 2 * TRIAL_BYTES) return true;
  // Room for three quarters of the trial: LZ4 reports 0 when it does not shrink it that far.
  return compressLz4BlockInto(block.subarray(0, TRIAL_BYTES), trialOut) > 0;
}

/**
 * The bitshuffle filter's LZ4 chunk format (see the module comment), written where resultBuffer
 * says (`into` may be `chunk`: every block is compressed before anything is written).
 */
export function bitshuffleLz4(
  chunk: Uint8Array,
  elementSize: number,
  scratch?: ChunkScratch,
  into?: Uint8Array,
): Uint8Array {
  const elements = Math.floor(chunk.byteLength / elementSize);
  const blockElements = bitshuffleBlockElements(elementSize);
  const blockBytes = blockElements * elementSize;
  const fullBlocks = Math.floor(elements / blockElements);
  const lastElements = elements - fullBlocks * blockElements;
  const lastBlockElements = lastElements - (lastElements % 8);
  const tailBytes = chunk.byteLength - (fullBlocks * blockElements + lastBlockElements) * elementSize;
  // Blocks are compressed one after another into `scratch.staged`, then placed in the result:
  // `into` may be `chunk`, whose later blocks are still to be read.
  const blockSizes: number[] = [];
  let size = 12 + tailBytes;
  const transposed = scratchBuffer(scratch, 'shuffled', blockBytes);
  const staged = scratchBuffer(scratch, 'staged', (fullBlocks + 1) * lz4Bound(blockBytes));
  let stagedEnd = 0;
  const compressBlock = (start: number, count: number) => {
    const bytes = count * elementSize;
    bitTranspose(chunk.subarray(start, start + bytes), count, elementSize, transposed, 0);
    const compressed = compressLz4BlockInto(
      transposed.subarray(0, bytes),
      staged.subarray(stagedEnd, stagedEnd + lz4Bound(bytes)),
    );
    blockSizes.push(compressed);
    stagedEnd += compressed;
    size += 4 + compressed;
  };
  for (let b = 0; b < fullBlocks; b++) compressBlock(b * blockBytes, blockElements);
  if (lastBlockElements > 0) compressBlock(fullBlocks * blockBytes, lastBlockElements);
  const out = resultBuffer(size, scratch, into);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(0, Math.floor(chunk.byteLength / 2 ** 32));
  view.setUint32(4, chunk.byteLength >>> 0);
  view.setUint32(8, blockBytes);
  let at = 12;
  // When `out` is `chunk` this moves the tail within it (set copies overlapping ranges right).
  out.set(chunk.subarray(chunk.byteLength - tailBytes), size - tailBytes);
  let from = 0;
  for (const blockSize of blockSizes) {
    view.setUint32(at, blockSize);
    out.set(staged.subarray(from, from + blockSize), at + 4);
    from += blockSize;
    at += 4 + blockSize;
  }
  return out;
}
