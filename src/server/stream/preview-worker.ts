import { parentPort } from 'node:worker_threads';
import { focusScore } from './focus-measure.ts';

/**
 * Turns a 16-bit frame into an 8-bit preview, off the main event loop: decimated to at most
 * `maxWidth` columns and levelled between the 0.5 and 99.5 percentiles of a pixel sample
 * (auto-contrast), so a browser gets a small image it can draw at once; with it the focus score
 * of the full frame.
 */
export interface PreviewRequest {
  id: number;
  pixels: Uint16Array;
  width: number;
  height: number;
  maxWidth: number;
  /** 3 for RGB frames (interleaved R, G, B): previewed as luminance. 1 when absent. */
  channels?: 1 | 3;
}

export interface PreviewResult {
  id: number;
  pixels: Uint8ClampedArray;
  width: number;
  height: number;
  low: number;
  high: number;
  /** The full-resolution frame's focus score (focus-measure.ts), for the focus aid. */
  focus: number;
}

export function renderPreview(req: PreviewRequest): PreviewResult {
  const px = req.pixels;
  // Rec. 601 luma in integers; a raw Bayer mosaic is previewed as its raw grey values.
  const value =
    req.channels === 3
      ? (i: number) => (px[i * 3]! * 77 + px[i * 3 + 1]! * 150 + px[i * 3 + 2]! * 29) >> 8
      : (i: number) => px[i]!;
  const step = Math.max(1, Math.ceil(req.width / req.maxWidth));
  const w = Math.floor(req.width / step);
  const h = Math.floor(req.height / step);
  const sample = new Uint16Array(Math.min(4096, w * h));
  for (let i = 0; i < sample.length; i++) {
    const p = Math.floor((i * (w * h)) / sample.length);
    sample[i] = value(Math.floor(p / w) * step * req.width + (p % w) * step);
  }
  sample.sort();
  const low = sample[Math.floor(sample.length * 0.005)] ?? 0;
  const high = Math.max(low + 1, sample[Math.floor(sample.length * 0.995)] ?? 65535);
  const scale = 255 / (high - low);
  // Clamped: values below `low` or above `high` saturate at 0 and 255.
  const out = new Uint8ClampedArray(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * step * req.width;
    for (let x = 0; x < w; x++) {
      out[y * w + x] = (value(row + x * step) - low) * scale;
    }
  }
  const focus = focusScore(px, req.width, req.height, req.channels ?? 1);
  return { id: req.id, pixels: out, width: w, height: h, low, high, focus };
}

parentPort?.on('message', (req: PreviewRequest) => {
  const result = renderPreview(req);
  parentPort!.postMessage(result, [result.pixels.buffer as ArrayBuffer]);
});
