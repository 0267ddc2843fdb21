import type { Clock, TimerHandle } from '../../core/clock.ts';
import { type BenchtopError, toBenchtopError } from '../../core/errors.ts';
import type { Sample, TimeSeriesStore } from './timeseries-store.ts';

export interface SampleWriteQueueOptions {
  store: TimeSeriesStore;
  /** Samples waiting at most; a tick that does not fit is dropped whole and counted. */
  capacity: number;
  /** Samples per store write at most (a larger tick is split into writes of this size). */
  batchSize: number;
  onWritten: (group: string, samples: number) => void;
  /** Samples that will never be stored: the queue was full or their write failed. */
  onDropped: (group: string, samples: number, reason: 'queue_full' | 'write_failed') => void;
  onWriteError: (error: BenchtopError, samples: number) => void;
  /**
   * Classifies a failed write: a STORAGE_FULL error when the disk is full. Such a batch is not
   * dropped but held (within `capacity`) and written once `diskHasSpace` says so.
   */
  diskFull?: (error: BenchtopError) => BenchtopError | undefined;
  /** Checked before writing held samples; without it, every drain tries again. */
  diskHasSpace?: () => boolean;
  /** The disk filled: samples are held in memory from now on (said once per episode). */
  onHolding?: (error: BenchtopError, held: number) => void;
  /** The held samples were written: the disk has space again. */
  onResumed?: (written: number) => void;
  /**
   * Gather the ticks of this long (ms) before writing, regrouped signal by signal (`flush` cuts
   * the wait short). For a store keyed (signal, time), each write dirties one page per signal it
   * touches: ticks of 20 000 signals written one by one rewrite 20 000 pages a second, five
   * ticks at a time a fifth of that. Default 0: each tick is written as soon as it comes.
   */
  coalesce?: { ms: number; clock: Clock };
}

interface Chunk {
  group: string;
  samples: Sample[];
}

/**
 * Decouples ticks from the store: `enqueue` never waits, one write is in flight at a time, and
 * whatever piled up meanwhile goes out in the next batch, so a slow store gets fewer, larger
 * writes instead of holding up the schedule.
 */
export class SampleWriteQueue {
  private readonly options: SampleWriteQueueOptions;
  private chunks: Chunk[] = [];
  private queued = 0;
  private draining: Promise<void> | null = null;
  /** The disk is full: what is queued waits in memory instead of being written. */
  private holding = false;
  /** Ends the coalescing wait early (flush). */
  private hurry: (() => void) | null = null;
  private hurried = false;

  constructor(options: SampleWriteQueueOptions) {
    this.options = options;
  }

  /** Samples waiting (not counting a write in flight). */
  get length(): number {
    return this.queued;
  }

  /** False when the samples were dropped because the queue is full. */
  enqueue(group: string, samples: Sample[]): boolean {
    if (samples.length === 0) return true;
    if (this.queued + samples.length > this.options.capacity) {
      this.options.onDropped(group, samples.length, 'queue_full');
      // Full because the disk was: the held samples are tried again even when this tick is not kept.
      if (this.holding) this.draining ??= this.drain();
      return false;
    }
    // A tick larger than a batch (20 000 signals in one group) is split, so no single write
    // holds the event loop for the whole tick: the store's insert is synchronous.
    const size = this.options.batchSize;
    if (samples.length <= size) this.chunks.push({ group, samples });
    else
      for (let i = 0; i < samples.length; i += size)
        this.chunks.push({ group, samples: samples.slice(i, i + size) });
    this.queued += samples.length;
    this.draining ??= this.drain();
    return true;
  }

  /** True while the disk is full and samples are held in memory. */
  get isHolding(): boolean {
    return this.holding;
  }

  /** Resolves once everything queued so far has been written (or failed, or is held). */
  async flush(): Promise<void> {
    this.hurried = true;
    try {
      while (this.draining) {
        this.hurry?.();
        await this.draining;
      }
    } finally {
      this.hurried = false;
    }
  }

  private gather(ms: number, clock: Clock): Promise<void> {
    if (this.hurried) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: TimerHandle | null = null;
      const done = () => {
        timer?.cancel();
        this.hurry = null;
        resolve();
      };
      this.hurry = done;
      timer = clock.setTimeout(done, ms);
    });
  }

  /** The queued ticks as batches of one group each, every signal's samples together. */
  private regroup(): void {
    const bySignal = new Map<string, Map<string, Sample[]>>();
    for (const c of this.chunks) {
      let group = bySignal.get(c.group);
      if (!group) {
        group = new Map();
        bySignal.set(c.group, group);
      }
      for (const sample of c.samples) {
        const list = group.get(sample.signal);
        if (list) list.push(sample);
        else group.set(sample.signal, [sample]);
      }
    }
    const size = this.options.batchSize;
    this.chunks = [];
    for (const [group, signals] of bySignal) {
      const all = [...signals.values()].flat();
      for (let i = 0; i < all.length; i += size) this.chunks.push({ group, samples: all.slice(i, i + size) });
    }
  }

  private async drain(): Promise<void> {
    try {
      // Start on a later turn: the tick that enqueued finishes first, timers of other groups
      // due now run and add their samples to the same batch.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const coalesce = this.options.coalesce;
      while (this.chunks.length > 0) {
        // Coalescing: the ticks gathered meanwhile are written, then the next ones gathered.
        let writes = Number.POSITIVE_INFINITY;
        if (coalesce && coalesce.ms > 0 && !this.holding) {
          await this.gather(coalesce.ms, coalesce.clock);
          this.regroup();
          writes = this.chunks.length;
        }
        for (; writes > 0 && this.chunks.length > 0; writes--) {
          if (this.holding && this.options.diskHasSpace && !this.options.diskHasSpace()) return;
          const heldBefore = this.queued;
          const batch = this.takeBatch();
          const samples = batch.flatMap((c) => c.samples);
          try {
            await this.options.store.insert(samples);
            for (const c of batch) this.options.onWritten(c.group, c.samples.length);
            if (this.holding) {
              this.holding = false;
              this.options.onResumed?.(heldBefore);
            }
          } catch (err) {
            const error = toBenchtopError(err, 'STORAGE_ERROR');
            const full = this.options.diskFull?.(error);
            if (full) {
              // Back at the front, in order: written when the disk has space again.
              this.chunks.unshift(...batch);
              this.queued += samples.length;
              if (!this.holding) {
                this.holding = true;
                this.options.onHolding?.(full, this.queued);
              }
              return;
            }
            this.options.onWriteError(error, samples.length);
            for (const c of batch) this.options.onDropped(c.group, c.samples.length, 'write_failed');
          }
          // Between batches, let sockets and timers run (polls, ticks, clients).
          if (this.chunks.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    } finally {
      this.draining = null;
    }
  }

  private takeBatch(): Chunk[] {
    const batch: Chunk[] = [this.chunks.shift()!];
    let size = batch[0]!.samples.length;
    while (this.chunks.length > 0 && size + this.chunks[0]!.samples.length <= this.options.batchSize) {
      const next = this.chunks.shift()!;
      size += next.samples.length;
      batch.push(next);
    }
    this.queued -= size;
    return batch;
  }
}
