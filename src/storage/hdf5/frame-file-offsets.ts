import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { chunkAddressesV4, chunkedLayoutV4 } from './chunk-indexes-v4.ts';
import { ascii, type FileBytes, UNDEFINED, Unsupported, u64, view } from './hdf5-read-bytes.ts';

/** Element types a frame can be read as straight from the file (little-endian, as this host). */
export type FrameElement = 'uint8' | 'uint16' | 'uint32' | 'int16' | 'float32' | 'float64';

/** Where each frame of a T × H × W dataset lies in its file, every frame's bytes contiguous. */
export interface FrameFileOffsets {
  shape: [number, number, number];
  element: FrameElement;
  bytesPerElement: number;
  /** Byte offset in the file of frame t's first pixel (H × W elements follow it). */
  offsets: Float64Array;
}

/**
 * The file offset of every frame of the T × H × W dataset `datasetPath`, when the frames can be
 * read with plain preads: a contiguous layout, or chunks of whole frames (c × H × W) with no
 * filter and every chunk written. Anything else (compressed or partial-frame chunks, unwritten
 * chunks that read as the fill value, version 2 B-tree chunk indexes, dense-link groups, big
 * endian) returns null, and the caller reads through HDF5 instead. Walks the structures HDF5 1.8
 * and later write (superblock 0–3, object headers 1 and 2, symbol-table or compact groups,
 * layout message 3 with version 1 chunk B-trees, layout message 4 contiguous or with the 1.10
 * chunk indexes: single chunk, implicit, fixed array, extensible array, which SWMR files and
 * `libver='latest'` use); reads never modify.
 */
export function frameFileOffsets(path: string, datasetPath: string): FrameFileOffsets | null {
  return walk(path, (w) => w.frames(datasetPath));
}

/**
 * The values of a 1-d contiguous int64 dataset (timestamps), read the same way, so a file whose
 * frames are read directly needs no HDF5 library at all; null for any other layout or type.
 */
export function int64ColumnInFile(path: string, datasetPath: string): BigInt64Array | null {
  return walk(path, (w) => w.int64Column(datasetPath));
}

function walk<T>(path: string, use: (w: Hdf5Walk) => T | null): T | null {
  if (endianness() !== 'LE') return null;
  const fd = openSync(path, 'r');
  try {
    return use(new Hdf5Walk(fd));
  } catch (err) {
    if (err instanceof Unsupported) return null;
    throw err;
  } finally {
    closeSync(fd);
  }
}

interface Message {
  type: number;
  body: Uint8Array;
}

class Hdf5Walk implements FileBytes {
  private readonly fd: number;
  private readonly size: number;
  private base = 0;

  constructor(fd: number) {
    this.fd = fd;
    this.size = fstatSync(fd).size;
  }

  frames(datasetPath: string): FrameFileOffsets | null {
    const dataset = this.dataset(datasetPath);
    return dataset && this.datasetOffsets(dataset);
  }

  /** A 1-d contiguous little-endian int64 dataset's values. */
  int64Column(datasetPath: string): BigInt64Array | null {
    const dataset = this.dataset(datasetPath);
    const space = dataset?.find((m) => m.type === 0x01)?.body;
    const type = dataset?.find((m) => m.type === 0x03)?.body;
    const layout = dataset?.find((m) => m.type === 0x08)?.body;
    if (!space || !type || !layout || space[1] !== 1) return null;
    if ((type[0]! & 0x0f) !== 0 || (type[1]! & 0x09) !== 0x08 || view(type).getUint32(4, true) !== 8)
      return null;
    if ((layout[0] !== 3 && layout[0] !== 4) || layout[1] !== 1) return null;
    const count = u64(space, space[0] === 1 ? 8 : 4);
    const address = u64(layout, 2);
    if (count === 0 || address === UNDEFINED) return null;
    return new BigInt64Array(this.read(this.base + address, count * 8).buffer);
  }

  /** The object header messages of the dataset at `datasetPath`, or null when there is none. */
  private dataset(datasetPath: string): Message[] | null {
    let header = this.rootHeader();
    for (const name of datasetPath.split('/').filter((p) => p !== '')) {
      const child = this.child(this.messages(header), name);
      if (child === null) return null;
      header = child;
    }
    return this.messages(header);
  }

