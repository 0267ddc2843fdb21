import h5wasm, { type File } from 'h5wasm/node';
import { DirectChunkWriter } from './direct-chunk-writer.ts';
import { HeapWriteRedirect } from './heap-write-redirect.ts';

export type H5Module = Awaited<typeof h5wasm.ready>;

/**
 * Superblock v3 (HDF5 ≥ 1.10) is what SWMR needs; capping the object formats at 1.10 keeps the
 * files readable by the HDF5 1.10 that Debian 12's h5py and h5dump ship (h5wasm's own library
 * is 2.0, whose newest formats 1.10 cannot read).
 */
const LIBVER: ['v110', 'v110'] = ['v110', 'v110'];

export type AttrValue = string | number | string[];

/**
 * Rows larger than HDF5's default chunk cache (1 MiB, which h5wasm leaves as is) reach an
 * unfiltered dataset without being copied into the wasm heap (see HeapWriteRedirect). Smaller
 * chunks pass through the chunk cache, a copy HDF5 makes anyway.
 */
const REDIRECT_MIN_BYTES = 1024 * 1024 + 1;

export interface ExtendibleSpec {
  /** h5wasm dtype: `<d`, `<q`, `<B`, `<H`, … or `S` for variable-length UTF-8 strings. */
  dtype: string;
  /** Shape of one row: [] for a scalar per row, [height, width] for a frame. */
  rowShape: number[];
  chunkRows: number;
  /** gzip level; 0 writes the dataset uncompressed (variable-length strings always are). */
  gzipLevel: number;
}

/**
 * One HDF5 file written in SWMR mode (single writer, multiple readers), so another process can
 * open the run while it grows (`h5py.File(p, 'r', swmr=True)`) and a flushed file survives the
 * writer being killed. HDF5 allows only appends to existing datasets in SWMR mode, so creating
 * groups, datasets or attributes first leaves it (close, reopen read-write) and the next append
 * or flush re-enters it. Runs create their structure up front, so this happens once or twice.
 *
 * Rows are written with one hyperslab write each. Large rows of unfiltered datasets (camera
 * frames) go from the caller's buffer straight to the file (HeapWriteRedirect); the rest are
 * staged through one reusable buffer in the wasm heap (wasm cannot address memory outside it).
 */
export class SwmrRunFile {
  readonly path: string;
  private readonly m: H5Module;
  private file: File;
  private swmr = false;
  private open = true;
  private readonly extents = new Map<string, number>();
  /** Datasets without filters, whose large rows HDF5 writes from the caller's buffer unchanged. */
  private readonly redirectable = new Set<string>();
  private readonly redirect: HeapWriteRedirect;
  /** O_DIRECT writes of frame chunks, opened with the first frame; null where unavailable. */
  private direct: DirectChunkWriter | null | undefined;
  private readonly directWrites: boolean;
  private scratchPtr = 0;
  private scratchSize = 0;
  /** Raw data bytes written (rows, frames), not HDF5 metadata. */
  bytesWritten = 0;
  /** Of those, bytes written straight from the caller's buffer, never copied into the heap. */
  bytesRedirected = 0;
  /** Rows HDF5 did not write from the staging region as expected, so they were copied and rewritten. */
  redirectFallbacks = 0;

  private constructor(m: H5Module, path: string, file: File, directWrites: boolean) {
    this.m = m;
    this.path = path;
    this.file = file;
    this.directWrites = directWrites;
    this.redirect = HeapWriteRedirect.of(m);
  }

  /**
   * Creates the file; fails if it exists, so a run never overwrites another. `directWrites`
   * sends frame chunks past the page cache (DirectChunkWriter) where the filesystem allows.
   */
  static create(m: H5Module, path: string, options: { directWrites?: boolean } = {}): SwmrRunFile {
    return new SwmrRunFile(
      m,
      path,
      new h5wasm.File(path, 'x', { libver: LIBVER }),
      options.directWrites ?? true,
    );
  }

  createGroup(path: string, attrs: Record<string, AttrValue> = {}): void {
    this.forStructure().create_group(path);
    this.setAttrs(path, attrs);
  }

