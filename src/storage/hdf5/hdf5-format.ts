import type { FilterSpec } from './chunk-codecs.ts';
import { lookup3 } from './run-file-recovery.ts';

/**
 * Encoders for the few HDF5 file-format structures a chunked, filtered dataset needs (HDF5
 * File Format Specification v3: superblock version 3, version 2 object headers, a compact
 * "new style" root group, layout message version 3 with a version 1 B-tree chunk index).
 * Offsets and lengths are 8 bytes. Every structure here is readable by HDF5 1.8 and later.
 */

export const UNDEFINED_ADDRESS = 0xffff_ffff_ffff_ffffn;
const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Children per chunk B-tree node: 2 × HDF5's default K of 32 (the superblock stores none). */
export const BTREE_NODE_ENTRIES = 64;

/** A growable little-endian byte buffer (`room` may replace the buffer: call it before touching it). */
export class ByteWriter {
  private bytes = new Uint8Array(256);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  private room(n: number): number {
    if (this.length + n > this.bytes.byteLength) {
      const grown = new Uint8Array(Math.max(this.bytes.byteLength * 2, this.length + n));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  u8(v: number): this {
    const at = this.room(1);
    this.view.setUint8(at, v);
    return this;
  }

  u16(v: number): this {
    const at = this.room(2);
    this.view.setUint16(at, v, true);
    return this;
  }

  u32(v: number): this {
    const at = this.room(4);
    this.view.setUint32(at, v >>> 0, true);
    return this;
  }

  u64(v: number | bigint): this {
    const at = this.room(8);
    this.view.setBigUint64(at, BigInt(v), true);
    return this;
  }

  raw(b: ArrayLike<number>): this {
    const at = this.room(b.length);
    this.bytes.set(b, at);
    return this;
  }

  zeros(n: number): this {
    const at = this.room(n);
    this.bytes.fill(0, at, this.length);
    return this;
  }

  /** Overwrites 4 bytes at `at` (sizes known only after the content). */
  setU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, true);
  }

  /** Appends the lookup3 checksum of everything written so far. */
  checksum(): this {
    return this.u32(lookup3(this.bytes.subarray(0, this.length)));
  }

