import { ascii, type FileBytes, UNDEFINED, Unsupported, u64, uintLE, view } from './hdf5-read-bytes.ts';
import { lookup3 } from './run-file-recovery.ts';

/**
 * The chunk indexes of the HDF5 1.10 format (layout message version 4), read only as far as
 * unfiltered chunks need: each chunk's address (filtered chunks also store a size and a filter
 * mask, which this does not read). File format specification v3, "Data Layout Message" version
 * 4, "Fixed Array" and "Extensible Array"; every metadata block's checksum is verified, so a
 * block torn by a writer still at work (SWMR) is never followed.
 */

/** What frame reads need of a version 4 chunked layout message. */
export interface ChunkedLayoutV4 {
  /** Chunk dimensions; the last is the element size in bytes. */
  chunk: number[];
  /** 1 single chunk, 2 implicit, 3 fixed array, 4 extensible array, 5 version 2 B-tree. */
  indexType: number;
  /** The index's address: the chunk itself (single chunk), the first chunk (implicit) or the array header. */
  address: number;
}

/** Bytes of index information after the indexing type (HDF5 writes 8-byte lengths here). */
const INDEX_INFO_BYTES: Record<number, (flags: number) => number> = {
  1: (flags) => (flags & 0x02 ? 8 + 4 : 0), // a filtered single chunk's size and filter mask
  2: () => 0,
  3: () => 1, // page bits
  4: () => 5, // max bits, index block elements, min pointers, min elements, page bits
  5: () => 6, // node size, split and merge percentages
};

export function chunkedLayoutV4(layout: Uint8Array): ChunkedLayoutV4 {
  const flags = layout[2] as number;
  const rank = layout[3] as number;
  const dimBytes = layout[4] as number;
  const chunk = Array.from({ length: rank }, (_, i) => uintLE(layout, 5 + i * dimBytes, dimBytes));
  let at = 5 + rank * dimBytes;
  const indexType = layout[at++] as number;
  const infoBytes = INDEX_INFO_BYTES[indexType];
  if (!infoBytes) throw new Unsupported(`chunk indexing type ${indexType}`);
  if (indexType === 1 && flags & 0x02) throw new Unsupported('filtered single chunk');
  at += infoBytes(flags);
  return { chunk, indexType, address: u64(layout, at) };
}

/**
 * The address of each of the first `count` chunks of an unfiltered dataset whose chunks follow
 * one another along the first dimension only (every other dimension one chunk wide), so that
 * chunk c's linear index is c; null when one of them is not written yet (it reads as the fill
 * value). Addresses are relative to the file's base address.
 */
export function chunkAddressesV4(
  file: FileBytes,
  layout: ChunkedLayoutV4,
  count: number,
  chunkBytes: number,
): Float64Array | null {
  const { address, indexType } = layout;
  if (address === UNDEFINED) return null;
  switch (indexType) {
    case 1:
      if (count > 1) throw new Unsupported('a single-chunk index for more than one chunk');
      return Float64Array.of(address);
    case 2:
      // Implicit: allocated up front, chunk c at the c-th chunk-sized slot.
      return Float64Array.from({ length: count }, (_, c) => address + c * chunkBytes);
    case 3:
      return fixedArray(file, address, count);
    case 4:
      return extensibleArray(file, address, count);
    default:
      throw new Unsupported(`chunk indexing type ${indexType}`);
  }
}

/** Signature, version, client id, header address: the prefix of every array block but pages. */
const PREFIX = 4 + 1 + 1 + 8;
const CHECKSUM = 4;
/** Client id 0: unfiltered chunks, each element an 8-byte address. */
const UNFILTERED_CHUNKS = 0;

function checksummed(b: Uint8Array, where: string): Uint8Array {
  const end = b.length - CHECKSUM;
  if (lookup3(b.subarray(0, end)) !== view(b).getUint32(end, true))
    throw new Unsupported(`${where}: checksum does not match`);
  return b;
}

