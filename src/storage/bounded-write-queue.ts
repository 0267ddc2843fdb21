import { type Clock, sleep } from '../core/clock.ts';
import { type BenchtopError, toBenchtopError } from '../core/errors.ts';

/** How the queue counts and combines one kind of batch (the line store's, the alarm history's…). */
export interface WriteBatchShape<B> {
  /** Records in the batch: what the capacity and the per-write limit count. */
  records(batch: B): number;
  /** One batch holding `batches` in order, written in one store call. */
  merge(batches: readonly B[]): B;
}

export interface BoundedWriteQueueOptions<B> {
  /** The store's write; it must be idempotent per record, since a failed write is retried whole. */
  write: (batch: B) => Promise<void>;
  shape: WriteBatchShape<B>;
  clock: Clock;
  /** Records waiting at most; beyond it `enqueue` refuses and counts. */
  capacity: number;
  /** Records per store write at most (one batch larger than this is written alone). */
  maxRecordsPerWrite?: number;
  /** Wait between attempts while the store fails. */
  retryMs?: number;
  /** Each failed attempt (the records stay queued and are retried). */
  onWriteError?: (error: BenchtopError, queuedRecords: number) => void;
  /**
   * Records waiting that make the store "slow" even while its writes succeed: the backlog is
   * then held (and reported) as when a write fails (default capacity / 100, at least 100, so
   * the handful of records a line alarm's own events add never count as a backlog).
   */
  backlogRecords?: number;
  /** Called once when the backlog first fails to write (or passes `backlogRecords`) and once when it has all been written. */
  onBacklog?: (state: 'holding' | 'drained', queuedRecords: number) => void;
  /** A batch refused because the queue was full. */
  onRejected?: (batch: B) => void;
}

export interface WriteQueueStats {
  queuedRecords: number;
  writtenRecords: number;
  failedAttempts: number;
  rejectedBatches: number;
  /** Most records ever waiting at once. */
  highWater: number;
  /** The bound `capacity` (records). */
  capacity: number;
}

/**
 * Between a producer that must never wait (the line tracker, the alarm service) and a database:
 * `enqueue` never waits on the database, one write is in flight at a time, whatever piles up
 * meanwhile goes in the next write, and a failed write is retried (same records, idempotent
 * ids) until it lands, so a slow or absent database loses nothing that was accepted. The bound makes an outage longer than the queue can hold
 * visible (refused and counted) instead of growing memory without limit.
 */
export class BoundedWriteQueue<B> {
  private readonly options: BoundedWriteQueueOptions<B>;
  private readonly maxPerWrite: number;
  private readonly retryMs: number;
  private readonly backlogRecords: number;
  private pending: B[] = [];
  private queued = 0;
  private draining: Promise<void> | null = null;
  private holdingBacklog = false;
  private closed = false;
  /** Aborted by `abandon`: the retry wait ends and nothing more is attempted. */
  private readonly abandoned = new AbortController();
  private readonly counters = { writtenRecords: 0, failedAttempts: 0, rejectedBatches: 0, highWater: 0 };

  constructor(options: BoundedWriteQueueOptions<B>) {
    this.options = options;
    this.maxPerWrite = options.maxRecordsPerWrite ?? 500;
    this.retryMs = options.retryMs ?? 1_000;
    this.backlogRecords = options.backlogRecords ?? Math.max(100, Math.floor(options.capacity / 100));
  }

  get stats(): WriteQueueStats {
    return { queuedRecords: this.queued, ...this.counters, capacity: this.options.capacity };
  }

  /** True while a backlog is held because the store failed (until it has all been written). */
  get holding(): boolean {
    return this.holdingBacklog;
  }

  /** False when the queue is full: the batch is not stored, and counted. */
  enqueue(batch: B): boolean {
    const n = this.options.shape.records(batch);
    if (n === 0) return true;
    if (this.closed || this.queued + n > this.options.capacity) {
      this.counters.rejectedBatches += 1;
      this.options.onRejected?.(batch);
      return false;
    }
    this.pending.push(batch);
    this.queued += n;
    this.counters.highWater = Math.max(this.counters.highWater, this.queued);
    this.draining ??= this.drain();
    if (!this.holdingBacklog && this.queued >= this.backlogRecords) this.hold();
    return true;
  }

  /** Resolves once everything queued so far is written. */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Stops accepting; resolves when the backlog is written (it keeps retrying until then). */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /**
   * Stops retrying and drops what is still queued, returning how many records that was: for a
   * shutdown that cannot wait for a store that is down (a write already in flight may still land).
   */
  abandon(): number {
    this.closed = true;
    this.abandoned.abort();
    const dropped = this.queued;
    this.pending = [];
    this.queued = 0;
    return dropped;
  }

  private hold(): void {
    this.holdingBacklog = true;
    this.options.onBacklog?.('holding', this.queued);
  }

  private take(): { batch: B; records: number } {
    const { records } = this.options.shape;
    const taken: B[] = [];
    let n = 0;
    while (this.pending.length > 0) {
      const next = this.pending[0]!;
      if (n > 0 && n + records(next) > this.maxPerWrite) break;
      this.pending.shift();
      taken.push(next);
      n += records(next);
    }
    return { batch: this.options.shape.merge(taken), records: n };
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const { batch, records: n } = this.take();
        for (;;) {
          try {
            await this.options.write(batch);
            break;
          } catch (err) {
            this.counters.failedAttempts += 1;
            if (!this.holdingBacklog) this.hold();
            this.options.onWriteError?.(toBenchtopError(err, 'STORAGE_ERROR'), this.queued);
            if (this.abandoned.signal.aborted) return;
            const retry = await sleep(this.options.clock, this.retryMs, this.abandoned.signal).then(
              () => true,
              () => false,
            );
            if (!retry) return;
          }
        }
        if (this.abandoned.signal.aborted) return;
        this.queued -= n;
        this.counters.writtenRecords += n;
      }
      if (this.holdingBacklog) {
        this.holdingBacklog = false;
        this.options.onBacklog?.('drained', 0);
      }
    } finally {
      this.draining = null;
      // A callback above (onBacklog 'drained' raising or clearing an alarm) may have queued
      // more while this drain was finishing: start another so it is not left behind.
      if (this.pending.length > 0 && !this.abandoned.signal.aborted) this.draining = this.drain();
    }
  }
}