  done(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/** Superblock version 3 (48 bytes): the file's one mutable pointer, to the root group. */
export function superblock(rootAddress: number, endOfFile: number): Uint8Array {
  return new ByteWriter()
    .raw(SIGNATURE)
    .u8(3) // version
    .u8(8) // size of offsets
    .u8(8) // size of lengths
    .u8(0) // file consistency flags: not open for writing
    .u64(0) // base address
    .u64(UNDEFINED_ADDRESS) // superblock extension
    .u64(endOfFile)
    .u64(rootAddress)
    .checksum()
    .done();
}

export interface HeaderMessage {
  type: number;
  body: Uint8Array;
}

/** A version 2 object header ("OHDR"), one chunk, no times stored, checksummed. */
export function objectHeader(messages: HeaderMessage[]): Uint8Array {
  const w = new ByteWriter().raw([0x4f, 0x48, 0x44, 0x52]).u8(2).u8(2); // 4-byte chunk size field
  const sizeAt = w.length;
  w.u32(0);
  const start = w.length;
  for (const m of messages) {
    if (m.body.byteLength > 0xffff) throw new Error(`HDF5 header message ${m.type} too large`);
    w.u8(m.type).u16(m.body.byteLength).u8(0).raw(m.body);
  }
  w.setU32(sizeAt, w.length - start);
  return w.checksum().done();
}

/** The root group's messages: a compact group (link info, group info, one link per child). */
export function groupMessages(links: { name: string; address: number }[]): HeaderMessage[] {
  const linkInfo = new ByteWriter().u8(0).u8(0).u64(UNDEFINED_ADDRESS).u64(UNDEFINED_ADDRESS).done();
  const groupInfo = new ByteWriter().u8(0).u8(0).done();
  const messages: HeaderMessage[] = [
    { type: 0x02, body: linkInfo },
    { type: 0x0a, body: groupInfo },
  ];
  for (const link of links) {
    const name = Buffer.from(link.name, 'utf8');
    if (name.byteLength > 255) throw new Error(`link name ${link.name} too long`);
    // version 1, flags: 1-byte name length, hard link, ASCII/UTF-8 name
    const body = new ByteWriter().u8(1).u8(0x10).u8(1).u8(name.byteLength).raw(name).u64(link.address);
    messages.push({ type: 0x06, body: body.done() });
  }
  return messages;
}

/** Dataspace version 2: simple, with maximum sizes; `null` is unlimited. */
export function dataspace(dims: number[], maxDims: (number | null)[]): Uint8Array {
  const w = new ByteWriter().u8(2).u8(dims.length).u8(1).u8(1);
  for (const d of dims) w.u64(d);
  for (const d of maxDims) w.u64(d === null ? UNDEFINED_ADDRESS : d);
  return w.done();
}

const SCALAR_SPACE = new Uint8Array([2, 0, 0, 0]);

/** Unsigned little-endian integer of `size` bytes. */
export function unsignedType(size: number): Uint8Array {
  return new ByteWriter()
    .u8(0x10) // version 1, class 0 (fixed point)
    .u8(0)
    .u8(0)
    .u8(0) // little-endian, zero padding, unsigned
    .u32(size)
    .u16(0) // bit offset
    .u16(size * 8) // precision
    .done();
}

/** A fixed-length UTF-8 string of `size` bytes, null-terminated. */
function stringType(size: number): Uint8Array {
  return new ByteWriter().u8(0x13).u8(0x10).u8(0).u8(0).u32(size).done();
}

/** Fill value message version 3: chunks allocated incrementally, the default fill (zeros). */
export function fillValue(): Uint8Array {
  return new Uint8Array([3, 0x03 | (0x02 << 2)]);
}

/** Layout message version 3, chunked: `chunk` in elements, the element size as last dimension. */
export function chunkedLayout(btreeAddress: number | null, chunk: number[], elementSize: number): Uint8Array {
  const w = new ByteWriter()
    .u8(3)
    .u8(2)
    .u8(chunk.length + 1)
    .u64(btreeAddress ?? UNDEFINED_ADDRESS);
  for (const d of chunk) w.u32(d);
  return w.u32(elementSize).done();
}

/** Names HDF5 shows for filters it does not build in (h5dump prints them). */
const FILTER_NAMES: Record<number, string> = { 32004: 'lz4', 32008: 'bitshuffle', 32015: 'Zstandard' };

/** Filter pipeline message version 2, every filter mandatory. */
export function filterPipelineMessage(filters: FilterSpec[]): Uint8Array {
  const w = new ByteWriter().u8(2).u8(filters.length);
  for (const f of filters) {
    w.u16(f.id);
    const name = f.id >= 256 ? Buffer.from(`${FILTER_NAMES[f.id] ?? 'filter'}\0`, 'utf8') : null;
    if (name) w.u16(name.byteLength);
    w.u16(0).u16(f.cdValues.length);
    if (name) w.raw(name);
    for (const v of f.cdValues) w.u32(v);
  }
  return w.done();
}

/** Attribute message version 3: a scalar fixed-length UTF-8 string. */
export function stringAttribute(name: string, value: string): HeaderMessage {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const valueBytes = Buffer.from(`${value}\0`, 'utf8');
  const type = stringType(valueBytes.byteLength);
  const body = new ByteWriter()
    .u8(3)
    .u8(0)
    .u16(nameBytes.byteLength)
    .u16(type.byteLength)
    .u16(SCALAR_SPACE.byteLength)
    .u8(1) // UTF-8 name
    .raw(nameBytes)
    .raw(type)
    .raw(SCALAR_SPACE)
    .raw(valueBytes)
    .done();
  return { type: 0x0c, body };
}

/** One chunk B-tree key: the chunk's stored size, filter mask and offset (in elements) per dimension. */
export interface ChunkKey {
  size: number;
  /** Offset of the chunk along the first dimension (the frame's row). */
  row: number;
  /** The other dimensions' offsets: 0 for a chunk's left key, the chunk's extent for a right key. */
  rest: number[];
}

/** Bytes of one B-tree node of `rank`-dimensional chunks, allocated for a full node. */
export function btreeNodeSize(rank: number): number {
  const key = 8 + 8 * (rank + 1);
  return 24 + (BTREE_NODE_ENTRIES + 1) * key + BTREE_NODE_ENTRIES * 8;
}

/**
 * A version 1 B-tree node of a chunk index ("TREE", type 1): `keys` has one more entry than
 * `children` (chunk addresses at level 0, child nodes above). Siblings are left undefined:
 * readers descend from the root, only writers that insert follow them.
 */
export function btreeNode(level: number, keys: ChunkKey[], children: number[], rank: number): Uint8Array {
  const w = new ByteWriter()
    .raw([0x54, 0x52, 0x45, 0x45])
    .u8(1)
    .u8(level)
    .u16(children.length)
    .u64(UNDEFINED_ADDRESS)
    .u64(UNDEFINED_ADDRESS);
  const key = (k: ChunkKey) => {
    w.u32(k.size).u32(0).u64(k.row);
    for (const r of k.rest) w.u64(r);
    w.u64(0); // the element-size dimension
  };
  children.forEach((child, i) => {
    key(keys[i]!);
    w.u64(child);
  });
  key(keys[children.length]!);
  w.zeros(btreeNodeSize(rank) - w.length);
  return w.done();
}
