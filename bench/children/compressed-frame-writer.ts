/**
 * Benchmark: camera frames compressed by ChunkCompressorPool (worker threads, the codecs HDF5
 * readers decode) and the compressed chunks written in order to a file, fsynced at the end.
 *
 *   node bench/children/compressed-frame-writer.ts FRAMES_FILE OUT FRAMES CODEC LEVEL THREADS
 *
 * The distinct frames in FRAMES_FILE (2048 × 2048 uint16 each) are repeated; each submission
 * is a fresh copy (the pool takes ownership of the buffer, as the writer does of a frame).
 * Submission waits while the pool's queue is full, so every frame is compressed and the figure
 * is the sustained rate. Prints {"mb_per_s", "ratio", "busy", …}.
 */
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import type { FrameCodec } from '../../src/storage/hdf5/chunk-codecs.ts';
import { ChunkCompressorPool } from '../../src/storage/hdf5/chunk-compressor-pool.ts';

const [framesFile, out, framesArg, codec, levelArg, threadsArg] = process.argv.slice(2) as string[];
const FRAME_BYTES = 2048 * 2048 * 2;
const source = readFileSync(framesFile!);
const distinct = source.byteLength / FRAME_BYTES;
const total = Number(framesArg);
const copies = Array.from(
  { length: Math.min(total, 8) },
  (_, i) => new Uint8Array(source.subarray((i % distinct) * FRAME_BYTES, ((i % distinct) + 1) * FRAME_BYTES)),
);

const fd = openSync(out!, 'w');
let position = 0;
let written = 0;
let wake: (() => void) | null = null;
const pool = new ChunkCompressorPool({
  codec: codec as FrameCodec,
  level: Number(levelArg),
  elementSize: 2,
  capacity: 8,
  threads: Number(threadsArg),
  onCompressed: (chunk) => {
    position += writeSync(fd, chunk.compressed, 0, chunk.compressed.byteLength, position);
    written++;
    wake?.();
  },
  onError: (error) => {
    throw error;
  },
});

const started = performance.now();
for (let n = 0; n < total; n++) {
  // A copy per frame, as a camera delivers a fresh buffer per frame.
  const frame = new Uint8Array(copies[n % copies.length]!);
  while (pool.submit(frame) === null) {
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  }
}
while (written < total) {
  await new Promise<void>((resolve) => {
    wake = resolve;
  });
}
fsyncSync(fd);
const seconds = (performance.now() - started) / 1000;
closeSync(fd);
rmSync(out!, { force: true });
const stats = pool.stats();
await pool.close();
console.log(
  JSON.stringify({
    frames: total,
    seconds,
    mb_per_s: (total * FRAME_BYTES) / seconds / 1e6,
    ratio: stats.rawBytes / stats.compressedBytes,
    busy: stats.busy,
    overflow_waits: stats.overflow,
    threads: stats.threads,
  }),
);
