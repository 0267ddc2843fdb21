import { parentPort } from 'node:worker_threads';
import { blockMean } from './block-mean.ts';
import { accumulateFrames, type FrameData, pixelSumsOn } from './fourier-accumulator.ts';
import type { AccumulateRequest, FrameBinning, FrameDtype } from './fourier-worker-protocol.ts';
import { readOwnPixels } from './worker-frame-reads.ts';

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

/** One binned frame, reused: only [from, to) is written and read. */
let binned = new Float64Array(0);

/** Block means of source frame `k` for binned pixels [from, to) (the binned row width is ⌈width / factor⌉). */
function binFrame(frames: FrameData, k: number, b: FrameBinning, pixels: number, from: number, to: number) {
  if (binned.length < pixels) binned = new Float64Array(pixels);
  const base = k * b.width * b.height;
  for (let p = from; p < to; p++) binned[p] = blockMean(frames, base, b.width, b.height, b.factor, p);
  return binned;
}

parentPort?.on('message', (request: AccumulateRequest) => {
  const sums = pixelSumsOn(request.sums, request.pixels);
  const { file, pixels, frameCount, from, to } = request;
  // Frames are `stride` apart in the buffer (frameStride says why).
  const { frames, stride } = file
    ? readOwnPixels(file, request.dtype, pixels, frameCount, from, to)
    : { frames: views[request.dtype](request.frames as SharedArrayBuffer), stride: request.stride ?? pixels };
  const cos = new Float64Array(request.phasors, 0, request.frameCount);
  const sin = new Float64Array(request.phasors, request.frameCount * 8, request.frameCount);
  const binning = request.binning;
  if (!binning) {
    accumulateFrames(sums, frames, stride, frameCount, cos, sin, from, to);
  } else {
    for (let k = 0; k < request.frameCount; k++) {
      const frame = binFrame(frames, k, binning, request.pixels, request.from, request.to);
      accumulateFrames(
        sums,
        frame,
        request.pixels,
        1,
        cos.subarray(k, k + 1),
        sin.subarray(k, k + 1),
        request.from,
        request.to,
      );
    }
  }
  parentPort?.postMessage({ id: request.id });
});