/** A metadata block with its signature, version 0, client id and checksum checked. */
function arrayBlock(file: FileBytes, address: number, length: number, signature: string, header?: number) {
  const b = file.at(address, length);
  const where = `${signature} at ${address}`;
  if (ascii(b, 0, 4) !== signature || b[4] !== 0)
    throw new Unsupported(`no ${signature} version 0 at ${address}`);
  if (b[5] !== UNFILTERED_CHUNKS) throw new Unsupported(`${where}: filtered chunks`);
  if (header !== undefined && u64(b, 6) !== header)
    throw new Unsupported(`${where}: belongs to another array`);
  return checksummed(b, where);
}

/** Bit `bit` of a 'page init' bitmap at `at` (HDF5 numbers bits from the most significant). */
function pageInitialised(b: Uint8Array, at: number, bit: number): boolean {
  return ((b[at + (bit >> 3)] as number) & (0x80 >> (bit & 7))) !== 0;
}

/** Addresses, or null when one is undefined (that chunk is not written). */
function written(addresses: Float64Array): Float64Array | null {
  return addresses.includes(UNDEFINED) ? null : addresses;
}

/** Fixed array (FAHD, FADB): datasets whose every dimension has a fixed maximum. */
function fixedArray(file: FileBytes, header: number, count: number): Float64Array | null {
  const head = arrayBlock(file, header, 28, 'FAHD');
  if (head[6] !== 8) throw new Unsupported(`FAHD at ${header}: ${head[6]}-byte elements`);
  const pageEntries = 2 ** (head[7] as number);
  const entries = u64(head, 8);
  const dataBlock = u64(head, 16);
  if (count > entries) throw new Unsupported(`FAHD at ${header}: ${entries} chunks, not ${count}`);
  if (dataBlock === UNDEFINED) return null;
  const out = new Float64Array(count);
  if (entries <= pageEntries) {
    const b = arrayBlock(file, dataBlock, PREFIX + 8 * entries + CHECKSUM, 'FADB', header);
    for (let c = 0; c < count; c++) out[c] = u64(b, PREFIX + 8 * c);
    return written(out);
  }
  // Paged: the block holds a bitmap of the pages written; each page is its elements + a checksum.
  const pages = Math.ceil(entries / pageEntries);
  const bitmapBytes = Math.ceil(pages / 8);
  const b = arrayBlock(file, dataBlock, PREFIX + bitmapBytes + CHECKSUM, 'FADB', header);
  const firstPage = dataBlock + PREFIX + bitmapBytes + CHECKSUM;
  for (let p = 0; p * pageEntries < count; p++) {
    if (!pageInitialised(b, PREFIX, p)) return null;
    const inPage = Math.min(pageEntries, entries - p * pageEntries);
    const where = `FADB page ${p} at ${firstPage}`;
    const page = checksummed(
      file.at(firstPage + p * (8 * pageEntries + CHECKSUM), 8 * inPage + CHECKSUM),
      where,
    );
    const first = p * pageEntries;
    for (let j = 0; j < inPage && first + j < count; j++) out[first + j] = u64(page, 8 * j);
  }
  return written(out);
}

/**
 * Extensible array (EAHD, EAIB, EASB, EADB): datasets with one unlimited dimension. The index
 * block holds the first elements, then the data blocks of the first super blocks, then the
 * addresses of the other super blocks; super block s holds 2^⌊s/2⌋ data blocks of
 * 2^⌈s/2⌉ × (minimum) elements each, and a data block larger than a page is stored as pages whose
 * 'page init' bits are in its super block.
 */
