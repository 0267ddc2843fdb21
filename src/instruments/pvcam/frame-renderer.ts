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
 * The main thread's side of the render worker. Requests carry only numbers; each rendered
 * frame comes back as its own transferred ArrayBuffer, so the main thread never touches pixels.
 * Requests are answered in order.
 */
export class FrameRenderer {
  private readonly worker: Worker;
  private closing = false;

  private constructor(worker: Worker) {
    this.worker = worker;
  }

  /**
   * Starts the worker. Requests can be posted at once: they wait in the worker's port until its
   * noise table is built, then are answered in order. A worker that fails to start or dies later
   * is reported to `failed`.
   */
  static spawn(seed: number, handlers: FrameRendererHandlers): FrameRenderer {
    const worker = new Worker(new URL('./frame-render-worker.ts', import.meta.url), {
      workerData: { seed },
      name: 'pvcam-render',
    });
    const renderer = new FrameRenderer(worker);
    const fail = (error: BenchtopError) => {
      if (renderer.closing) return;
      renderer.closing = true;
      handlers.failed(error);
    };
    worker.on('message', (reply: RenderReply) => {
      if (reply.type === 'ready') return;
      handlers.rendered({
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
    return renderer;
  }

  setup(acquisition: number, setup: RenderSetup): void {
    this.post({ type: 'setup', acquisition, setup });
  }

  render(acquisition: number, frameNumber: number, scene: SceneSample): void {
    this.post({ type: 'render', acquisition, frameNumber, scene });
  }

  /** Requests still queued in the worker are skipped, not rendered. */
  cancel(): void {
    this.post({ type: 'cancel' });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }

  private post(request: RenderRequest): void {
    if (!this.closing) this.worker.postMessage(request);
  }
}
