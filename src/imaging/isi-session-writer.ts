import { Worker } from 'node:worker_threads';
import { BenchtopError } from '../core/errors.ts';
import type { Frame } from '../core/frame.ts';
import type { PresentedStimulusFrame } from '../core/stimulus-frame.ts';
import type { AttrValue } from '../storage/hdf5/swmr-run-file.ts';
import type { AnatomicalImage } from './anatomical-image.ts';
import type { SessionStart } from './isi-session-file.ts';
import type { FromSessionWorker, SessionWorkerData, ToSessionWorker } from './isi-session-worker-protocol.ts';

/** Camera frames waiting for the worker before more are refused (≈ 8.5 s of 512² at 30 fps, 128 MiB). */
export const DEFAULT_QUEUE_FRAMES = 256;
/** Spare pixel buffers kept for `copyPixels` (more are let go). */
const MAX_SPARES = 32;

/**
 * Writes one ISI session file (IsiSessionFile) from a worker thread, so a session never blocks
 * the event loop. `appendCameraFrame` transfers the frame's pixel buffer to the worker (the
 * caller gives it up); when more than `queueFrames` camera frames are waiting the frame is
 * refused and counted in `framesRefused`, so a slow disk costs frames, not the server.
 */
export class IsiSessionWriter {
  readonly path: string;
  private readonly worker: Worker;
  private readonly queueFrames: number;
  private readonly requests = new Map<number, () => void>();
  private nextId = 1;
  private posted = 0;
  private processed = 0;
  private cameraPosted = 0;
  private cameraWritten = 0;
  private error: BenchtopError | null = null;
  private closed: Promise<void> | null = null;
  framesRefused = 0;
  /** Pixel buffers the worker has written and given back, for the next copies. */
  private spares: ArrayBuffer[] = [];
  /** Copies that found no spare buffer of their size (allocated). */
  buffersAllocated = 0;

  private constructor(path: string, worker: Worker, queueFrames: number) {
    this.path = path;
    this.worker = worker;
    this.queueFrames = queueFrames;
    worker.on('message', (m: FromSessionWorker) => this.onMessage(m));
    worker.on('error', (err) => this.fail(err.message));
    worker.on('exit', () => {
      if (!this.closed) this.fail('the session writer thread exited');
      for (const resolve of this.requests.values()) resolve();
      this.requests.clear();
    });
    // Holds the process open only while a flush or close is awaited, so a writer nobody
    // closed (a failed test) cannot hang it; the recorder always closes.
    worker.unref();
  }

  /** Resolves once the file exists with its root attributes and parameters. */
  static async create(
    path: string,
    start: SessionStart,
    queueFrames = DEFAULT_QUEUE_FRAMES,
  ): Promise<IsiSessionWriter> {
    const data: SessionWorkerData = { path, start };
    const worker = new Worker(new URL('./isi-session-worker.ts', import.meta.url), { workerData: data });
    const first = await new Promise<FromSessionWorker>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (first.t !== 'opened') {
      await worker.terminate();
      throw new BenchtopError(
        'STORAGE_ERROR',
        first.t === 'failed' ? first.message : `${path}: not created`,
        {
          path,
        },
      );
    }
    return new IsiSessionWriter(path, worker, queueFrames);
  }

  /** Camera frames posted and not yet written. */
  get queuedFrames(): number {
    return this.cameraPosted - this.cameraWritten;
  }

  /** Messages of any kind posted and not yet handled. */
  get queuedMessages(): number {
    return this.posted - this.processed;
  }

  get framesWritten(): number {
    return this.cameraWritten;
  }

  /**
   * A copy of a camera's pixels (the camera may reuse its own) in a buffer the worker gave back
   * after writing an earlier frame: at 30 fps of 512² frames, allocating the copies (and the
   * garbage collections that external memory forces) was the largest share of the event loop's
   * work while recording.
   */
  copyPixels(pixels: Uint16Array): Uint16Array {
    let spare = this.spares.pop();
    while (spare && spare.byteLength !== pixels.byteLength) spare = this.spares.pop();
    if (!spare) this.buffersAllocated++;
    const copy = spare ? new Uint16Array(spare) : new Uint16Array(pixels.length);
    copy.set(pixels);
    return copy;
  }

  /** Transfers `frame.pixels`' buffer: the caller must not use it afterwards. False when refused. */
  appendCameraFrame(dir: string, frame: Frame): boolean {
    if (this.error || this.closed) return false;
    if (this.queuedFrames >= this.queueFrames) {
      this.framesRefused++;
      return false;
    }
    this.cameraPosted++;
    this.post({ t: 'camera', dir, frame }, [frame.pixels.buffer as ArrayBuffer]);
    return true;
  }

  appendStimulusFrames(dir: string, frames: PresentedStimulusFrame[]): void {
    if (this.error || this.closed || frames.length === 0) return;
    this.post({ t: 'stimulus', dir, frames });
  }

  writeAnatomical(image: AnatomicalImage): void {
    if (this.error || this.closed) return;
    this.post({ t: 'anatomical', image });
  }

  /** See IsiSessionFile.applyPresentationLatency (the stimulus frames posted so far). */
  applyPresentationLatency(latencyMs: number): void {
    if (this.error || this.closed) return;
    this.post({ t: 'latency', latencyMs });
  }

  /** Everything posted so far is readable by another reader of the file (SWMR). */
  async flush(): Promise<void> {
    if (this.closed) throw new BenchtopError('RUN_STATE_CONFLICT', `${this.path}: flush after close`);
    await this.request((id) => ({ t: 'flush', id }));
    if (this.error) throw this.error;
  }

  /** Writes the final attributes and closes the file; rejects with the first write failure. */
  close(attrs: Record<string, AttrValue>): Promise<void> {
    this.closed ??= (async () => {
      await this.request((id) => ({ t: 'close', id, attrs }));
      await this.worker.terminate();
      if (this.error) throw this.error;
    })();
    return this.closed;
  }

  private request(message: (id: number) => ToSessionWorker): Promise<void> {
    const id = this.nextId++;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.requests.set(id, resolve);
    this.worker.ref();
    this.post(message(id));
    return promise;
  }

  private post(message: ToSessionWorker, transfer: ArrayBuffer[] = []): void {
    this.posted++;
    this.worker.postMessage(message, transfer);
  }

  private onMessage(m: FromSessionWorker): void {
    if (m.t === 'failed') this.fail(m.message);
    else if (m.t === 'progress' || m.t === 'done') {
      this.processed = m.processed;
      this.cameraWritten = m.cameraFramesWritten;
      if (m.t === 'progress')
        for (const b of m.spares) if (this.spares.length < MAX_SPARES) this.spares.push(b);
      if (m.t === 'done') {
        this.requests.get(m.id)?.();
        this.requests.delete(m.id);
        if (this.requests.size === 0) this.worker.unref();
      }
    }
  }

  private fail(message: string): void {
    this.error ??= new BenchtopError('STORAGE_ERROR', `ISI session file: ${message}`, { path: this.path });
  }
}
