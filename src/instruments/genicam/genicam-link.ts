import { Worker } from 'node:worker_threads';
import { BenchtopError, type ErrorCode, ErrorCodes } from '../../core/errors.ts';
import type { Frame } from '../../core/frame.ts';
import type { MainToWorker, WorkerFrame, WorkerRequest, WorkerToMain } from './genicam-protocol.ts';

function asError(error: { code: string; message: string; details?: Record<string, unknown> }): BenchtopError {
  const code = (error.code in ErrorCodes ? error.code : 'INSTRUMENT_ERROR') as ErrorCode;
  return new BenchtopError(code, error.message, error.details ?? {});
}

/**
 * The main thread's end of one camera's acquisition worker: requests answered in order,
 * frames arriving as transferred buffers (wrapped, never copied) and a `lost` report.
 */
export class GenicamLink {
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;
  private exited: BenchtopError | null = null;

  constructor(events: {
    frame(frame: Frame): void;
    lost(error: BenchtopError): void;
    refused(error: BenchtopError): void;
  }) {
    this.worker = new Worker(new URL('./genicam-worker.ts', import.meta.url));
    this.worker.on('message', (message: WorkerToMain) => {
      if ('frame' in message) events.frame(toFrame(message.frame));
      else if ('lost' in message) events.lost(asError(message.lost));
      else if ('refused' in message) events.refused(asError(message.refused));
      else {
        const waiting = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.ok) waiting?.resolve(message.value);
        else waiting?.reject(asError(message.error));
      }
    });
    const fail = (error: BenchtopError) => {
      this.exited = error;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', (error) => {
      const failure = new BenchtopError(
        'INTERNAL',
        `camera worker failed: ${error.message}`,
        {},
        { cause: error },
      );
      fail(failure);
      events.lost(failure);
    });
    this.worker.on('exit', () => fail(new BenchtopError('INSTRUMENT_UNAVAILABLE', 'camera worker stopped')));
  }

  request<T>(request: WorkerRequest): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ id, request } satisfies MainToWorker);
    });
  }

  /** The main thread is done with `count` frames: the worker may send that many more. */
  ack(count = 1): void {
    if (!this.exited) this.worker.postMessage({ ack: count } satisfies MainToWorker);
  }

  async close(): Promise<void> {
    await this.request({ op: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }
}

function toFrame(frame: WorkerFrame): Frame {
  return { ...frame, pixels: new Uint16Array(frame.pixels) };
}
