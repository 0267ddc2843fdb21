import { Writable } from 'node:stream';

export interface LogRecord {
  time: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

/**
 * Keeps the last N log records in memory (the dashboard's System page and the `logs`
 * stream channel show them) without touching disk. It is one more pino destination.
 */
export class LogRing extends Writable {
  private readonly capacity: number;
  private readonly records: LogRecord[] = [];
  private readonly subscribers = new Set<(r: LogRecord) => void>();

  constructor(capacity = 500) {
    super();
    this.capacity = capacity;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      try {
        const record = JSON.parse(line) as LogRecord;
        this.records.push(record);
        if (this.records.length > this.capacity) this.records.shift();
        for (const l of this.subscribers) l(record);
      } catch {
        // Not a JSON line (never produced by pino); nothing to keep.
      }
    }
    done();
  }

  recent(limit = 100, minLevel?: string): LogRecord[] {
    const order = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
    const min = minLevel ? order.indexOf(minLevel) : 0;
    return this.records.filter((r) => order.indexOf(r.level) >= min).slice(-limit);
  }

  subscribe(listener: (r: LogRecord) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }
}
