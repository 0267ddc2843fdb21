/**
 * ONC-RPC record marking over TCP (RFC 5531 §11): a record is one or more fragments, each
 * behind a 4-byte header whose top bit says "last fragment" and whose low 31 bits give the
 * fragment's length. The decoder is a push parser: chunks may split anywhere, headers included.
 */
export function encodeRecord(payload: Uint8Array, maxFragment = 0x7fffffff): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  do {
    const length = Math.min(maxFragment, payload.byteLength - offset);
    const last = offset + length >= payload.byteLength;
    const header = Buffer.alloc(4);
    header.writeUInt32BE(((last ? 0x80000000 : 0) | length) >>> 0);
    parts.push(header, Buffer.from(payload.buffer, payload.byteOffset + offset, length));
    offset += length;
  } while (offset < payload.byteLength);
  return Buffer.concat(parts);
}

export class RecordTooLargeError extends Error {
  constructor(limit: number) {
    super(`RPC record larger than ${limit} bytes`);
    this.name = 'RecordTooLargeError';
  }
}

export class RecordDecoder {
  private readonly emit: (record: Buffer) => void;
  private readonly maxRecord: number;
  private pending: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private recordLength = 0;

  constructor(emit: (record: Buffer) => void, maxRecord = 16 * 1024 * 1024) {
    this.emit = emit;
    this.maxRecord = maxRecord;
  }

  push(chunk: Uint8Array): void {
    this.pending =
      this.pending.length === 0
        ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        : Buffer.concat([this.pending, chunk]);
    try {
      this.decodePending();
    } finally {
      // The chunk is lent for this call (ByteTransport.onData): what is kept of it is copied.
      if (this.pending.length > 0 && this.pending.buffer === chunk.buffer)
        this.pending = Buffer.from(this.pending);
    }
  }

  private decodePending(): void {
    for (;;) {
      if (this.pending.length < 4) return;
      const header = this.pending.readUInt32BE(0);
      const length = header & 0x7fffffff;
      if (this.recordLength + length > this.maxRecord) {
        this.reset();
        throw new RecordTooLargeError(this.maxRecord);
      }
      if (this.pending.length < 4 + length) return;
      this.fragments.push(Buffer.from(this.pending.subarray(4, 4 + length)));
      this.recordLength += length;
      this.pending = this.pending.subarray(4 + length);
      if (header & 0x80000000) {
        const record = Buffer.concat(this.fragments);
        this.fragments = [];
        this.recordLength = 0;
        this.emit(record);
      }
    }
  }

  reset(): void {
    this.pending = Buffer.alloc(0);
    this.fragments = [];
    this.recordLength = 0;
  }
}
