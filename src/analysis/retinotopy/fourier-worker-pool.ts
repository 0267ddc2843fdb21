import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BenchtopError } from '../../core/errors.ts';
import type { AccumulateDone, AccumulateRequest } from './fourier-worker-protocol.ts';

/**
 * The stage-1 worker threads, one per core by default. A chunk of frames is split by pixel range,
 * one range per worker, and the call resolves when every range is done. The pool is shared by
 * the four directions of a session.
 */
export class FourierWorkerPool {
  readonly size: number;
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closed = false;

  constructor(threads: number = availableParallelism()) {
    this.size = Math.max(1, Math.floor(threads));
    this.workers = Array.from({ length: this.size }, () => this.spawn());
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./fourier-worker.ts', import.meta.url));
    worker.on('message', (done: AccumulateDone) => {
      const entry = this.pending.get(done.id);
      this.pending.delete(done.id);
      entry?.resolve();
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => {
      if (!this.closed) this.failAll(new Error(`retinotopy worker exited with code ${code}`));
    });
    return worker;
  }

  private failAll(err: Error): void {
    const error = new BenchtopError(
      'INTERNAL',
      `retinotopy worker failed: ${err.message}`,
      {},
      { cause: err },
    );
    for (const entry of this.pending.values()) entry.reject(error);
    this.pending.clear();
  }

  /** Runs one request per worker over [0, pixels) split into equal contiguous ranges. */
  async accumulate(request: Omit<AccumulateRequest, 'id' | 'from' | 'to'>): Promise<void> {
    if (this.closed) throw new BenchtopError('INTERNAL', 'the retinotopy worker pool is closed');
    const per = Math.ceil(request.pixels / this.size);
    const jobs: Promise<void>[] = [];
    for (let w = 0; w < this.size; w++) {
      const from = Math.min(request.pixels, w * per);
      const to = Math.min(request.pixels, from + per);
      if (from >= to) continue;
      const id = this.nextId++;
      jobs.push(
        new Promise<void>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          this.workers[w]?.postMessage({ ...request, id, from, to } satisfies AccumulateRequest);
        }),
      );
    }
    await Promise.all(jobs);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