  at(address: number, length: number): Uint8Array {
    return this.read(this.base + address, length);
  }

  private read(position: number, length: number): Uint8Array {
    if (position + length > this.size) throw new Unsupported(`read past the end at ${position}`);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, out, done, length - done, position + done);
      if (n === 0) throw new Unsupported(`file ends before byte ${position + length}`);
      done += n;
    }
    return out;
  }

  /** The root group's object header address; the superblock may sit after a user block. */
  private rootHeader(): number {
    for (let at = 0; at + 8 <= this.size; at = at === 0 ? 512 : at * 2) {
      const sb = this.read(at, Math.min(100, this.size - at));
      if (ascii(sb, 0, 8) !== '\x89HDF\r\n\x1a\n') continue;
      const version = sb[8]!;
      if (version === 0 || version === 1) {
        if (sb[13] !== 8 || sb[14] !== 8) throw new Unsupported('offsets or lengths not 8 bytes');
        const addresses = version === 0 ? 24 : 28;
        this.base = u64(sb, addresses);
        // Root symbol table entry after base, free-space, end-of-file and driver addresses.
        return this.base + u64(sb, addresses + 32 + 8);
      }
      if (version === 2 || version === 3) {
        if (sb[9] !== 8 || sb[10] !== 8) throw new Unsupported('offsets or lengths not 8 bytes');
        this.base = u64(sb, 12);
        return this.base + u64(sb, 36);
      }
      throw new Unsupported(`superblock version ${version}`);
    }
    throw new Unsupported('no HDF5 superblock');
  }

  /** Every message of the object header at `address`, continuation blocks followed. */
  private messages(address: number): Message[] {
    const head = this.read(address, 16);
    if (ascii(head, 0, 4) === 'OHDR') return this.messagesV2(address, head[4]!, head[5]!);
    if (head[0] !== 1) throw new Unsupported(`object header version ${head[0]} at ${address}`);
    const size = view(head).getUint32(8, true);
    const messages: Message[] = [];
    const blocks: [number, number][] = [[address + 16, size]];
    for (let b = 0; b < blocks.length; b++) {
      const [start, length] = blocks[b]!;
      const block = this.read(start, length);
      for (let at = 0; at + 8 <= length; ) {
        const type = view(block).getUint16(at, true);
        const bodyLength = view(block).getUint16(at + 2, true);
        const body = block.subarray(at + 8, at + 8 + bodyLength);
        if (type === 0x10) blocks.push([this.base + u64(body, 0), u64(body, 8)]);
        else messages.push({ type, body });
        at += 8 + bodyLength;
      }
    }
    return messages;
  }

  private messagesV2(address: number, version: number, flags: number): Message[] {
    if (version !== 2) throw new Unsupported(`object header version ${version}`);
    const sizeBytes = 1 << (flags & 3);
    const at = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
    const sizeField = this.read(address + at, sizeBytes);
    let size = 0;
    for (let i = sizeBytes - 1; i >= 0; i--) size = size * 256 + sizeField[i]!;
    const messages: Message[] = [];
    const blocks: [number, number][] = [[address + at + sizeBytes, size]];
    const headerBytes = 4 + (flags & 0x04 ? 2 : 0);
    for (let b = 0; b < blocks.length; b++) {
      const [start, length] = blocks[b]!;
      const block = this.read(start, length);
      for (let pos = 0; pos + headerBytes <= length; ) {
        const type = block[pos]!;
        const bodyLength = block[pos + 1]! | (block[pos + 2]! << 8);
        const body = block.subarray(pos + headerBytes, pos + headerBytes + bodyLength);
        // A continuation block is "OCHK", messages, then a 4-byte checksum.
        if (type === 0x10) blocks.push([this.base + u64(body, 0) + 4, u64(body, 8) - 8]);
        else messages.push({ type, body });
        pos += headerBytes + bodyLength;
      }
    }
    return messages;
  }

  /** The object header address of the group member `name`, or null when there is none. */
  private child(group: Message[], name: string): number | null {
    const table = group.find((m) => m.type === 0x11);
    if (table) return this.symbolTableChild(u64(table.body, 0), u64(table.body, 8), name);
    const linkInfo = group.find((m) => m.type === 0x02);
    if (linkInfo && u64(linkInfo.body, 2 + (linkInfo.body[1]! & 1 ? 8 : 0)) !== UNDEFINED)
      throw new Unsupported('dense link storage');
    for (const m of group.filter((m) => m.type === 0x06)) {
      const link = compactLink(m.body);
      if (link?.name === name) return this.base + link.address;
    }
    return null;
  }

  /** Looks `name` up in a version 1 group B-tree and its symbol nodes (old-style groups). */
  private symbolTableChild(btree: number, heap: number, name: string): number | null {
    const heapHead = this.read(this.base + heap, 32);
    if (ascii(heapHead, 0, 4) !== 'HEAP') throw new Unsupported('no local heap');
    const heapData = this.read(this.base + u64(heapHead, 24), u64(heapHead, 8));
    const nodes = [btree];
    while (nodes.length > 0) {
      const node = this.base + nodes.pop()!;
      const head = this.read(node, 24);
      if (ascii(head, 0, 4) !== 'TREE' || head[4] !== 0) throw new Unsupported('no group B-tree node');
      const level = head[5]!;
      const entries = view(head).getUint16(6, true);
      const body = this.read(node + 24, entries * 16 + 8);
      for (let e = 0; e < entries; e++) {
        const child = u64(body, e * 16 + 8);
        if (level > 0) {
          nodes.push(child);
          continue;
        }
        const snod = this.read(this.base + child, 8);
        if (ascii(snod, 0, 4) !== 'SNOD') throw new Unsupported('no symbol table node');
        const symbols = view(snod).getUint16(6, true);
        const table = this.read(this.base + child + 8, symbols * 40);
        for (let s = 0; s < symbols; s++) {
          if (cString(heapData, u64(table, s * 40)) === name) return this.base + u64(table, s * 40 + 8);
        }
      }
    }
    return null;
  }

  private datasetOffsets(dataset: Message[]): FrameFileOffsets | null {
    const space = dataset.find((m) => m.type === 0x01)?.body;
    const type = dataset.find((m) => m.type === 0x03)?.body;
    const layout = dataset.find((m) => m.type === 0x08)?.body;
    if (!space || !type || !layout) return null;
    const filters = dataset.find((m) => m.type === 0x0b)?.body;
    if (filters && filters[1]! > 0) return null;
    if (space[1] !== 3) return null;
    const dimsAt = space[0] === 1 ? 8 : 4;
    const shape: [number, number, number] = [
      u64(space, dimsAt),
      u64(space, dimsAt + 8),
      u64(space, dimsAt + 16),
    ];
    const element = elementOf(type);
    if (!element) return null;
    const [count, height, width] = shape;
    const frameBytes = height * width * element.bytes;
    const offsets = new Float64Array(count);
    const version = layout[0]!;
    const layoutClass = layout[1]!;
    if ((version === 3 || version === 4) && layoutClass === 1) {
      const address = u64(layout, 2);
      if (address === UNDEFINED) return null;
      for (let t = 0; t < count; t++) offsets[t] = this.base + address + t * frameBytes;
    } else if (version === 3 && layoutClass === 2) {
      if (layout[2] !== 4) return null;
      const chunk = [0, 1, 2, 3].map((i) => view(layout).getUint32(11 + 4 * i, true));
      if (chunk[1] !== height || chunk[2] !== width || chunk[3] !== element.bytes) return null;
      offsets.fill(-1);
      const btree = u64(layout, 3);
      if (btree === UNDEFINED) return null;
      this.chunkOffsets(btree, chunk[0]!, frameBytes, offsets);
      if (offsets.some((o) => o < 0)) return null;
    } else if (version === 4 && layoutClass === 2) {
      const chunked = chunkedLayoutV4(layout);
      const chunk = chunked.chunk;
      if (chunk.length !== 4 || chunk[1] !== height || chunk[2] !== width || chunk[3] !== element.bytes)
        return null;
      // The 1.10 indexes number chunks over the maximum dimensions: a frame must be one chunk
      // of those too, or chunk c of the first dimension is not element c.
      const maxDims = space[2]! & 0x01 ? [1, 2].map((d) => u64(space, dimsAt + 24 + 8 * d)) : [height, width];
      if (maxDims[0] !== height || maxDims[1] !== width) return null;
      const framesPerChunk = chunk[0]!;
      const chunks = Math.ceil(count / framesPerChunk);
      const addresses = chunkAddressesV4(this, chunked, chunks, framesPerChunk * frameBytes);
      if (!addresses) return null;
      for (let t = 0; t < count; t++) {
        const c = Math.floor(t / framesPerChunk);
        offsets[t] = this.base + addresses[c]! + (t - c * framesPerChunk) * frameBytes;
      }
    } else {
      return null;
    }
    // A frame past the end of the file: an index this walk misread, or a file cut short.
    for (const o of offsets) if (o + frameBytes > this.size) return null;
    return { shape, element: element.name, bytesPerElement: element.bytes, offsets };
  }

  /** Walks a version 1 chunk B-tree (3-d dataset), setting each written frame's offset. */
  private chunkOffsets(address: number, framesPerChunk: number, frameBytes: number, offsets: Float64Array) {
    const keyBytes = 8 + 8 * 4;
    const head = this.read(this.base + address, 24);
    if (ascii(head, 0, 4) !== 'TREE' || head[4] !== 1) throw new Unsupported('no chunk B-tree node');
    const level = head[5]!;
    const entries = view(head).getUint16(6, true);
    const body = this.read(this.base + address + 24, entries * (keyBytes + 8) + keyBytes);
    for (let e = 0; e < entries; e++) {
      const key = e * (keyBytes + 8);
      const child = u64(body, key + keyBytes);
      if (level > 0) {
        this.chunkOffsets(child, framesPerChunk, frameBytes, offsets);
        continue;
      }
      if (view(body).getUint32(key, true) !== framesPerChunk * frameBytes)
        throw new Unsupported('chunk size');
      const first = u64(body, key + 8);
      const end = Math.min(first + framesPerChunk, offsets.length);
      for (let t = first; t < end; t++) offsets[t] = this.base + child + (t - first) * frameBytes;
    }
  }
}

