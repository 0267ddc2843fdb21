/**
 * Splits a byte stream into lines. A push parser: feed it chunks as they arrive (split
 * anywhere, even inside a CR LF pair) and it emits whole lines without their terminator.
 * Bytes are decoded as latin1 (instrument protocols are ASCII; nothing is lost for 8-bit bytes).
 */
export type Terminator = '\n' | '\r' | '\r\n' | '\r|\n';

export class LineTooLongError extends Error {
  constructor(limit: number) {
    super(`no line terminator within ${limit} bytes`);
    this.name = 'LineTooLongError';
  }
}

export class LineFramer {
  private buffer = '';
  private readonly terminator: Terminator;
  private readonly maxLineLength: number;
  private readonly emit: (line: string) => void;

  /**
   * @param terminator `\n` also strips a trailing `\r`, so CR LF replies frame correctly
   *   with either setting (the ESP300 and several drivers read to LF and strip CR).
   *   `\r|\n` ends a line at either byte and drops the empty lines that makes, for devices
   *   that accept CR, LF or CR LF from the host (the Mai Tai).
   */
  constructor(terminator: Terminator, emit: (line: string) => void, maxLineLength = 65_536) {
    this.terminator = terminator;
    this.emit = emit;
    this.maxLineLength = maxLineLength;
  }

  push(chunk: Uint8Array): void {
    // Sockets deliver Buffers: no view to make for those.
    const bytes =
      chunk instanceof Buffer ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // The common case of a request/reply link: nothing pending and one whole `\n` line. The line
    // is decoded straight from the bytes, without its terminator: one string, not two.
    const last = bytes.length - 1;
    if (
      this.buffer === '' &&
      this.terminator !== '\r' &&
      this.terminator !== '\r|\n' &&
      last >= 0 &&
      bytes[last] === 10 &&
      last <= this.maxLineLength &&
      bytes.indexOf(10) === last
    ) {
      this.emit(bytes.toString('latin1', 0, last > 0 && bytes[last - 1] === 13 ? last - 1 : last));
      return;
    }
    const text = bytes.toString('latin1');
    this.buffer += text;
    if (this.terminator === '\r|\n') this.emitAtEither();
    else this.emitAt(this.terminator === '\r\n' ? '\n' : this.terminator);
    if (this.buffer.length > this.maxLineLength) {
      this.buffer = '';
      throw new LineTooLongError(this.maxLineLength);
    }
  }

  private emitAt(sep: '\n' | '\r'): void {
    for (;;) {
      const at = this.buffer.indexOf(sep);
      if (at < 0) return;
      let line = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + sep.length);
      if (sep === '\n' && line.endsWith('\r')) line = line.slice(0, -1);
      this.emit(line);
    }
  }

  private emitAtEither(): void {
    for (;;) {
      const at = this.buffer.search(/[\r\n]/);
      if (at < 0) return;
      const line = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + 1);
      if (line !== '') this.emit(line);
    }
  }

  /** Bytes received but not yet terminated. */
  get pending(): string {
    return this.buffer;
  }

  reset(): void {
    this.buffer = '';
  }
}
