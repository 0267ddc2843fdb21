/**
 * An LZ4 block compressor (the raw block format, no frame), greedy with a 4-byte hash as
 * LZ4's own fast mode. Output decodes with any LZ4 block decoder (LZ4_decompress_safe). The
 * format's end rules are kept: the last 5 bytes are literals and no match starts in the last
 * 12 bytes.
 */

const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MATCH_LIMIT = 12;
const MAX_OFFSET = 65535;
/** 4096 entries, as LZ4's default (LZ4_MEMORY_USAGE 14): small enough to stay in L1/L2. */
const HASH_BITS = 12;
/** After this many misses in a row the search steps faster over incompressible data (LZ4's acceleration). */
const SKIP_TRIGGER = 6;

/** Largest output `compressLz4Block` can produce for `n` input bytes. */
export function lz4BlockBound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

/**
 * Positions are stored offset by `base`, which moves past each input, so entries left from an
 * earlier input read as out of range and the table never needs clearing (bitshuffle compresses
 * 8 KiB blocks: clearing per block would cost as much as compressing).
 */
const table = new Int32Array(1 << HASH_BITS);
let base = 1;

function hash(word: number): number {
  return Math.imul(word, 2654435761) >>> (32 - HASH_BITS);
}

/** Compresses `src` into `out` at `outOffset`; returns the compressed length. */
export function compressLz4Block(src: Uint8Array, out: Uint8Array, outOffset: number): number {
  const n = src.length;
  // One 32-bit load per probe (V8 inlines DataView reads): about a fifth faster than four byte loads.
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  let op = outOffset;
  let anchor = 0;
  if (n >= MATCH_LIMIT + 1) {
    if (base + n + MAX_OFFSET >= 2 ** 31) {
      table.fill(0);
      base = 1;
    }
    const start0 = base;
    base += n + MAX_OFFSET + 1;
    const matchEnd = n - MATCH_LIMIT; // a match may start below this
    const copyLimit = n - LAST_LITERALS; // a match may extend to here
    let ip = 0;
    let misses = 0;
    while (ip < matchEnd) {
      const word = view.getInt32(ip, true);
      const h = hash(word);
      const candidate = table[h]! - start0;
      table[h] = ip + start0;
      if (candidate < 0 || ip - candidate > MAX_OFFSET || view.getInt32(candidate, true) !== word) {
        ip += 1 + (misses++ >> SKIP_TRIGGER);
        continue;
      }
      misses = 0;
      // Extend the match backwards over pending literals, then forwards.
      let start = ip;
      let ref = candidate;
      while (start > anchor && ref > 0 && src[start - 1] === src[ref - 1]) {
        start--;
        ref--;
      }
      let end = ip + MIN_MATCH;
      let refEnd = candidate + MIN_MATCH;
      // Four bytes at a time while they all match, then byte by byte.
      while (end + 4 <= copyLimit && view.getInt32(end, true) === view.getInt32(refEnd, true)) {
        end += 4;
        refEnd += 4;
      }
      while (end < copyLimit && src[end] === src[refEnd]) {
        end++;
        refEnd++;
      }
      op = writeSequence(src, anchor, start - anchor, start - ref, end - start - MIN_MATCH, out, op);
      anchor = end;
      ip = end;
      if (ip < matchEnd) table[hash(view.getInt32(ip - 2, true))] = ip - 2 + start0;
    }
  }
  // The last literals, with no match after them.
  const literals = n - anchor;
  const token = Math.min(literals, 15) << 4;
  out[op++] = token;
  op = writeLength(literals, out, op);
  out.set(src.subarray(anchor, n), op);
  return op + literals - outOffset;
}

function writeSequence(
  src: Uint8Array,
  literalStart: number,
  literals: number,
  offset: number,
  matchExtra: number,
  out: Uint8Array,
  op: number,
): number {
  out[op++] = (Math.min(literals, 15) << 4) | Math.min(matchExtra, 15);
  op = writeLength(literals, out, op);
  if (literals < 64) {
    // Short runs (most of them, in noisy data): a loop beats creating a subarray per sequence.
    for (let i = 0; i < literals; i++) out[op + i] = src[literalStart + i]!;
  } else {
    out.set(src.subarray(literalStart, literalStart + literals), op);
  }
  op += literals;
  out[op++] = offset & 0xff;
  out[op++] = offset >>> 8;
  return writeLength(matchExtra, out, op);
}

/** The bytes after a token's 4-bit field of 15: 255s, then the rest. */
function writeLength(length: number, out: Uint8Array, op: number): number {
  if (length < 15) return op;
  let rest = length - 15;
  while (rest >= 255) {
    out[op++] = 255;
    rest -= 255;
  }
  out[op++] = rest;
  return op;
}
