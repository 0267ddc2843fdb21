import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BenchtopError } from '../../core/errors.ts';
import type { RenderSetup, SceneSample } from './test-pattern.ts';

export type RenderRequest =
  | { type: 'setup'; acquisition: number; setup: RenderSetup }
  | { type: 'cancel' }
  | { type: 'render'; acquisition: number; frameNumber: number; scene: SceneSample };

export type RenderReply =
  | { type: 'ready' }
  | { type: 'frame'; acquisition: number; frameNumber: number; pixels: ArrayBuffer };

export interface RenderedFrame {
  acquisition: number;
  frameNumber: number;
  pixels: Uint16Array;
}

export interface FrameRendererHandlers {
  rendered(frame: RenderedFrame): void;
  /** The worker failed to start or died; no further frames will come. */
  failed(error: BenchtopError): void;
}

/**
 * Pixels per second one render thread keeps up with on a slow core (it draws a 2048×2048 frame
 * in 20–30 ms on the 2-core VMs we run on); above this an acquisition gets a second thread.
 */
const PIXELS_PER_SECOND_PER_THREAD = 80e6;

/** Render threads at most: two keep up with the fastest full-frame rate; one on a single core. */
function maxRenderThreads(): number {
  return Math.min(2, availableParallelism());
}

/**
 * The main thread's side of the render workers. Requests carry only numbers; each rendered
 * frame comes back as its own transferred ArrayBuffer, so the main thread never touches pixels.
 * One worker starts with the renderer; an acquisition whose pixel rate one thread cannot
 * render (a full 2048×2048 frame at 43 fps is 180 Mpx/s) starts a second, and frames alternate
 * between them. Frames can then come back out of order; the camera's ring puts them back in
 * frame-number order. Each frame's noise depends only on (seed, acquisition, frame), so which
 * worker draws it does not change its pixels.
 */
export class FrameRenderer {
  private readonly seed: number;
  private readonly handlers: FrameRendererHandlers;
  private readonly workers: Worker[] = [];
  /** Resolves when the worker has built its noise table (or has failed: nothing to wait for). */
  private readonly started: Promise<void>[] = [];
  private closing = false;

  private constructor(seed: number, handlers: FrameRendererHandlers) {
    this.seed = seed;
    this.handlers = handlers;
  }

  /**
   * Starts the first worker. Requests can be posted at once: they wait in the worker's port
   * until its noise table is built, then are answered in order. A worker that fails to start or
   * dies later is reported to `failed`.
   */
  static spawn(seed: number, handlers: FrameRendererHandlers): FrameRenderer {
    const renderer = new FrameRenderer(seed, handlers);
    renderer.addWorker();
    return renderer;
  }

  /**
   * Every worker can render (its module loaded, its noise table built). Frames requested
   * earlier are not lost, only late; waiting first keeps a sensor timeline that starts now from
   * overrunning its buffer while a thread starts.
   */
  async ready(): Promise<void> {
    await Promise.all(this.started);
  }

  /** Render threads running now. */
  get threads(): number {
    return this.workers.length;
  }

  /** `frameRateHz`: the acquisition's frame rate, which decides how many threads it needs. */
  setup(acquisition: number, setup: RenderSetup, frameRateHz = 0): void {
    const pixelRate = setup.width * setup.height * frameRateHz;
    const wanted = Math.min(maxRenderThreads(), Math.ceil(pixelRate / PIXELS_PER_SECOND_PER_THREAD));
    while (!this.closing && this.workers.length < wanted) this.addWorker();
    for (const worker of this.workers) this.post(worker, { type: 'setup', acquisition, setup });
  }

  render(acquisition: number, frameNumber: number, scene: SceneSample): void {
    const worker = this.workers[frameNumber % this.workers.length];
    if (worker) this.post(worker, { type: 'render', acquisition, frameNumber, scene });
  }

  /** Requests still queued in the workers are skipped, not rendered. */
  cancel(): void {
    for (const worker of this.workers) this.post(worker, { type: 'cancel' });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private addWorker(): void {
    const worker = new Worker(new URL('./frame-render-worker.ts', import.meta.url), {
      workerData: { seed: this.seed },
      name: 'pvcam-render',
    });
    const fail = (error: BenchtopError) => {
      started();
      if (this.closing) return;
      this.closing = true;
      for (const other of this.workers) if (other !== worker) void other.terminate();
      this.handlers.failed(error);
    };
    const { promise, resolve: started } = Promise.withResolvers<void>();
    this.started.push(promise);
    worker.on('message', (reply: RenderReply) => {
      if (reply.type === 'ready') {
        started();
        return;
      }
      this.handlers.rendered({
        acquisition: reply.acquisition,
        frameNumber: reply.frameNumber,
        pixels: new Uint16Array(reply.pixels),
      });
    });
    worker.on('error', (error) =>
      fail(
        new BenchtopError(
          'LINK_LOST',
          `simulated camera: render worker failed: ${error.message}`,
          {},
          {
            cause: error,
          },
        ),
      ),
    );
    worker.on('exit', (code) =>
      fail(new BenchtopError('LINK_LOST', `simulated camera: render worker exited (code ${code})`, { code })),
    );
    this.workers.push(worker);
  }

  private post(worker: Worker, request: RenderRequest): void {
    if (!this.closing) worker.postMessage(request);
  }
}
