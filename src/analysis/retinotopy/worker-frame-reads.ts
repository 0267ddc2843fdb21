import { closeSync, openSync, readSync } from 'node:fs';
import { type FrameData, frameStride } from './fourier-accumulator.ts';
import type { FrameDtype, FramesInFile } from './fourier-worker-protocol.ts';

const elements: Record<FrameDtype, new (b: ArrayBuffer) => FrameData> = {
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  int16: Int16Array,
  float32: Float32Array,
  float64: Float64Array,
};

/** Reused from chunk to chunk: a worker takes one request at a time. */
let buffer = new ArrayBuffer(0);

/**
 * The frames of `file` as a worker needs them: only pixels [from, to) of each frame are read, with
 * one pread per frame straight into place (frame k at k × stride, frameStride), so the workers
 * read their parts of a chunk in parallel and nothing passes through the main thread or HDF5.
 * The other pixels of the array are stale and must not be read.
 */
export function readOwnPixels(
  file: FramesInFile,
  dtype: FrameDtype,
  pixels: number,
  frameCount: number,
  from: number,
  to: number,
): { frames: FrameData; stride: number } {
  const Element = elements[dtype];
  const bytesPerElement = (Element as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  const stride = frameStride(pixels, bytesPerElement);
  const needed = frameCount * stride * bytesPerElement;
  if (buffer.byteLength < needed) buffer = new ArrayBuffer(needed);
  const bytes = new Uint8Array(buffer);
  const length = (to - from) * bytesPerElement;
  const fd = openSync(file.path, 'r');
  try {
    for (let k = 0; k < frameCount; k++) {
      const at = (k * stride + from) * bytesPerElement;
      const position = (file.offsets[k] as number) + from * bytesPerElement;
      for (let done = 0; done < length; ) {
        const n = readSync(fd, bytes, at + done, length - done, position + done);
        if (n === 0) throw new Error(`${file.path} ends before byte ${position + length}`);
        done += n;
      }
    }
  } finally {
    closeSync(fd);
  }
  return { frames: new Element(buffer), stride };
}
