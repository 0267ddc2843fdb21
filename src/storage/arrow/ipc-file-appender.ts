import { type FileHandle, open } from 'node:fs/promises';
import {
  AsyncByteQueue,
  Message,
  type RecordBatch,
  RecordBatchFileWriter,
  type Schema,
  type TypeMap,
  util,
} from 'apache-arrow';

/** Collects the writer's output synchronously so we decide when and how it reaches the disk. */
class ChunkCollector extends AsyncByteQueue {
  chunks: Uint8Array[] = [];
  override write(value: Uint8Array): void {
    if (value.byteLength > 0) this.chunks.push(value);
  }
  take(): Uint8Array[] {
    const taken = this.chunks;
    this.chunks = [];
    return taken;
  }
}

/**
 * Arrow's file writer with one change: the schema message is also written at the start of the
 * body (the IPC spec allows it; the C++ writer does the same). The file is then
 * `ARROW1\0\0` + a complete IPC *stream* + footer, so a file cut short by a crash, which has no
 * footer, is still readable as a stream from byte 8 (see recover-run.ts).
 */
class StreamPrefixedFileWriter<T extends TypeMap> extends RecordBatchFileWriter<T> {
  protected override _writeSchema(schema: Schema<T>): this {
    super._writeSchema(schema);
    return this._writeMessage(Message.from(schema));
  }
}

/**
 * Appends record batches to an Arrow IPC file as they come, writing the footer at `close`.
 * Encoding is synchronous and in memory; only `write` and `close` touch the disk, asynchronously.
 */
export class IpcFileAppender<T extends TypeMap = TypeMap> {
  readonly path: string;
  private readonly schema: Schema<T>;
  private readonly writer = new StreamPrefixedFileWriter<T>();
  private readonly sink = new ChunkCollector();
  private handle: FileHandle | null = null;
  private started = false;
  bytesWritten = 0;
  /** Rows appended (written or about to be). */
  rows = 0;

  constructor(path: string, schema: Schema<T>) {
    this.path = path;
    this.schema = schema;
    this.writer.reset(this.sink, null);
  }

  /** Creates the file (failing if it exists: a run never overwrites another's data). */
  async open(): Promise<void> {
    this.handle = await open(this.path, 'wx');
  }

  /** Encodes a batch into memory; `write` puts it on disk. Every batch must use the appender's schema. */
  append(batch: RecordBatch<T>): void {
    // The writer would silently start a second file in the same bytes on a schema change.
    if (!util.compareSchemas(this.schema, batch.schema)) {
      throw new Error(`batch schema differs from the schema of ${this.path}`);
    }
    if (!this.started) {
      // Starting with the schema writes the magic and schema message even if no batch follows,
      // so a stream with a descriptor and no events still yields a readable, empty file.
      this.writer.reset(this.sink, this.schema);
      this.started = true;
    }
    this.writer.write(batch);
    this.rows += batch.numRows;
  }

  /** Writes everything appended so far. */
  async write(): Promise<void> {
    if (!this.started) {
      this.writer.reset(this.sink, this.schema);
      this.started = true;
    }
    const chunks = this.sink.take();
    if (chunks.length === 0) return;
    const expected = chunks.reduce((sum, c) => sum + c.byteLength, 0);
    const { bytesWritten } = await this.requireHandle().writev(chunks);
    this.bytesWritten += bytesWritten;
    // libuv retries partial writes itself, so a short count means the device refused the rest.
    if (bytesWritten !== expected) {
      throw new Error(`short write to ${this.path}: ${bytesWritten} of ${expected} bytes (disk full?)`);
    }
  }

  /** Data on the device, not only in the page cache (checkpoints). */
  async sync(): Promise<void> {
    await this.requireHandle().datasync();
  }

  /** Writes what is pending, then the footer, and closes the file. */
  async close(): Promise<void> {
    await this.write();
    this.writer.finish();
    await this.write();
    await this.requireHandle().close();
    this.handle = null;
  }

  /** Closes the file without a footer (after a failure); it stays recoverable as a stream. */
  async abandon(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close();
  }

  private requireHandle(): FileHandle {
    if (!this.handle) throw new Error(`${this.path} is not open`);
    return this.handle;
  }
}
