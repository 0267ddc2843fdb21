/**
 * Benchmark: camera frames compressed by ChunkCompressorPool (worker threads, the codecs HDF5
 * readers decode) and the compressed chunks written in order to a file, fsynced at the end.
 *
 *   node bench/children/compressed-frame-writer.ts FRAMES_FILE OUT FRAMES CODEC LEVEL THREADS
 *
 * The distinct frames in FRAMES_FILE (2048 × 2048 uint16 each) are repeated: each buffer goes to
 * a compressor thread and comes back (transferred, never copied, as a camera's frames reach the
 * writer), then is submitted again.
 * Submission waits while the pool's queue is full, so every frame is compressed and the figure
 * is the sustained rate. Prints {"mb_per_s", "mb_per_cpu_s" (input per CPU-second of the whole
 * process, all threads: the figure a loaded machine does not move), "ratio", "busy", …}.
 */
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import type { FrameCodec } from '../../src/storage/hdf5/chunk-codecs.ts';
import { ChunkCompressorPool } from '../../src/storage/hdf5/chunk-compressor-pool.ts';

const [framesFile, out, framesArg, codec, levelArg, threadsArg] = process.argv.slice(2) as string[];
const FRAME_BYTES = 2048 * 2048 * 2;
const source = readFileSync(framesFile!);
const distinct = source.byteLength / FRAME_BYTES;
const total = Number(framesArg);
/** Frame buffers back from the threads, ready to go again. */
const idle: Uint8Array[] = Array.from(
  { length: Math.min(total, 10) },
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
    idle.push(chunk.input);
    wake?.();
  },
  onError: (error) => {
    throw error;
  },
});

// One frame through every thread first, so their start-up is not timed.
for (let i = 0; i < pool.stats().threads; i++) pool.submit(idle.shift()!);
while (written < pool.stats().threads) {
  await new Promise<void>((resolve) => {
    wake = resolve;
  });
}
written = 0;
position = 0;
const started = performance.now();
// Process-wide: includes the compressor threads.
const cpuStarted = process.cpuUsage();
for (let n = 0; n < total; n++) {
  while (idle.length === 0 || pool.queued >= 8) {
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  }
  if (pool.submit(idle.shift()!) === null) throw new Error('the pool refused a frame with room in its queue');
}
while (written < total) {
  await new Promise<void>((resolve) => {
    wake = resolve;
  });
}
fsyncSync(fd);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStarted);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
closeSync(fd);
rmSync(out!, { force: true });
const stats = pool.stats();
await pool.close();
console.log(
  JSON.stringify({
    frames: total,
    seconds,
    mb_per_s: (total * FRAME_BYTES) / seconds / 1e6,
    cpu_seconds: cpuSeconds,
    mb_per_cpu_s: (total * FRAME_BYTES) / cpuSeconds / 1e6,
    ratio: stats.rawBytes / stats.compressedBytes,
    busy: stats.busy,
    overflow_waits: stats.overflow,
    threads: stats.threads,
  }),
);
