/**
 * Splits a byte stream into frames of binary protocols whose header says how long the frame
 * is: Modbus TCP (MBAP: length at bytes 4–5, big-endian, counting from byte 6), EtherNet/IP
 * encapsulation (length at bytes 2–3, little-endian, counting after the 24-byte header).
 * A push parser like LineFramer: feed chunks split anywhere and it emits whole frames.
 * Frames are copies, so a receiver may keep them after the chunk's buffer is reused.
 */
export interface LengthPrefixedFormat {
  /** Bytes needed before `frameLength` can be asked. */
  readonly headerBytes: number;
  /** The whole frame's length in bytes, header included, from its first `headerBytes`. */
  frameLength(header: Buffer): number;
  /** A frame longer than this (or shorter than its header) means the stream is corrupt. */
  readonly maxFrameBytes: number;
  /** Protocol name for errors, e.g. `Modbus TCP`. */
  readonly name: string;
}

export class FrameLengthError extends Error {
  readonly length: number;
  constructor(format: LengthPrefixedFormat, length: number) {
    super(
      `${format.name}: header announces a ${length}-byte frame (allowed ${format.headerBytes}–${format.maxFrameBytes}); stream out of step`,
    );
    this.name = 'FrameLengthError';
    this.length = length;
  }
}

export class LengthPrefixedFramer {
  private readonly format: LengthPrefixedFormat;
  private readonly emit: (frame: Buffer) => void;
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(format: LengthPrefixedFormat, emit: (frame: Buffer) => void) {
    this.format = format;
    this.emit = emit;
  }

  /** Throws FrameLengthError (and drops what was buffered) when a header is impossible. */
  push(chunk: Uint8Array): void {
    if (this.buffered === 0) chunk = this.emitWhole(chunk);
    if (chunk.byteLength === 0) return;
    // A copy: the chunk is lent for this call (ByteTransport.onData), and the partial frame is kept.
    this.chunks.push(Buffer.from(chunk));
    this.buffered += chunk.byteLength;
    while (this.buffered >= this.format.headerBytes) {
      const head = this.take(this.format.headerBytes, false);
      const length = this.format.frameLength(head);
      if (
        !Number.isInteger(length) ||
        length < this.format.headerBytes ||
        length > this.format.maxFrameBytes
      ) {
        this.reset();
        throw new FrameLengthError(this.format, length);
      }
      if (this.buffered < length) return;
      this.emit(this.take(length, true));
    }
  }

  /**
   * The common case, nothing buffered: the frames wholly inside `chunk` are emitted straight from
   * it (one copy each, no header copy); returns what is left, a partial frame or nothing.
   */
  private emitWhole(chunk: Uint8Array): Uint8Array {
    const { headerBytes, maxFrameBytes } = this.format;
    let at = 0;
    while (chunk.byteLength - at >= headerBytes) {
      const view = Buffer.from(chunk.buffer, chunk.byteOffset + at, chunk.byteLength - at);
      const length = this.format.frameLength(view);
      // An impossible header or a partial frame: the general path reports or buffers it.
      if (!Number.isInteger(length) || length < headerBytes || length > maxFrameBytes) break;
      if (view.length < length) break;
      const frame = Buffer.allocUnsafe(length);
      view.copy(frame, 0, 0, length);
      at += length;
      this.emit(frame);
    }
    return at === 0 ? chunk : chunk.subarray(at);
  }

  /** Bytes received that do not yet make a whole frame. */
  get pending(): number {
    return this.buffered;
  }

  reset(): void {
    this.chunks = [];
    this.buffered = 0;
  }

  /** The first `n` buffered bytes as one copy; `consume` removes them. */
  private take(n: number, consume: boolean): Buffer {
    const out = Buffer.allocUnsafe(n);
    let copied = 0;
    let index = 0;
    while (copied < n) {
      const chunk = this.chunks[index] as Buffer;
      const part = Math.min(chunk.length, n - copied);
      chunk.copy(out, copied, 0, part);
      copied += part;
      if (consume && part === chunk.length) index++;
      else if (consume) this.chunks[index] = chunk.subarray(part);
      else index++;
    }
    if (consume) {
      this.chunks.splice(0, index);
      this.buffered -= n;
    }
    return out;
  }
}

/** Modbus TCP: 7-byte MBAP header; bytes 4–5 count the unit id and the PDU (≤ 253 bytes). */
export const mbapFormat: LengthPrefixedFormat = {
  name: 'Modbus TCP',
  headerBytes: 7,
  frameLength: (header) => 6 + header.readUInt16BE(4),
  maxFrameBytes: 260,
};

/** EtherNet/IP encapsulation: 24-byte header; bytes 2–3 (little-endian) count the data after it. */
export const enipFormat: LengthPrefixedFormat = {
  name: 'EtherNet/IP',
  headerBytes: 24,
  frameLength: (header) => 24 + header.readUInt16LE(2),
  maxFrameBytes: 24 + 65_511,
};
