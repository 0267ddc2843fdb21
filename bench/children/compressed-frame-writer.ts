/**
 * Benchmark: camera frames written end to end by the real Hdf5RunWriter with
 * `camera_compression = CODEC`: frames posted to the writer thread, compressed on its
 * ChunkCompressorPool threads, written into the run's frames file (CompressedFramesFile, 4 KiB
 * aligned chunks, O_DIRECT where the filesystem allows), the run closed and both files fsynced.
 *
 *   node bench/children/compressed-frame-writer.ts FRAMES_FILE DIR FRAMES CODEC LEVEL
 *
 * The distinct frames in FRAMES_FILE (2048 × 2048 uint16 each) are repeated; each frame is its
 * own buffer (a camera hands over a new buffer per frame) whose ownership moves to the writer,
 * all made before the clock starts, as h5py's anchor has its frames in memory. Frames are offered as fast as the writer takes them: a new one only while
 * fewer than 24 are between the writer's queue and the compressor (its queue holds 32), so the
 * figure is the sustained rate with nothing refused. Prints {"mb_per_s", "mb_per_cpu_s" (input
 * per CPU-second of the whole process, all threads), "ratio", "busy", "disk_busy",
 * "limiting_stage", "dropped", …}.
 */
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { EventDescriptor, RunStart } from '../../src/core/documents.ts';
import { Hdf5RunWriter } from '../../src/storage/hdf5/hdf5-run-writer.ts';
import { lz4Implementation } from '../../src/storage/hdf5/lz4-block.ts';
import type { CameraCompression } from '../../src/storage/hdf5/worker-protocol.ts';

const [framesFile, dir, framesArg, codec, levelArg] = process.argv.slice(2) as string[];
const H = 2048;
const W = 2048;
const FRAME_BYTES = H * W * 2;
const IN_FLIGHT = 24;
const source = new Uint16Array(readFileSync(framesFile!).buffer.slice(0));
const distinct = source.length / (H * W);
const total = Number(framesArg);
rmSync(dir!, { recursive: true, force: true });

let dropped = 0;
const writer = new Hdf5RunWriter({
  outputDir: dir!,
  compressionLevel: 6,
  cameraCompression: codec as CameraCompression,
  cameraCompressionLevel: Number(levelArg),
  queueCapacity: 256,
  autoFlushIntervalSecs: 5,
  onDrop: () => dropped++,
  onError: (error) => {
    throw error;
  },
});
const start: RunStart = {
  uid: `bench-${process.pid}-${Date.now()}`,
  time: Date.now() / 1000,
  plan_name: 'compression_benchmark',
  plan_args: { frames: total },
  metadata: {},
  config: {},
  instruments: {},
  versions: {},
};
const descriptor: EventDescriptor = {
  uid: `bench-camera-${process.pid}`,
  run_start: start.uid,
  time: start.time,
  name: 'camera',
  data_keys: {
    cam_image: {
      dtype: 'array',
      shape: [H, W],
      source: 'cam.image',
      dtype_numpy: '<u2',
      external: 'STREAM:',
    },
  },
  configuration: {},
  object_keys: {},
};

/** Made (and their pages touched) before the clock starts. */
const buffers = Array.from({ length: total + 2 }, (_, n) => {
  const offset = (n % distinct) * H * W;
  return source.slice(offset, offset + H * W);
});
const frameOf = (n: number) => {
  return {
    pixels: buffers[n]!,
    width: W,
    height: H,
    frameNumber: n,
    timestamp: Date.now(),
    bitDepth: 16,
    exposureMs: 20,
  };
};
/** Frames the compressor has handed back (progress reports lag a little: never more). */
const compressed = () => Math.round((writer.stats().compression?.rawBytes ?? 0) / FRAME_BYTES);
/**
 * An upper bound on frames between the writer's queue and the compressor's, as of the last
 * progress report: those the writer has not submitted yet plus the compressor's queue. (Frames
 * compressed are not a bound: a thread's chunks that finished early wait in the queue for an
 * earlier one still on the other thread, and were refused on a loaded machine.)
 */
const inFlight = (n: number) => {
  const stats = writer.stats();
  return n - stats.framesWritten + (stats.compression?.queued ?? 0);
};
const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

writer.document({ name: 'start', doc: start });
writer.document({ name: 'descriptor', doc: descriptor });
// Two frames first, so the compressor threads' start-up is not timed.
const WARM = 2;
for (let n = 0; n < WARM; n++) writer.frame('cam_image', frameOf(n));
await writer.flush();
while (compressed() < WARM) await tick();

const started = performance.now();
const cpuStarted = process.cpuUsage();
for (let n = WARM; n < WARM + total; n++) {
  while (inFlight(n) >= IN_FLIGHT) await tick();
  writer.frame('cam_image', frameOf(n));
}
writer.document({
  name: 'stop',
  doc: {
    uid: `${start.uid}-stop`,
    run_start: start.uid,
    time: Date.now() / 1000,
    exit_status: 'success',
    reason: '',
    num_events: {},
  },
});
const { files } = await writer.close();
for (const file of files) {
  const fd = openSync(join(dir!, file), 'r');
  fsyncSync(fd);
  closeSync(fd);
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStarted);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const stats = writer.stats();
const c = stats.compression;
if (!c) throw new Error('no compression stats: was the codec applied?');
const ratio = c.rawBytes / c.compressedBytes;
const stored = readdirSync(dir!).length;
rmSync(dir!, { recursive: true, force: true });
console.log(
  JSON.stringify({
    frames: total,
    seconds,
    mb_per_s: (total * FRAME_BYTES) / seconds / 1e6,
    cpu_seconds: cpuSeconds,
    mb_per_cpu_s: (total * FRAME_BYTES) / cpuSeconds / 1e6,
    ratio,
    busy: c.busy,
    disk_busy: c.diskBusy,
    limiting_stage: c.limitingStage,
    compressor_peak: c.peak,
    dropped,
    direct_bytes: stats.bytesWrittenDirect,
    threads: c.threads,
    files: stored,
    lz4: codec!.includes('lz4') ? lz4Implementation() : undefined,
  }),
);