/** Datatype message → the element read as-is on this (little-endian) host, or null. */
function elementOf(type: Uint8Array): { name: FrameElement; bytes: number } | null {
  const typeClass = type[0]! & 0x0f;
  const bits = type[1]!;
  const bytes = view(type).getUint32(4, true);
  if (bits & 0x01) return null; // big-endian
  if (typeClass === 0) {
    const signed = (bits & 0x08) !== 0;
    const name = signed
      ? ({ 2: 'int16' } as const)[bytes as 2]
      : ({ 1: 'uint8', 2: 'uint16', 4: 'uint32' } as const)[bytes as 1 | 2 | 4];
    return name ? { name, bytes } : null;
  }
  if (typeClass === 1 && !(bits & 0x40)) {
    const name = ({ 4: 'float32', 8: 'float64' } as const)[bytes as 4 | 8];
    return name ? { name, bytes } : null;
  }
  return null;
}

/** A hard link message's name and object header address (soft and external links: null). */
function compactLink(body: Uint8Array): { name: string; address: number } | null {
  const flags = body[1]!;
  let at = 2;
  if (flags & 0x08 && body[at++] !== 0) return null;
  if (flags & 0x04) at += 8;
  if (flags & 0x10) at += 1;
  const lengthBytes = 1 << (flags & 3);
  let nameLength = 0;
  for (let i = lengthBytes - 1; i >= 0; i--) nameLength = nameLength * 256 + body[at + i]!;
  at += lengthBytes;
  const name = Buffer.from(body.subarray(at, at + nameLength)).toString('utf8');
  return { name, address: u64(body, at + nameLength) };
}

function cString(b: Uint8Array, at: number): string {
  const end = b.indexOf(0, at);
  return Buffer.from(b.subarray(at, end < 0 ? b.length : end)).toString('utf8');
}
