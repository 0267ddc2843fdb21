/**
 * A camera stand-in for the paced HDF5 benchmark, on its own thread: at each deadline
 * (start + n / fps) it copies one of four ready-made frames into a fresh buffer, as a camera
 * SDK copies out of its DMA ring, and transfers it to the main thread. The main thread does
 * no per-pixel work. Reports how late it was itself, so a starved generator is not mistaken
 * for a slow writer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { framePool } from '../lib/frames.ts';

const { fps, frames, height, width } = workerData as {
  fps: number;
  frames: number;
  height: number;
  width: number;
};
const pool = framePool(height, width);
const periodMs = 1000 / fps;
const start = performance.now() + 50;
let maxLateMs = 0;

function emit(n: number): void {
  if (n >= frames) {
    parentPort!.postMessage({ t: 'done', maxLateMs });
    return;
  }
  maxLateMs = Math.max(maxLateMs, performance.now() - (start + n * periodMs));
  const pixels = pool[n % 4]!.slice();
  parentPort!.postMessage({ t: 'frame', n, timestamp: Date.now(), pixels }, [pixels.buffer]);
  setTimeout(() => emit(n + 1), Math.max(0, start + (n + 1) * periodMs - performance.now()));
}

setTimeout(() => emit(0), Math.max(0, start - performance.now()));
