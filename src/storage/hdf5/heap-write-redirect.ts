/**
 * Lets HDF5 write a large row (a camera frame) whose bytes were never copied into the wasm
 * heap. wasm code can only address its own heap, so h5wasm needs the pixels there; but when a
 * write covers one whole chunk of an unfiltered dataset whose memory type is its file type,
 * HDF5 passes the bytes through unchanged (straight from the caller's pointer, or via its own
 * chunk buffer) and writes them with a single `pwrite` of exactly the chunk's size, which
 * Emscripten's file layer turns into `fs.writeSync(fd, HEAP8, ptr, size, position)`. During
 * `run`, a heap write of exactly the row's length is served from the caller's buffer instead,
 * so HDF5 is handed a reserved heap region that is never filled: one 8 MiB copy per frame
 * fewer, and the region's pages are never touched.
 *
 * Safety: `run` returns how many such writes it served. Anything but exactly one means HDF5
 * took another route (a filter, a type conversion, the chunk cache, a split write); the caller
 * then copies the row into the heap and writes it again, so a file never keeps the region's
 * stale contents (SwmrRunFile.writeRows does this and counts it). HDF5's metadata writes are
 * small blocks, never the size of a frame.
 */

/** The slice of Emscripten's FS object the redirect wraps. */
export interface EmscriptenWriteFs {
  write(
    stream: unknown,
    buffer: ArrayBufferView,
    offset: number,
    length: number,
    position?: number,
    canOwn?: boolean,
  ): number;
}

export interface RedirectableModule {
  FS: unknown;
  HEAPU8: Uint8Array;
}

/** Where a redirected chunk goes instead of HDF5's own descriptor (see DirectChunkWriter). */
export type ChunkSink = (bytes: Uint8Array, position: number) => void;

interface ActiveRedirect {
  source: Uint8Array;
  sink: ChunkSink | null;
  served: number;
}

const installed = new WeakMap<object, HeapWriteRedirect>();

export class HeapWriteRedirect {
  private active: ActiveRedirect | null = null;

  private constructor(module: RedirectableModule) {
    const fs = module.FS as EmscriptenWriteFs;
    const original = fs.write.bind(fs);
    fs.write = (stream, buffer, offset, length, position, canOwn) => {
      const active = this.active;
      // The heap's ArrayBuffer changes when wasm memory grows: compare with the current one.
      if (active !== null && length === active.source.byteLength && buffer.buffer === module.HEAPU8.buffer) {
        active.served++;
        if (active.sink === null || position === undefined) {
          return original(stream, active.source, 0, length, position, false);
        }
        try {
          active.sink(active.source, position);
          return length;
        } catch {
          // Write through HDF5's own descriptor instead: if the failure persists (disk full),
          // Emscripten turns it into an errno and HDF5 reports it like any failed write.
          return original(stream, active.source, 0, length, position, false);
        }
      }
      return original(stream, buffer, offset, length, position, canOwn);
    };
  }

  /** The redirect of this module's file layer, installed on first use. */
  static of(module: RedirectableModule): HeapWriteRedirect {
    let redirect = installed.get(module);
    if (!redirect) {
      redirect = new HeapWriteRedirect(module);
      installed.set(module, redirect);
    }
    return redirect;
  }

  /**
   * Runs `write` (one synchronous HDF5 write of one whole chunk) with heap writes of exactly
   * `source.byteLength` bytes served from `source`, through `sink` when given (else through
   * HDF5's descriptor). Returns how many writes were served.
   */
  run(source: Uint8Array, write: () => void, sink: ChunkSink | null = null): number {
    if (this.active) throw new Error('HeapWriteRedirect.run is not re-entrant');
    const active: ActiveRedirect = { source, sink, served: 0 };
    this.active = active;
    try {
      write();
    } finally {
      this.active = null;
    }
    return active.served;
  }
}
