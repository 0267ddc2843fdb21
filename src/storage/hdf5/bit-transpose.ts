import { endianness } from 'node:os';

/** The word-at-a-time paths read and write bytes through little-endian integer views. */
export const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * The 4 × 4 byte transpose of words `a`…`d`: `out[at + k]` gets byte k of a, b, c, d, in that
 * order.
 */
function byteColumns(a: number, b: number, c: number, d: number, out: Int32Array, at: number): void {
  const ab02 = (a & 0x00ff00ff) | ((b << 8) & 0xff00ff00);
  const ab13 = ((a >>> 8) & 0x00ff00ff) | (b & 0xff00ff00);
  const cd02 = (c & 0x00ff00ff) | ((d << 8) & 0xff00ff00);
  const cd13 = ((c >>> 8) & 0x00ff00ff) | (d & 0xff00ff00);
  out[at] = (ab02 & 0xffff) | (cd02 << 16);
  out[at + 1] = (ab13 & 0xffff) | (cd13 << 16);
  out[at + 2] = (ab02 >>> 16) | (cd02 & 0xffff0000);
  out[at + 3] = (ab13 >>> 16) | (cd13 & 0xffff0000);
}

/**
 * Four 8 × 8 bit matrices side by side, one per byte lane: row r of them is `lanes[first + 2r]`.
 * Transposed in three swap stages (as TRANS_BIT_8X8), each on whole words, so output
 * row k (stored at `rows[index + k × stride]`) holds bit k of the 8 rows, in every lane at once.
 */
function transposeLanes(
  lanes: Int32Array,
  first: number,
  rows: Int32Array,
  index: number,
  stride: number,
): void {
  let r0 = lanes[first]!;
  let r1 = lanes[first + 2]!;
  let r2 = lanes[first + 4]!;
  let r3 = lanes[first + 6]!;
  let r4 = lanes[first + 8]!;
  let r5 = lanes[first + 10]!;
  let r6 = lanes[first + 12]!;
  let r7 = lanes[first + 14]!;
  // Row r's bit b + s trades places with row r + s's bit b (b and r without s).
  let t = ((r0 >>> 1) ^ r1) & 0x55555555;
  r1 ^= t;
  r0 ^= t << 1;
  t = ((r2 >>> 1) ^ r3) & 0x55555555;
  r3 ^= t;
  r2 ^= t << 1;
  t = ((r4 >>> 1) ^ r5) & 0x55555555;
  r5 ^= t;
  r4 ^= t << 1;
  t = ((r6 >>> 1) ^ r7) & 0x55555555;
  r7 ^= t;
  r6 ^= t << 1;
  t = ((r0 >>> 2) ^ r2) & 0x33333333;
  r2 ^= t;
  r0 ^= t << 2;
  t = ((r1 >>> 2) ^ r3) & 0x33333333;
  r3 ^= t;
  r1 ^= t << 2;
  t = ((r4 >>> 2) ^ r6) & 0x33333333;
  r6 ^= t;
  r4 ^= t << 2;
  t = ((r5 >>> 2) ^ r7) & 0x33333333;
  r7 ^= t;
  r5 ^= t << 2;
  t = ((r0 >>> 4) ^ r4) & 0x0f0f0f0f;
  r4 ^= t;
  r0 ^= t << 4;
  t = ((r1 >>> 4) ^ r5) & 0x0f0f0f0f;
  r5 ^= t;
  r1 ^= t << 4;
  t = ((r2 >>> 4) ^ r6) & 0x0f0f0f0f;
  r6 ^= t;
  r2 ^= t << 4;
  t = ((r3 >>> 4) ^ r7) & 0x0f0f0f0f;
  r7 ^= t;
  r3 ^= t << 4;
  rows[index] = r0;
  rows[index + stride] = r1;
  rows[index + 2 * stride] = r2;
  rows[index + 3 * stride] = r3;
  rows[index + 4 * stride] = r4;
  rows[index + 5 * stride] = r5;
  rows[index + 6 * stride] = r6;
  rows[index + 7 * stride] = r7;
}

/**
 * Bitshuffle's transpose of one block of `count` elements (a multiple of 8): output row
 * r = 8 × byte + bit holds that bit of every element, element i at bit i mod 8 of byte i / 8.
 * Same result as bshuf_trans_bit_elem: bytes transposed first, then 8 × 8 bit matrices.
 */
export function bitTranspose(
  block: Uint8Array,
  count: number,
  elementSize: number,
  out: Uint8Array,
  outOffset: number,
): void {
  if (
    elementSize === 2 &&
    LITTLE_ENDIAN &&
    count % 32 === 0 &&
    block.byteOffset % 4 === 0 &&
    (out.byteOffset + outOffset) % 4 === 0
  ) {
    bitTranspose16(block, count, out, outOffset);
    return;
  }
  const rowBytes = count / 8;
  for (let byte = 0; byte < elementSize; byte++) {
    const rowBase = outOffset + byte * 8 * rowBytes;
    for (let g = 0; g < rowBytes; g++) {
      // Byte `byte` of elements 8g … 8g+7 → bit k of them in row 8 × byte + k.
      transposeGroup8x8(block, g * 8 * elementSize + byte, elementSize, out, rowBase + g, rowBytes);
    }
  }
}

