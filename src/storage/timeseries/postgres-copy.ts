import type pg from 'pg';
import type { Sample } from './timeseries-store.ts';

/**
 * `COPY … FROM STDIN (FORMAT binary)` on a `pg` connection, without pg-copy-streams: `pg` runs
 * any object with `submit(connection)` as a query and hands it the protocol messages that
 * follow (CopyInResponse, CommandComplete, ErrorResponse, ReadyForQuery), and its Connection
 * can send CopyData/CopyDone. The whole payload is sent as soon as the server asks for it.
 */

/** PostgreSQL's epoch (2000-01-01) in Unix milliseconds: binary timestamps count µs from it. */
const PG_EPOCH_MS = 946_684_800_000;
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * Rows of (signal text, time timestamptz, value float8, quality text) in COPY's binary format:
 * the server converts nothing but the text columns, the cheapest input it accepts.
 */
export function encodeSamplesBinary(rows: readonly Sample[]): Buffer {
  // A batch repeats few signal names: encode each once.
  const names = new Map<string, Buffer>();
  const texts = rows.map((r) => {
    let text = names.get(r.signal);
    if (!text) {
      text = Buffer.from(r.signal, 'utf8');
      names.set(r.signal, text);
    }
    return text;
  });
  const qualities = rows.map((r) => (r.quality == null ? null : Buffer.from(r.quality, 'utf8')));
  let size = SIGNATURE.length + 8 + 2;
  for (let i = 0; i < rows.length; i++) {
    // field count, then each field's length word and bytes (a null value or quality is length −1)
    size += 2 + 4 + texts[i]!.length + 4 + 8 + 4 + (rows[i]!.value === null ? 0 : 8) + 4;
    size += qualities[i]?.length ?? 0;
  }
  const out = Buffer.allocUnsafe(size);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let at = SIGNATURE.copy(out, 0);
  view.setInt32(at, 0); // flags
  view.setInt32(at + 4, 0); // header extension length
  at += 8;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const text = texts[i]!;
    view.setInt16(at, 4);
    view.setInt32(at + 2, text.length);
    at += 6;
    at += text.copy(out, at);
    // µs since 2000 fit a double exactly (< 2^53) for any plausible date: split into two words.
    const micros = Math.round((row.time - PG_EPOCH_MS) * 1000);
    const high = Math.floor(micros / 2 ** 32);
    view.setInt32(at, 8);
    view.setInt32(at + 4, high);
    view.setUint32(at + 8, micros - high * 2 ** 32);
    at += 12;
    if (row.value === null) {
      view.setInt32(at, -1);
      at += 4;
    } else {
      view.setInt32(at, 8);
      view.setFloat64(at + 4, row.value);
      at += 12;
    }
    const quality = qualities[i];
    if (quality == null) {
      view.setInt32(at, -1);
      at += 4;
    } else {
      view.setInt32(at, quality.length);
      at += 4;
      at += quality.copy(out, at);
    }
  }
  view.setInt16(at, -1); // trailer
  return out;
}

/** What `pg` calls on a submittable query (see pg/lib/client.js). */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/** Largest CopyData message sent at once (the server takes any size; this bounds each write). */
const CHUNK = 1 << 20;

class CopyFromStdin {
  readonly text: string;
  private readonly payload: Buffer;
  private readonly done: (error: Error | null, rows: number) => void;
  private rows = 0;
  private finished = false;
  callback: undefined;

  constructor(text: string, payload: Buffer, done: (error: Error | null, rows: number) => void) {
    this.text = text;
    this.payload = payload;
    this.done = done;
  }

  submit(connection: CopyConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    for (let at = 0; at < this.payload.length; at += CHUNK) {
      connection.sendCopyFromChunk(this.payload.subarray(at, at + CHUNK));
    }
    connection.endCopyFrom();
  }

  handleCommandComplete(message: { text?: string }): void {
    this.rows = Number(/COPY (\d+)/.exec(message.text ?? '')?.[1] ?? 0);
  }

  /** pg stops routing messages to a query once it failed (no ReadyForQuery follows here): finish now. */
  handleError(error: Error): void {
    this.finish(error);
  }

  handleReadyForQuery(): void {
    this.finish(null);
  }

  private finish(error: Error | null): void {
    if (this.finished) return;
    this.finished = true;
    this.done(error, this.rows);
  }

  // Messages a COPY FROM does not produce; pg may still call these on any active query.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/** Runs `copySql` (a `COPY … FROM STDIN` statement) with `payload` as its input; resolves to the rows copied. */
export function copyFromStdin(
  client: pg.PoolClient | pg.Client,
  copySql: string,
  payload: Buffer,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const submittable = new CopyFromStdin(copySql, payload, (error, rows) =>
      error ? reject(error) : resolve(rows),
    );
    (client as unknown as { query(q: unknown): void }).query(submittable);
  });
}
