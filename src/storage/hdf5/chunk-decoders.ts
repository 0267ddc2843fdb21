import { inflateSync, zstdDecompressSync } from 'node:zlib';
import { bitUntranspose, LITTLE_ENDIAN } from './bit-transpose.ts';
import type { FilterSpec } from './chunk-codecs.ts';
import { decompressLz4BlockInto } from './lz4-block.ts';

/**
 * The inverse of chunk-codecs.ts: a stored chunk back to its raw bytes through the dataset's
 * filter pipeline (last filter undone first). For readers whose HDF5 lacks a filter (h5wasm has
 * deflate and shuffle built in, not LZ4, bitshuffle or Zstandard).
 */
export function decodeChunk(stored: Uint8Array, filters: FilterSpec[], rawBytes: number): Uint8Array {
  let bytes = stored;
  for (let i = filters.length - 1; i >= 0; i--) {
    const filter = filters[i]!;
    switch (filter.id) {
      case 1:
        bytes = new Uint8Array(inflateSync(bytes));
        break;
      case 2:
        bytes = byteUnshuffle(bytes, filter.cdValues[0] ?? 1);
        break;
      case 32004:
        bytes = lz4FilterDecode(bytes);
        break;
      case 32008:
        bytes = bitshuffleLz4Decode(bytes, filter.cdValues[2] ?? 1);
        break;
      case 32015:
        bytes = new Uint8Array(zstdDecompressSync(bytes));
        break;
      default:
        throw new Error(`HDF5 filter ${filter.id} cannot be decoded here`);
    }
  }
  if (bytes.byteLength !== rawBytes) {
    throw new Error(`chunk decoded to ${bytes.byteLength} bytes, expected ${rawBytes}`);
  }
  return bytes;
}

/** Undoes HDF5's shuffle filter. */
export function byteUnshuffle(bytes: Uint8Array, elementSize: number): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  const n = Math.floor(bytes.byteLength / elementSize);
  if (elementSize === 2 && LITTLE_ENDIAN && bytes.byteOffset % 4 === 0 && n % 4 === 0) {
    // Four elements per step: one 32-bit load from each half, two 32-bit stores.
    const low = new Uint32Array(bytes.buffer, bytes.byteOffset, n / 4);
    const high = new Uint32Array(bytes.buffer, bytes.byteOffset + n, n / 4);
    const words = new Uint32Array(out.buffer, 0, n / 2);
    for (let q = 0, w = 0; q < low.length; q++, w += 2) {
      const l = low[q]!;
      const h = high[q]!;
      words[w] = (l & 0xff) | ((h & 0xff) << 8) | ((l & 0xff00) << 8) | ((h & 0xff00) << 16);
      words[w + 1] =
        ((l >>> 16) & 0xff) | (((h >>> 16) & 0xff) << 8) | ((l >>> 24) << 16) | ((h >>> 24) << 24);
    }
    out.set(bytes.subarray(n * 2), n * 2);
    return out;
  }
  for (let b = 0; b < elementSize; b++) {
    const row = b * n;
    for (let i = 0; i < n; i++) out[i * elementSize + b] = bytes[row + i]!;
  }
  out.set(bytes.subarray(n * elementSize), n * elementSize);
  return out;
}

/** The HDF5 LZ4 filter's chunk (chunk-codecs.ts `lz4Filter`) back to its bytes. */
export function lz4FilterDecode(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const total = view.getUint32(0) * 2 ** 32 + view.getUint32(4);
  const blockSize = view.getUint32(8);
  const out = new Uint8Array(total);
  let s = 12;
  for (let o = 0; o < total; ) {
    const block = Math.min(blockSize, total - o);
    const size = view.getUint32(s);
    s += 4;
    if (size === block) out.set(bytes.subarray(s, s + size), o);
    else if (decompressLz4BlockInto(bytes.subarray(s, s + size), out.subarray(o, o + block)) !== block) {
      throw new Error('LZ4 filter: a block decoded to the wrong size');
    }
    s += size;
    o += block;
  }
  return out;
}

/** The bitshuffle filter's LZ4 chunk (chunk-codecs.ts `bitshuffleLz4`) back to its bytes. */
export function bitshuffleLz4Decode(bytes: Uint8Array, elementSize: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const total = view.getUint32(0) * 2 ** 32 + view.getUint32(4);
  const blockBytes = view.getUint32(8);
  const out = new Uint8Array(total);
  const elements = Math.floor(total / elementSize);
  const blockElements = blockBytes / elementSize;
  let s = 12;
  let done = 0;
  // Every block decodes into this one buffer before it is untransposed into `out`.
  const transposed = new Uint8Array(blockBytes);
  const decodeBlock = (count: number) => {
    const size = view.getUint32(s);
    s += 4;
    const room = transposed.subarray(0, count * elementSize);
    if (decompressLz4BlockInto(bytes.subarray(s, s + size), room) !== room.byteLength) {
      throw new Error('bitshuffle: a block decoded to the wrong size');
    }
    s += size;
    bitUntranspose(room, count, elementSize, out, done * elementSize);
    done += count;
  };
  while (elements - done >= blockElements) decodeBlock(blockElements);
  const last = elements - done - ((elements - done) % 8);
  if (last > 0) decodeBlock(last);
  out.set(bytes.subarray(s, s + (total - done * elementSize)), done * elementSize);
  return out;
}
