import { parentPort } from 'node:worker_threads';
import { accumulateFrames, type FrameData, pixelSumsOn } from './fourier-accumulator.ts';
import type { AccumulateRequest, FrameDtype } from './fourier-worker-protocol.ts';

/**
 * A stage-1 worker: adds a chunk of frames to the sums of its own pixel range. Frames, phasors and
 * sums are all shared buffers, so nothing is copied per message and each worker writes only its
 * pixels.
 */
const views: Record<FrameDtype, (b: ArrayBufferLike) => FrameData> = {
  uint8: (b) => new Uint8Array(b),
  uint16: (b) => new Uint16Array(b),
  uint32: (b) => new Uint32Array(b),
  int16: (b) => new Int16Array(b),
  float32: (b) => new Float32Array(b),
  float64: (b) => new Float64Array(b),
};

parentPort?.on('message', (request: AccumulateRequest) => {
  const sums = pixelSumsOn(request.sums, request.pixels);
  const frames = views[request.dtype](request.frames);
  const cos = new Float64Array(request.phasors, 0, request.frameCount);
  const sin = new Float64Array(request.phasors, request.frameCount * 8, request.frameCount);
  accumulateFrames(sums, frames, request.pixels, request.frameCount, cos, sin, request.from, request.to);
  parentPort?.postMessage({ id: request.id });
});
