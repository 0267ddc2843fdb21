import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { openSqliteDatabase } from '../storage/sqlite-database.ts';
import type { Sample } from '../storage/timeseries/timeseries-store.ts';

export type OverflowPolicy = 'drop_oldest' | 'drop_newest';

export interface OutboxEntry {
  seq: number;
  samples: Sample[];
}

export interface OutboxStats {
  pendingBatches: number;
  pendingBytes: number;
  capacityBytes: number;
  /** Samples dropped because the buffer was full, since this process started. */
  droppedSamples: number;
  policy: OverflowPolicy;
  /**
   * Samples were dropped and the buffer has not yet drained below half its capacity: what the
   * hub's `log_buffer:<agent>` alarm shows (raised at the first drop, cleared once drained).
   */
  overflowing: boolean;
}

/**
 * The agent's parameter log on its own disk until the bus has it: every batch is written here
 * first and removed only once JetStream acknowledged it, so a network cut (or a restart in the
 * middle of one) loses nothing and the replay keeps acquisition order (the sequence number is
 * also the batch's message id and survives restarts). Bounded: past `capacityBytes` the
 * policy drops the oldest batches or refuses new ones, and every sample dropped is counted.
 */
export class LogOutbox {
  private readonly db: DatabaseSync;
  private readonly capacityBytes: number;
  private readonly policy: OverflowPolicy;
  private readonly onDrop: (samples: number, stats: OutboxStats) => void;
  private pendingBytes: number;
  private pendingBatches: number;
  private droppedSamples = 0;
  private overflowing = false;
  private readonly insertRow: StatementSync;
  private readonly oldest: StatementSync;
  private readonly deleteRow: StatementSync;
  private readonly peekRows: StatementSync;

  constructor(options: {
    path: string;
    capacityBytes: number;
    policy: OverflowPolicy;
    onDrop?: (samples: number, stats: OutboxStats) => void;
  }) {
    this.db = openSqliteDatabase(options.path, [
      {
        version: 1,
        description: 'parameter log batches waiting for the bus',
        sql: `CREATE TABLE outbox (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                samples INTEGER NOT NULL,
                bytes INTEGER NOT NULL,
                payload TEXT NOT NULL
              )`,
      },
    ]);
    this.capacityBytes = options.capacityBytes;
    this.policy = options.policy;
    this.onDrop = options.onDrop ?? (() => {});
    this.insertRow = this.db.prepare('INSERT INTO outbox (samples, bytes, payload) VALUES (?, ?, ?)');
    this.oldest = this.db.prepare('SELECT seq, samples, bytes FROM outbox ORDER BY seq LIMIT 1');
    this.deleteRow = this.db.prepare('DELETE FROM outbox WHERE seq = ?');
    this.peekRows = this.db.prepare('SELECT seq, payload FROM outbox ORDER BY seq LIMIT ?');
    const totals = this.db
      .prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM outbox')
      .get() as {
      n: number;
      b: number;
    };
    this.pendingBatches = Number(totals.n);
    this.pendingBytes = Number(totals.b);
  }

  /** Keeps one batch (the logger's write), making room by the policy when full. */
  append(samples: readonly Sample[]): void {
    if (samples.length === 0) return;
    const payload = JSON.stringify(samples);
    const bytes = Buffer.byteLength(payload);
    let dropped = 0;
    if (this.pendingBytes + bytes > this.capacityBytes) {
      if (this.policy === 'drop_newest' || bytes > this.capacityBytes) {
        this.drop(samples.length);
        return;
      }
      while (this.pendingBytes + bytes > this.capacityBytes) {
        const row = this.oldest.get() as { seq: number; samples: number; bytes: number } | undefined;
        if (!row) break;
        this.deleteRow.run(row.seq);
        this.pendingBytes -= Number(row.bytes);
        this.pendingBatches--;
        dropped += Number(row.samples);
      }
    }
    this.insertRow.run(samples.length, bytes, payload);
    this.pendingBytes += bytes;
    this.pendingBatches++;
    if (dropped > 0) this.drop(dropped);
  }

  private drop(samples: number): void {
    this.droppedSamples += samples;
    this.overflowing = true;
    this.onDrop(samples, this.stats());
  }

  /** The oldest batches, in order, without removing them. */
  peek(limit: number): OutboxEntry[] {
    return (this.peekRows.all(limit) as { seq: number; payload: string }[]).map((r) => ({
      seq: Number(r.seq),
      samples: JSON.parse(r.payload) as Sample[],
    }));
  }

  /** The bus acknowledged batch `seq`. */
  remove(seq: number): void {
    const row = this.db.prepare('SELECT bytes FROM outbox WHERE seq = ?').get(seq) as
      | { bytes: number }
      | undefined;
    if (!row) return;
    this.deleteRow.run(seq);
    this.pendingBytes -= Number(row.bytes);
    this.pendingBatches--;
    if (this.pendingBytes < this.capacityBytes / 2) this.overflowing = false;
  }

  stats(): OutboxStats {
    return {
      pendingBatches: this.pendingBatches,
      pendingBytes: this.pendingBytes,
      capacityBytes: this.capacityBytes,
      droppedSamples: this.droppedSamples,
      policy: this.policy,
      overflowing: this.overflowing,
    };
  }

  close(): void {
    this.db.close();
  }
}