/** Byte rows of four groups of 8 elements, laid out for transposeLanes (one thread, so one suffices). */
const lanes = new Int32Array(16);

/**
 * The same for uint16 elements, 32 at a time (four groups of 8, one per byte lane): 16 word loads,
 * two byte-lane-parallel bit transposes, 16 word stores, instead of 64 byte loads, eight 8 × 8
 * transposes and 64 byte stores.
 */
function bitTranspose16(block: Uint8Array, count: number, out: Uint8Array, outOffset: number): void {
  const words = new Int32Array(block.buffer, block.byteOffset, count / 2);
  const rows = new Int32Array(out.buffer, out.byteOffset + outOffset, count / 2);
  const rowWords = count / 32;
  for (let q = 0; q < rowWords; q++) {
    const w = 16 * q;
    // Word w + 4j + m holds elements 32q + 8j + 2m and + 1 (low, high, low, high bytes): byte k of
    // the four words j = 0…3 is row 2m + (k >> 1) of plane k & 1 (low or high bytes), lane j.
    for (let m = 0; m < 4; m++) {
      byteColumns(words[w + m]!, words[w + 4 + m]!, words[w + 8 + m]!, words[w + 12 + m]!, lanes, 4 * m);
    }
    transposeLanes(lanes, 0, rows, q, rowWords);
    transposeLanes(lanes, 1, rows, 8 * rowWords + q, rowWords);
  }
}

/**
 * Inverse of `bitTranspose`: `rows` (row 8 × byte + bit holds that bit of every element) back to
 * `count` elements at `out[at]`. The 8 × 8 bit transpose is its own inverse, so each group of 8
 * elements is the same word-wide TRANS_BIT_8X8 on the 8 row bytes, instead of 64 bit tests.
 */
export function bitUntranspose(
  rows: Uint8Array,
  count: number,
  elementSize: number,
  out: Uint8Array,
  at: number,
): void {
  const rowBytes = count / 8;
  for (let byte = 0; byte < elementSize; byte++) {
    const rowBase = byte * 8 * rowBytes;
    for (let g = 0; g < rowBytes; g++) {
      // Rows 0…7 of byte `byte` at group g → byte `byte` of elements 8g … 8g+7.
      transposeGroup8x8(rows, rowBase + g, rowBytes, out, at + g * 8 * elementSize + byte, elementSize);
    }
  }
}

/**
 * Eight bytes read `fromStride` apart from `from[fromIndex]`, as an 8 × 8 bit matrix (a 64-bit
 * word in two 32-bit halves, the first byte lowest), transposed (TRANS_BIT_8X8, its own inverse)
 * and written `toStride` apart from `to[toIndex]`: byte k of the result is bit k of the eight.
 */
function transposeGroup8x8(
  from: Uint8Array,
  fromIndex: number,
  fromStride: number,
  to: Uint8Array,
  toIndex: number,
  toStride: number,
): void {
  let lo =
    from[fromIndex]! |
    (from[fromIndex + fromStride]! << 8) |
    (from[fromIndex + 2 * fromStride]! << 16) |
    (from[fromIndex + 3 * fromStride]! << 24);
  let hi =
    from[fromIndex + 4 * fromStride]! |
    (from[fromIndex + 5 * fromStride]! << 8) |
    (from[fromIndex + 6 * fromStride]! << 16) |
    (from[fromIndex + 7 * fromStride]! << 24);
  let t = (lo ^ (lo >>> 7)) & 0x00aa00aa;
  lo = lo ^ t ^ (t << 7);
  t = (hi ^ (hi >>> 7)) & 0x00aa00aa;
  hi = hi ^ t ^ (t << 7);
  t = (lo ^ (lo >>> 14)) & 0x0000cccc;
  lo = lo ^ t ^ (t << 14);
  t = (hi ^ (hi >>> 14)) & 0x0000cccc;
  hi = hi ^ t ^ (t << 14);
  t = (lo ^ ((lo >>> 28) | (hi << 4))) & 0xf0f0f0f0;
  lo ^= t;
  hi ^= t >>> 4;
  to[toIndex] = lo & 0xff;
  to[toIndex + toStride] = (lo >>> 8) & 0xff;
  to[toIndex + 2 * toStride] = (lo >>> 16) & 0xff;
  to[toIndex + 3 * toStride] = lo >>> 24;
  to[toIndex + 4 * toStride] = hi & 0xff;
  to[toIndex + 5 * toStride] = (hi >>> 8) & 0xff;
  to[toIndex + 6 * toStride] = (hi >>> 16) & 0xff;
  to[toIndex + 7 * toStride] = hi >>> 24;
}
