import { closeSync, existsSync, fdatasyncSync, fstatSync, openSync, unlinkSync, writeSync } from 'node:fs';
import type { FilterSpec } from './chunk-codecs.ts';
import { CompressedFramesReader } from './compressed-frames-reader.ts';
import { DirectChunkWriter } from './direct-chunk-writer.ts';
import {
  BTREE_NODE_ENTRIES,
  btreeNode,
  type ChunkKey,
  chunkedLayout,
  dataspace,
  fillValue,
  filterPipelineMessage,
  groupMessages,
  objectHeader,
  stringAttribute,
  superblock,
  unsignedType,
} from './hdf5-format.ts';

/** Chunks start on page boundaries, so their whole pages can go out with O_DIRECT. */
const ALIGN = 4096;
/** The superblock's page: nothing else is written into it, so rewriting it touches nothing else. */
const FIRST_CHUNK = ALIGN;

export interface CompressedFramesOptions {
  height: number;
  width: number;
  /** Bytes per pixel (2 for uint16; the dataset is unsigned little-endian integers of this size). */
  elementSize: number;
  /** The pipeline the chunks were compressed with (chunk-codecs.ts `filterPipeline`). */
  filters: FilterSpec[];
  /** Name of the dataset in the file's root group. */
  datasetName?: string;
  /** Chunks past the page cache where the filesystem allows (DirectChunkWriter). */
  directWrites?: boolean;
  /** fdatasync before the superblock points at new metadata (ordering against power loss). */
  syncOnFlush?: boolean;
}

/**
 * One HDF5 file holding one camera's frames as a (rows, height, width) dataset, unlimited
 * along rows, one frame per chunk, the chunks compressed elsewhere (ChunkCompressorPool) and
 * written here as they are: HDF5's direct chunk write, which h5wasm lacks, done by writing the
 * file's structures ourselves (hdf5-format.ts; docs/decisions/0012-compressed-frame-chunks.md).
 *
 * Layout: the superblock alone in the first page; chunks appended, each at a page boundary;
 * at each `flush`, the B-tree nodes that changed, the dataset's and the root group's object
 * headers appended after the chunks, then (after fdatasync) the superblock rewritten to point at
 * the new root group. A reader sees the state of the last completed flush: everything the old
 * superblock points to is never overwritten, and the superblock is one 48-byte write inside one
 * sector. A process killed at any moment leaves a file readable up to its last flush.
 *
 * Full B-tree nodes are written once; each flush rewrites only the last node of each level.
 */
export class CompressedFramesFile {
  readonly path: string;
  private readonly options: Required<Omit<CompressedFramesOptions, 'datasetName'>> & { datasetName: string };
  private readonly fd: number;
  private readonly direct: DirectChunkWriter | null;
  /** Next page-aligned position for a chunk or metadata. */
  private end = FIRST_CHUNK;
  /** Chunk rows, addresses and stored sizes, in the order written (rows strictly increase). */
  private rows: number[] = [];
  private addresses: number[] = [];
  private sizes: number[] = [];
  /** Per level, nodes written for good (full, over children all written for good). */
  private readonly sealed: { address: number; first: ChunkKey }[][] = [];
  private extent = 0;
  private readonly attrs = new Map<string, string>();
  private closed = false;
  /** Chunk bytes written (compressed). */
  bytesWritten = 0;
  flushes = 0;

  private constructor(path: string, options: CompressedFramesOptions, flags: 'wx' | 'r+' = 'wx') {
    this.path = path;
    this.options = {
      directWrites: true,
      syncOnFlush: true,
      datasetName: 'data',
      ...options,
    };
    this.fd = openSync(path, flags);
    this.direct = this.options.directWrites ? DirectChunkWriter.open(path) : null;
  }

  /** Creates the file (fails if it exists) with an empty dataset, readable at once. */
  static create(path: string, options: CompressedFramesOptions): CompressedFramesFile {
    const file = new CompressedFramesFile(path, options);
    file.flush();
    return file;
  }