  setAttrs(path: string, attrs: Record<string, AttrValue>): void {
    if (Object.keys(attrs).length === 0) return;
    const file = this.forStructure();
    const target = path === '/' ? file : file.get(path);
    if (!target || !('create_attribute' in target)) throw new Error(`no HDF5 object at ${path}`);
    for (const [name, value] of Object.entries(attrs)) {
      if (typeof value === 'number') target.create_attribute(name, value, null, numberDtype(value));
      else target.create_attribute(name, value);
    }
  }

  /** A scalar dataset: strings variable-length UTF-8, integers int64, other numbers float64. */
  writeScalar(path: string, value: string | number | boolean, attrs: Record<string, AttrValue> = {}): void {
    const file = this.forStructure();
    if (typeof value === 'string') file.create_dataset({ name: path, data: value });
    else if (typeof value === 'boolean')
      file.create_dataset({ name: path, data: [value ? 1 : 0], shape: [], dtype: '<B' });
    else file.create_dataset({ name: path, data: [value], shape: [], dtype: numberDtype(value) });
    this.setAttrs(path, attrs);
  }

  /**
   * An external link at `path` to `target` in `fileName` (relative names resolve beside this
   * file). The target is not opened: it may not exist yet.
   */
  createExternalLink(path: string, fileName: string, target: string): void {
    const file = this.forStructure();
    const cut = path.lastIndexOf('/');
    const parent = cut <= 0 ? file : file.get(path.slice(0, cut));
    if (!parent || !('create_external_link' in parent)) throw new Error(`no HDF5 group above ${path}`);
    const status = parent.create_external_link(fileName, target, path.slice(cut + 1));
    if (status < 0) throw new Error(`could not link ${path} to ${fileName}:${target}`);
  }

  /** An empty dataset of rows that grows along its first axis (maxshape None). */
  createExtendible(path: string, spec: ExtendibleSpec, attrs: Record<string, AttrValue> = {}): void {
    const file = this.forStructure();
    file.create_dataset({
      name: path,
      data: [],
      shape: [0, ...spec.rowShape],
      maxshape: [null, ...spec.rowShape],
      chunks: [spec.chunkRows, ...spec.rowShape],
      dtype: spec.dtype,
      ...(spec.gzipLevel > 0 && spec.dtype !== 'S'
        ? { compression: 'gzip' as const, compression_opts: spec.gzipLevel }
        : {}),
    });
    this.extents.set(path, 0);
    if (spec.chunkRows === 1 && !(spec.gzipLevel > 0) && spec.dtype !== 'S') this.redirectable.add(path);
    this.setAttrs(path, attrs);
  }

  /** Writes `count` rows starting at `firstRow` (growing the dataset) with one hyperslab write. */
  writeRows(path: string, firstRow: number, count: number, rowShape: number[], bytes: Uint8Array): void {
    if (count === 0) return;
    this.forAppend();
    this.growTo(path, firstRow + count, rowShape);
    const ptr = this.stage(bytes.byteLength);
    const write = () => this.writeHyperslab(path, firstRow, count, rowShape, ptr);
    if (count === 1 && bytes.byteLength >= REDIRECT_MIN_BYTES && this.redirectable.has(path)) {
      this.direct ??= this.directWrites ? DirectChunkWriter.open(this.path) : null;
      const direct = this.direct;
      const sink = direct ? (chunk: Uint8Array, position: number) => direct.write(chunk, position) : null;
      if (this.redirect.run(bytes, write, sink) === 1) {
        this.bytesRedirected += bytes.byteLength;
      } else {
        // HDF5 did not write the chunk in one piece: write the real bytes again, and stop
        // trying for this dataset.
        this.redirectFallbacks++;
        this.redirectable.delete(path);
        this.m.HEAPU8.set(bytes, ptr);
        write();
      }
    } else {
      this.m.HEAPU8.set(bytes, ptr);
      write();
    }
    this.bytesWritten += bytes.byteLength;
  }

  /** Variable-length strings: the wasm heap holds the UTF-8 bytes and the `char*` array HDF5 reads. */
  writeStringRows(path: string, firstRow: number, strings: string[]): void {
    if (strings.length === 0) return;
    this.forAppend();
    this.growTo(path, firstRow + strings.length, []);
    const encoded = strings.map((s) => Buffer.from(s, 'utf8'));
    const pointerBytes = 4 * strings.length; // wasm32 pointers
    const total = pointerBytes + encoded.reduce((sum, b) => sum + b.byteLength + 1, 0);
    const ptr = this.stage(total);
    const heap = this.m.HEAPU8;
    const pointers = new DataView(heap.buffer, ptr, pointerBytes);
    let at = ptr + pointerBytes;
    encoded.forEach((bytes, i) => {
      pointers.setUint32(4 * i, at, true);
      heap.set(bytes, at);
      heap[at + bytes.byteLength] = 0;
      at += bytes.byteLength + 1;
    });
    this.writeHyperslab(path, firstRow, strings.length, [], ptr);
    this.bytesWritten += total - pointerBytes;
  }

