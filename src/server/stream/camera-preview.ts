import { Worker } from 'node:worker_threads';
import type { Frame } from '../../core/frame.ts';
import { encodePreviewMessage } from './preview-wire.ts';
import type { PreviewResult } from './preview-worker.ts';

/** The preview message for one rendered frame (format: preview-wire.ts). */
export function encodePreview(instrument: string, frame: Frame, result: PreviewResult): Uint8Array {
  return encodePreviewMessage(
    {
      type: 'camera_preview',
      instrument,
      frame_number: frame.frameNumber,
      timestamp: frame.timestamp,
      source_width: frame.width,
      source_height: frame.height,
      width: result.width,
      height: result.height,
      low: result.low,
      high: result.high,
      focus: result.focus,
    },
    result.pixels,
  );
}

/**
 * Renders previews in one worker thread, at most one in flight: frames that arrive while it
 * is busy are skipped (a preview only ever needs the newest frame).
 */
export class CameraPreviewRenderer {
  private worker: Worker | null = null;
  private busy = false;
  private nextId = 0;
  private readonly waiting = new Map<number, (r: PreviewResult) => void>();
  skipped = 0;

  /** Resolves with the preview, or null when a render is already in flight. */
  render(frame: Frame, maxWidth: number): Promise<PreviewResult | null> {
    if (this.busy) {
      this.skipped++;
      return Promise.resolve(null);
    }
    this.busy = true;
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, (r) => {
        this.busy = false;
        resolve(r);
      });
      // The frame may go on to a writer, so the worker gets a copy, not the original buffer.
      worker.postMessage({
        id,
        pixels: frame.pixels,
        width: frame.width,
        height: frame.height,
        maxWidth,
        ...(frame.channels === 3 ? { channels: 3 } : {}),
      });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./preview-worker.ts', import.meta.url));
    worker.on('message', (r: PreviewResult) => {
      const done = this.waiting.get(r.id);
      this.waiting.delete(r.id);
      done?.(r);
    });
    worker.on('error', () => {
      this.busy = false;
      this.worker = null;
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