  /**
   * Opens the frames file an earlier writer left (a process killed mid-run) to go on after its
   * first `keepFrames` rows: their chunks, as of the file's last flush, stay where they are and
   * later rows are dropped from the index. New chunks and metadata go after the file's end, so
   * nothing the current superblock points to is overwritten before the next flush repoints it.
   * With `keepFrames` 0, or no file, it starts a new file. The next row written is `keepFrames`
   * (rows the old file never flushed read as zeros).
   */
  static resume(path: string, options: CompressedFramesOptions, keepFrames: number): CompressedFramesFile {
    if (keepFrames <= 0 || !existsSync(path)) {
      if (existsSync(path)) unlinkSync(path);
      return CompressedFramesFile.create(path, options);
    }
    const reader = CompressedFramesReader.open(path, options.datasetName ?? 'data');
    let kept: { row: number; address: number; size: number }[];
    try {
      const [, height, width] = reader.shape;
      if (height !== options.height || width !== options.width || reader.elementSize !== options.elementSize)
        throw new Error(
          `${path} holds ${height}×${width} frames of ${reader.elementSize}-byte pixels, not ${options.height}×${options.width} of ${options.elementSize}`,
        );
      if (JSON.stringify(reader.filters) !== JSON.stringify(options.filters))
        throw new Error(`${path} was written with other filters than these frames`);
      kept = reader.storedChunks().filter((c) => c.row < keepFrames);
    } finally {
      reader.close();
    }
    const file = new CompressedFramesFile(path, options, 'r+');
    file.end = alignUp(fstatSync(file.fd).size);
    for (const chunk of kept) {
      file.rows.push(chunk.row);
      file.addresses.push(chunk.address);
      file.sizes.push(chunk.size);
    }
    file.extent = keepFrames;
    file.flush();
    return file;
  }

  /** Frame bytes that went past the page cache. */
  get directBytes(): number {
    return this.direct?.directBytes ?? 0;
  }

  get rowsStored(): number {
    return this.rows.length;
  }

  /** Scalar string attributes of the dataset, written with the next flush. */
  setAttrs(attrs: Record<string, string>): void {
    for (const [name, value] of Object.entries(attrs)) this.attrs.set(name, value);
  }

  /** [height, width] of every frame. */
  get frameShape(): [number, number] {
    return [this.options.height, this.options.width];
  }

  /** Rows of the dataset, with or without a chunk. */
  get rowsExtent(): number {
    return this.extent;
  }

  /** Appends the compressed chunk of frame `row`; rows must increase (gaps read as zeros). */
  writeChunk(row: number, compressed: Uint8Array): void {
    this.assertOpen();
    const last = this.rows.at(-1);
    if (last !== undefined && row <= last)
      throw new Error(`frame row ${row} after row ${last} in ${this.path}`);
    const at = this.end;
    if (this.direct) this.direct.write(compressed, at);
    else this.writeBuffered(compressed, at);
    this.rows.push(row);
    this.addresses.push(at);
    this.sizes.push(compressed.byteLength);
    this.end = alignUp(at + compressed.byteLength);
    this.bytesWritten += compressed.byteLength;
    this.extent = Math.max(this.extent, row + 1);
  }

  /** Makes the dataset at least `rows` long (rows without a chunk read as zeros). */
  extendTo(rows: number): void {
    this.extent = Math.max(this.extent, rows);
  }

  /** Makes every chunk written so far, the extent and the attributes readable (see the class comment). */
  flush(): void {
    this.assertOpen();
    const meta: Uint8Array[] = [];
    const metaStart = this.end;
    let at = metaStart;
    const place = (bytes: Uint8Array) => {
      meta.push(bytes);
      const address = at;
      at += bytes.byteLength;
      return address;
    };
    const root = this.writeIndex(place);
    const dataset = place(objectHeader(this.datasetMessages(root)));
    const group = place(objectHeader(groupMessages([{ name: this.options.datasetName, address: dataset }])));
    this.writeBuffered(concat(meta), metaStart);
    this.end = alignUp(at);
    if (this.options.syncOnFlush) fdatasyncSync(this.fd);
    this.writeBuffered(superblock(group, at), 0);
    this.flushes++;
  }

