import { closeSync, constants, openSync, writeSync } from 'node:fs';

/**
 * File positions and lengths of direct writes are multiples of this (the page size, also the
 * largest logical block size in use), so a direct write never shares a page with a buffered one.
 */
const BLOCK = 4096;

/**
 * Writes large raw-data chunks (camera frames) into an HDF5 file with O_DIRECT, bypassing the
 * page cache, while HDF5 keeps writing its metadata through its own buffered descriptor. On the
 * VMs we run on, buffered writes of fresh data are bound by page-cache allocation (about
 * 430 MB/s sustained with `dd`), while O_DIRECT writes reach the device at about 1.3 GB/s:
 * the difference between keeping up with a 2048×2048 camera at 43 fps and dropping frames.
 * See docs/decisions/0009-direct-frame-writes.md.
 *
 * HDF5 places chunks at arbitrary byte offsets (h5wasm does not expose H5Pset_alignment), so a
 * chunk is split: the whole pages inside it go out directly from a page-aligned staging buffer,
 * and the unaligned head and tail (each under 4 KiB) through an ordinary buffered descriptor.
 * Pages written directly and pages written buffered never overlap, so the kernel's page cache
 * stays coherent for readers (SWMR readers, h5py) without extra flushes.
 *
 * `open` returns null where O_DIRECT is not available (not Linux, tmpfs, …); a direct write
 * that fails later (a filesystem that accepts the flag but not the I/O) switches this writer
 * to buffered writes for good, and the caller never sees the difference except in `mode`.
 */
export class DirectChunkWriter {
  readonly path: string;
  private directFd: number | null;
  private readonly bufferedFd: number;
  private staging: Uint8Array | null = null;
  /** Bytes written with O_DIRECT / through the page cache. */
  directBytes = 0;
  bufferedBytes = 0;
  /** Why direct writes stopped, if they did. */
  fallbackReason: string | null = null;

  private constructor(path: string, directFd: number, bufferedFd: number) {
    this.path = path;
    this.directFd = directFd;
    this.bufferedFd = bufferedFd;
  }

  static open(path: string): DirectChunkWriter | null {
    const flag = constants.O_DIRECT;
    if (flag === undefined || process.platform !== 'linux') return null;
    let directFd: number;
    try {
      directFd = openSync(path, constants.O_RDWR | flag);
    } catch {
      return null;
    }
    return new DirectChunkWriter(path, directFd, openSync(path, constants.O_WRONLY));
  }

  /** 'buffered' once a direct write failed (every write after it goes through the page cache). */
  get mode(): 'direct' | 'buffered' {
    return this.fallbackReason === null ? 'direct' : 'buffered';
  }

  /** Writes all of `bytes` at `position`. */
  write(bytes: Uint8Array, position: number): void {
    const end = position + bytes.byteLength;
    const first = Math.ceil(position / BLOCK) * BLOCK;
    const last = Math.floor(end / BLOCK) * BLOCK;
    if (this.directFd === null || last - first < BLOCK) {
      this.writeBuffered(bytes, position);
      return;
    }
    const middle = bytes.subarray(first - position, last - position);
    if (!this.writeDirect(middle, first)) {
      this.writeBuffered(bytes, position);
      return;
    }
    if (first > position) this.writeBuffered(bytes.subarray(0, first - position), position);
    if (end > last) this.writeBuffered(bytes.subarray(last - position), last);
  }

  close(): void {
    if (this.directFd !== null) closeSync(this.directFd);
    this.directFd = null;
    closeSync(this.bufferedFd);
    this.staging = null;
  }

  private writeDirect(bytes: Uint8Array, position: number): boolean {
    const fd = this.directFd;
    if (fd === null) return false;
    try {
      const staging =
        this.staging && this.staging.byteLength >= bytes.byteLength
          ? this.staging.subarray(0, bytes.byteLength)
          : this.allocateStaging(fd, bytes, position);
      staging.set(bytes);
      let done = 0;
      while (done < bytes.byteLength) {
        const n = writeSync(fd, staging, done, bytes.byteLength - done, position + done);
        if (n <= 0 || n % BLOCK !== 0) throw new Error(`short direct write (${n} bytes)`);
        done += n;
      }
      this.directBytes += done;
      return true;
    } catch (err) {
      // A short direct write may have written part of the range; the buffered rewrite of the
      // whole chunk that follows covers it.
      this.fallbackReason = err instanceof Error ? err.message : String(err);
      closeSync(fd);
      this.directFd = null;
      this.staging = null;
      return false;
    }
  }

  private writeBuffered(bytes: Uint8Array, position: number): void {
    let done = 0;
    while (done < bytes.byteLength) {
      done += writeSync(this.bufferedFd, bytes, done, bytes.byteLength - done, position + done);
    }
    this.bufferedBytes += done;
  }

  /**
   * A staging buffer whose start the kernel accepts for direct I/O. JavaScript cannot see
   * addresses, so the aligned offset inside an over-allocated buffer is found by asking the
   * kernel: a direct write from a misaligned address fails with EINVAL. The probe writes the
   * chunk's own first block at its own position, so a successful probe writes nothing the
   * chunk would not. (Large ArrayBuffers live outside V8's moving heap: the offset stays valid.)
   */
  private allocateStaging(fd: number, bytes: Uint8Array, position: number): Uint8Array {
    // One block of headroom: the aligned middle of equal-sized chunks varies by one block.
    const capacity = bytes.byteLength + BLOCK;
    const raw = new Uint8Array(capacity + BLOCK);
    const firstBlock = bytes.subarray(0, BLOCK);
    for (let offset = 0; offset < BLOCK; offset += 16) {
      raw.set(firstBlock, offset);
      try {
        writeSync(fd, raw, offset, BLOCK, position);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EINVAL') continue;
        throw err;
      }
      this.staging = raw.subarray(offset, offset + capacity);
      return this.staging.subarray(0, bytes.byteLength);
    }
    throw new Error('no offset in a staging buffer is aligned for direct I/O');
  }
}