  /** Grows a dataset to `rows` rows without writing them (they read as the fill value). */
  extend(path: string, rows: number, rowShape: number[]): void {
    this.forAppend();
    this.growTo(path, rows, rowShape);
  }

  /** Everything written so far reaches the file (and stays readable if this process dies). */
  flush(): void {
    this.forAppend();
    this.file.flush();
  }

  /** How frame chunks reached the disk: page cache, or O_DIRECT with the unaligned edges buffered. */
  frameWriteMode(): { mode: 'direct' | 'buffered'; directBytes: number; fallbackReason: string | null } {
    const direct = this.direct;
    if (!direct) return { mode: 'buffered', directBytes: 0, fallbackReason: null };
    return { mode: direct.mode, directBytes: direct.directBytes, fallbackReason: direct.fallbackReason };
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.direct?.close();
    if (this.scratchPtr !== 0) this.m._free(this.scratchPtr);
    this.scratchPtr = 0;
    this.scratchSize = 0;
    this.file.close();
  }

  /**
   * Gives the file up after a write failed: its descriptors are closed without HDF5 writing
   * anything more. What HDF5 still holds in memory would go to a failing disk, and a partial
   * metadata write can leave the whole file unreadable; abandoned, the file stays as it was at
   * the last flush, as after a crash (recoverRunFile then makes plain readers accept it).
   */
  abandon(): void {
    if (!this.open) return;
    this.open = false;
    this.direct?.close();
    const fs = this.m.FS as unknown as { streams: ({ path?: string } | null)[]; close(stream: object): void };
    for (const stream of fs.streams) {
      if (stream?.path === this.path) fs.close(stream);
    }
  }

  private forStructure(): File {
    if (this.swmr) {
      this.open = false;
      this.file.close();
      this.file = new h5wasm.File(this.path, 'a', { libver: LIBVER });
      this.open = true;
      this.swmr = false;
    }
    return this.file;
  }

  private forAppend(): void {
    if (this.swmr) return;
    const status = this.file.start_swmr_write();
    if (status < 0) throw new Error(`could not start SWMR writing on ${this.path}`);
    this.swmr = true;
  }

  private growTo(path: string, rows: number, rowShape: number[]): void {
    const extent = this.extents.get(path);
    if (extent === undefined) throw new Error(`dataset ${path} was not created by this writer`);
    if (rows <= extent) return;
    const status = this.m.resize_dataset(this.file.file_id, path, [BigInt(rows), ...rowShape.map(BigInt)]);
    if (status < 0) throw new Error(`could not grow ${path} to ${rows} rows`);
    this.extents.set(path, rows);
  }

  private writeHyperslab(
    path: string,
    firstRow: number,
    count: number,
    rowShape: number[],
    ptr: number,
  ): void {
    const status = this.m.set_dataset_data(
      this.file.file_id,
      path,
      [BigInt(count), ...rowShape.map(BigInt)],
      [BigInt(firstRow), ...rowShape.map(() => 0n)],
      [1n, ...rowShape.map(() => 1n)],
      BigInt(ptr),
    );
    if (status < 0) throw new Error(`could not write rows ${firstRow}..${firstRow + count} of ${path}`);
  }

  /** A heap buffer of at least `size` bytes, reused between writes (frames are all one size). */
  private stage(size: number): number {
    if (size > this.scratchSize) {
      if (this.scratchPtr !== 0) this.m._free(this.scratchPtr);
      this.scratchPtr = 0;
      this.scratchSize = 0;
      const ptr = this.m._malloc(size);
      if (ptr === 0) throw new Error(`could not allocate ${size} bytes in the wasm heap`);
      this.scratchPtr = ptr;
      this.scratchSize = size;
    }
    return this.scratchPtr;
  }
}

function numberDtype(value: number): string {
  return Number.isSafeInteger(value) ? '<q' : '<d';
}
