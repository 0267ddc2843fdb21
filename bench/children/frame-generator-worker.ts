/**
 * A camera stand-in for the paced HDF5 benchmark, on its own thread: at each deadline
 * (start + n / fps) it copies one of a few ready-made frames into a fresh buffer, as a camera
 * SDK copies out of its DMA ring, and transfers it to the main thread. The main thread does
 * no per-pixel work. Reports how late it was itself, so a starved generator is not mistaken
 * for a slow writer.
 *
 * The ready-made frames are the ramp of bench/lib/frames.ts, or, with `framesFile`, the
 * pre-rendered realistic frames in that file (bench/lib/camera-frames.ts): a compressed run
 * needs frames that compress like a camera's, and rendering them here at 43 fps would make
 * the source, not the writer, the limit.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { framePool } from '../lib/frames.ts';

const { fps, frames, height, width, framesFile } = workerData as {
  fps: number;
  frames: number;
  height: number;
  width: number;
  /** Concatenated little-endian uint16 frames of height × width. */
  framesFile?: string;
};

function framesFrom(path: string): Uint16Array[] {
  const bytes = readFileSync(path);
  const pixels = height * width;
  const all = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  const count = Math.floor(all.length / pixels);
  if (count === 0) throw new Error(`${path}: holds no whole ${height}×${width} uint16 frame`);
  return Array.from({ length: count }, (_, n) => all.slice(n * pixels, (n + 1) * pixels));
}

const pool = framesFile ? framesFrom(framesFile) : framePool(height, width);
const periodMs = 1000 / fps;
const start = performance.now() + 50;
let maxLateMs = 0;

function emit(n: number): void {
  if (n >= frames) {
    parentPort!.postMessage({ t: 'done', maxLateMs });
    return;
  }
  maxLateMs = Math.max(maxLateMs, performance.now() - (start + n * periodMs));
  const pixels = pool[n % pool.length]!.slice();
  parentPort!.postMessage({ t: 'frame', n, timestamp: Date.now(), pixels }, [pixels.buffer]);
  setTimeout(() => emit(n + 1), Math.max(0, start + (n + 1) * periodMs - performance.now()));
}

setTimeout(() => emit(0), Math.max(0, start - performance.now()));
