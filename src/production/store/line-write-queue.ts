import { type Clock, sleep } from '../../core/clock.ts';
import { type BenchtopError, toBenchtopError } from '../../core/errors.ts';
import type { LineStore, LineWriteBatch } from './line-store.ts';

export interface LineWriteQueueOptions {
  store: LineStore;
  clock: Clock;
  /** Records (parts + defects + events) waiting at most; beyond it `enqueue` refuses and counts. */
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
   * the few records an alarm's own events add never count as a backlog).
   */
  backlogRecords?: number;
  /** Called once when the backlog first fails to write (or passes `backlogRecords`) and once when it has all been written. */
  onBacklog?: (state: 'holding' | 'drained', queuedRecords: number) => void;
  /** A batch refused because the queue was full. */
  onRejected?: (batch: LineWriteBatch) => void;
}

export interface LineWriteQueueStats {
  queuedRecords: number;
  writtenRecords: number;
  failedAttempts: number;
  rejectedBatches: number;
  /** Most records ever waiting at once. */
  highWater: number;
}

const size = (b: LineWriteBatch) => b.parts.length + b.defects.length + b.events.length;

/**
 * Between the tracking path and the store: `enqueue` never waits on the database, one write
 * is in flight at a time, whatever piles up meanwhile goes in the next write, and a failed
 * write is retried (same records, idempotent ids) until it lands, so a slow or absent database
 * loses nothing that was accepted. The bound makes an outage longer than the queue can hold
 * visible (refused and counted) instead of growing memory without limit.
 */
export class LineWriteQueue {
  private readonly options: LineWriteQueueOptions;
  private readonly maxPerWrite: number;
  private readonly retryMs: number;
  private readonly backlogRecords: number;
  private pending: LineWriteBatch[] = [];
  private queued = 0;
  private draining: Promise<void> | null = null;
  private holdingBacklog = false;
  private closed = false;
  private readonly counters = { writtenRecords: 0, failedAttempts: 0, rejectedBatches: 0, highWater: 0 };

  constructor(options: LineWriteQueueOptions) {
    this.options = options;
    this.maxPerWrite = options.maxRecordsPerWrite ?? 500;
    this.retryMs = options.retryMs ?? 1_000;
    this.backlogRecords = options.backlogRecords ?? Math.max(100, Math.floor(options.capacity / 100));
  }

  get stats(): LineWriteQueueStats {
    return { queuedRecords: this.queued, ...this.counters };
  }

  /** True while a backlog is held because the store failed (until it has all been written). */
  get holding(): boolean {
    return this.holdingBacklog;
  }

  /** False when the queue is full: the batch is not stored, and counted. */
  enqueue(batch: LineWriteBatch): boolean {
    const n = size(batch);
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

  private hold(): void {
    this.holdingBacklog = true;
    this.options.onBacklog?.('holding', this.queued);
  }

  private take(): LineWriteBatch {
    const merged: LineWriteBatch = { parts: [], defects: [], events: [] };
    let n = 0;
    while (this.pending.length > 0) {
      const next = this.pending[0]!;
      if (n > 0 && n + size(next) > this.maxPerWrite) break;
      this.pending.shift();
      merged.parts.push(...next.parts);
      merged.defects.push(...next.defects);
      merged.events.push(...next.events);
      n += size(next);
    }
    return merged;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.take();
        const n = size(batch);
        for (;;) {
          try {
            await this.options.store.write(batch);
            break;
          } catch (err) {
            this.counters.failedAttempts += 1;
            if (!this.holdingBacklog) this.hold();
            this.options.onWriteError?.(toBenchtopError(err, 'STORAGE_ERROR'), this.queued);
            await sleep(this.options.clock, this.retryMs);
          }
        }
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
      if (this.pending.length > 0) this.draining = this.drain();
    }
  }
}