  /** Flushes and closes the file. */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.release();
    }
  }

  /** Closes without writing more: the file stays as of its last flush (after a failure). */
  abandon(): void {
    if (!this.closed) this.release();
  }

  private release(): void {
    this.closed = true;
    this.direct?.close();
    closeSync(this.fd);
  }

  private datasetMessages(btreeRoot: number | null) {
    const { height, width, elementSize, filters } = this.options;
    const messages = [
      { type: 0x01, body: dataspace([this.extent, height, width], [null, height, width]) },
      { type: 0x03, body: unsignedType(elementSize) },
      { type: 0x05, body: fillValue() },
      { type: 0x08, body: chunkedLayout(btreeRoot, [1, height, width], elementSize) },
    ];
    if (filters.length > 0) messages.push({ type: 0x0b, body: filterPipelineMessage(filters) });
    for (const [name, value] of this.attrs) messages.push(stringAttribute(name, value));
    return messages;
  }

  /**
   * Writes the chunk index's new nodes through `place` and returns the root's address (null
   * when there are no chunks). Level 0 nodes hold up to 64 chunks, level n nodes 64 nodes of
   * level n − 1; a node is sealed (never written again) once full over sealed children.
   */
  private writeIndex(place: (bytes: Uint8Array) => number): number | null {
    const count = this.rows.length;
    if (count === 0) return null;
    const rank = 3;
    const { height, width } = this.options;
    const leftKey = (i: number): ChunkKey => ({ size: this.sizes[i]!, row: this.rows[i]!, rest: [0, 0] });
    /** The key after the last of chunks [0, end): the next chunk's left key, or past the last chunk. */
    const rightKey = (end: number): ChunkKey =>
      end < count ? leftKey(end) : { size: 0, row: this.rows[end - 1]! + 1, rest: [height, width] };
    // Level 0 entries are chunks; each level's entries are the nodes of the level below.
    let entries = count;
    let entryAddress = (i: number) => this.addresses[i]!;
    let entryFirst = leftKey;
    let entrySealed = (_i: number) => true;
    /** Chunks under one entry of the current level. */
    let span = 1;
    for (let level = 0; ; level++) {
      if (!this.sealed[level]) this.sealed[level] = [];
      const sealed = this.sealed[level];
      const nodes = Math.ceil(entries / BTREE_NODE_ENTRIES);
      const addresses: number[] = [];
      const firsts: ChunkKey[] = [];
      for (let n = 0; n < nodes; n++) {
        if (n < sealed.length) {
          addresses.push(sealed[n]!.address);
          firsts.push(sealed[n]!.first);
          continue;
        }
        const from = n * BTREE_NODE_ENTRIES;
        const to = Math.min(entries, from + BTREE_NODE_ENTRIES);
        const keys: ChunkKey[] = [];
        const children: number[] = [];
        for (let e = from; e < to; e++) {
          keys.push(entryFirst(e));
          children.push(entryAddress(e));
        }
        keys.push(rightKey(Math.min(count, to * span)));
        const address = place(btreeNode(level, keys, children, rank));
        addresses.push(address);
        firsts.push(keys[0]!);
        let full = to - from === BTREE_NODE_ENTRIES;
        for (let e = from; full && e < to; e++) full = entrySealed(e);
        // Sealed nodes keep their right key: only when the chunk after them exists.
        if (full && to * span < count && n === sealed.length) sealed.push({ address, first: keys[0]! });
      }
      if (nodes === 1) return addresses[0]!;
      const sealedCount = sealed.length;
      entries = nodes;
      entryAddress = (i) => addresses[i]!;
      entryFirst = (i) => firsts[i]!;
      entrySealed = (i) => i < sealedCount;
      span *= BTREE_NODE_ENTRIES;
    }
  }

  private writeBuffered(bytes: Uint8Array, position: number): void {
    let done = 0;
    while (done < bytes.byteLength) {
      done += writeSync(this.fd, bytes, done, bytes.byteLength - done, position + done);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`${this.path} is closed`);
  }
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
