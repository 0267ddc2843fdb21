/**
 * XDR (RFC 4506), the subset ONC-RPC and VXI-11 use: 32-bit integers, booleans and
 * variable-length opaque data / strings padded to a multiple of four bytes.
 */
export class XdrWriter {
  private readonly chunks: Buffer[] = [];

  uint(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value >>> 0);
    this.chunks.push(b);
    return this;
  }

  int(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(value | 0);
    this.chunks.push(b);
    return this;
  }

  bool(value: boolean): this {
    return this.uint(value ? 1 : 0);
  }

  opaque(data: Uint8Array): this {
    this.uint(data.byteLength);
    this.chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    const pad = (4 - (data.byteLength % 4)) % 4;
    if (pad) this.chunks.push(Buffer.alloc(pad));
    return this;
  }

  string(text: string): this {
    return this.opaque(Buffer.from(text, 'latin1'));
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Thrown when a message ends early or holds an impossible length. */
export class XdrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XdrError';
  }
}

export class XdrReader {
  private readonly data: Buffer;
  private offset = 0;

  constructor(data: Buffer) {
    this.data = data;
  }

  get remaining(): number {
    return this.data.length - this.offset;
  }

  uint(): number {
    this.need(4);
    const value = this.data.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  int(): number {
    this.need(4);
    const value = this.data.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  bool(): boolean {
    return this.uint() !== 0;
  }

  opaque(maxLength = 64 * 1024 * 1024): Buffer {
    const length = this.uint();
    if (length > maxLength) throw new XdrError(`opaque length ${length} exceeds ${maxLength}`);
    const padded = length + ((4 - (length % 4)) % 4);
    this.need(padded);
    const value = this.data.subarray(this.offset, this.offset + length);
    this.offset += padded;
    return value;
  }

  string(maxLength?: number): string {
    return this.opaque(maxLength).toString('latin1');
  }

  private need(bytes: number): void {
    if (this.offset + bytes > this.data.length)
      throw new XdrError(`message ends ${this.offset + bytes - this.data.length} byte(s) early`);
  }
}