function extensibleArray(file: FileBytes, header: number, count: number): Float64Array | null {
  const head = arrayBlock(file, header, 12 + 6 * 8 + 8 + CHECKSUM, 'EAHD');
  if (head[6] !== 8) throw new Unsupported(`EAHD at ${header}: ${head[6]}-byte elements`);
  const maxBits = head[7] as number;
  const indexElements = head[8] as number;
  const dataMin = head[9] as number;
  const superMinPointers = head[10] as number;
  const pageEntries = 2 ** (head[11] as number);
  const maxIndexSet = u64(head, 44);
  const indexBlock = u64(head, 60);
  // Elements past the highest one set read as the fill value: not written.
  if (count > maxIndexSet || indexBlock === UNDEFINED) return null;
  const supers = 1 + maxBits - Math.log2(dataMin);
  if (!Number.isInteger(supers) || !Number.isInteger(Math.log2(superMinPointers)))
    throw new Unsupported(`EAHD at ${header}: block sizes not powers of two`);
  const offsetBytes = Math.ceil(maxBits / 8);
  const superBlocks = Array.from({ length: supers }, (_, s) => ({
    dataBlocks: 2 ** Math.floor(s / 2),
    elements: 2 ** Math.ceil(s / 2) * dataMin,
    firstElement: 0,
    firstDataBlock: 0,
  }));
  for (let s = 1; s < supers; s++) {
    const before = superBlocks[s - 1]!;
    superBlocks[s]!.firstElement = before.firstElement + before.dataBlocks * before.elements;
    superBlocks[s]!.firstDataBlock = before.firstDataBlock + before.dataBlocks;
  }
  // The index block holds the data block addresses of the first 2·log2(min pointers) super blocks.
  const inIndex = Math.min(supers, 2 * Math.log2(superMinPointers));
  const indexDataBlocks = 2 * (superMinPointers - 1);
  const indexLength = PREFIX + 8 * (indexElements + indexDataBlocks + supers - inIndex) + CHECKSUM;
  const index = arrayBlock(file, indexBlock, indexLength, 'EAIB', header);
  const blocks = new Map<number, Uint8Array>();
  const cached = (address: number, read: () => Uint8Array) => {
    const known = blocks.get(address);
    if (known) return known;
    const b = read();
    blocks.set(address, b);
    return b;
  };
  const out = new Float64Array(count);
  let s = 0;
  for (let c = 0; c < count; c++) {
    if (c < indexElements) {
      out[c] = u64(index, PREFIX + 8 * c);
      continue;
    }
    const element = c - indexElements;
    while (s + 1 < supers && element >= superBlocks[s + 1]!.firstElement) s++;
    const sb = superBlocks[s]!;
    const inSuper = element - sb.firstElement;
    const d = Math.floor(inSuper / sb.elements);
    const inBlock = inSuper - d * sb.elements;
    const paged = sb.elements > pageEntries;
    let dataBlock: number;
    let superBlock: Uint8Array | null = null;
    if (s < inIndex) {
      if (paged) throw new Unsupported(`EAIB at ${indexBlock}: a paged data block`);
      dataBlock = u64(index, PREFIX + 8 * (indexElements + sb.firstDataBlock + d));
    } else {
      const address = u64(index, PREFIX + 8 * (indexElements + indexDataBlocks + s - inIndex));
      if (address === UNDEFINED) return null;
      const bitmapBytes = paged ? sb.dataBlocks * Math.ceil(sb.elements / pageEntries / 8) : 0;
      const length = PREFIX + offsetBytes + bitmapBytes + 8 * sb.dataBlocks + CHECKSUM;
      superBlock = cached(address, () => arrayBlock(file, address, length, 'EASB', header));
      dataBlock = u64(superBlock, PREFIX + offsetBytes + bitmapBytes + 8 * d);
    }
    if (dataBlock === UNDEFINED) return null;
    // The blocks' own "block offset" is not checked: HDF5 never reads it, and for the index
    // block's data blocks it writes start + (index block data block number) × size.
    const dataBlockLength = PREFIX + offsetBytes + (paged ? 0 : 8 * sb.elements) + CHECKSUM;
    const readDataBlock = () => arrayBlock(file, dataBlock, dataBlockLength, 'EADB', header);
    if (!paged) {
      out[c] = u64(cached(dataBlock, readDataBlock), PREFIX + offsetBytes + 8 * inBlock);
      continue;
    }
    cached(dataBlock, readDataBlock);
    const pages = sb.elements / pageEntries;
    const p = Math.floor(inBlock / pageEntries);
    if (!pageInitialised(superBlock as Uint8Array, PREFIX + offsetBytes, d * pages + p)) return null;
    const pageBytes = 8 * pageEntries + CHECKSUM;
    const pageAddress = dataBlock + PREFIX + offsetBytes + CHECKSUM + p * pageBytes;
    const page = cached(pageAddress, () =>
      checksummed(file.at(pageAddress, pageBytes), `EADB page at ${pageAddress}`),
    );
    out[c] = u64(page, 8 * (inBlock - p * pageEntries));
  }
  return written(out);
}
