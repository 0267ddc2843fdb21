/**
 * Benchmark 2, Benchtop's side: camera frames into the real Hdf5RunWriter (worker thread,
 * uncompressed unless a codec is given, one frame per chunk, the `[storage]` defaults
 * otherwise), then fsync.
 *
 *   node bench/children/hdf5-frame-writer.ts throughput DIR FRAMES HEIGHT WIDTH
 *     as fast as the writer takes them: frames made before the clock starts; the time runs
 *     from the first frame to the file closed and fsynced.
 *   node bench/children/hdf5-frame-writer.ts paced DIR FRAMES HEIGHT WIDTH FPS [CODEC LEVEL FRAMES_FILE]
 *     at a camera's rate from a generator thread: dropped frames and the main event loop's
 *     delay while streaming. With CODEC (`camera_compression`, e.g. lz4) and LEVEL the frames
 *     are compressed on the writer's compressor threads, and the generator replays the
 *     pre-rendered frames in FRAMES_FILE (bench/lib/camera-frames.ts) instead of the ramp,
 *     which would compress unrealistically well; the compression stats come back too.
 *
 * Prints one JSON line.
 */
import { closeSync, fsyncSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Value } from '@sinclair/typebox/value';
import { ConfigSchema } from '../../src/config/schema.ts';
import type { EventDescriptor, RunStart } from '../../src/core/documents.ts';
import type { Frame } from '../../src/core/frame.ts';
import { Hdf5RunWriter, hdf5WriterOptions } from '../../src/storage/hdf5/hdf5-run-writer.ts';
import type { CameraCompression } from '../../src/storage/hdf5/worker-protocol.ts';
import { framePool } from '../lib/frames.ts';

const [mode, dir, framesArg, heightArg, widthArg, fpsArg, codecArg, levelArg, framesFile] =
  process.argv.slice(2);
const codec = (codecArg ?? 'none') as CameraCompression;
if (codec !== 'none' && (levelArg === undefined || framesFile === undefined)) {
  throw new Error(`paced with camera_compression ${codec}: give LEVEL and FRAMES_FILE after it`);
}
const [frames, height, width] = [framesArg, heightArg, widthArg].map(Number) as [number, number, number];
const frameBytes = height * width * 2;

function frameOf(n: number, pixels: Uint16Array, timestamp = Date.now()): Frame {
  return { pixels, width, height, frameNumber: n, timestamp, bitDepth: 16, exposureMs: 1 };
}

async function openRun(): Promise<Hdf5RunWriter> {
  const storage = Value.Default(ConfigSchema.properties.storage, { output_dir: dir }) as Parameters<
    typeof hdf5WriterOptions
  >[0];
  const writer = new Hdf5RunWriter({
    ...hdf5WriterOptions(storage),
    cameraCompression: codec,
    ...(codec !== 'none' ? { cameraCompressionLevel: Number(levelArg) } : {}),
  });
  const start: RunStart = {
    uid: `bench-${process.pid}-${Date.now()}`,
    time: Date.now() / 1000,
    plan_name: 'camera_benchmark',
    plan_args: { frames },
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
        shape: [height, width],
        source: 'cam.image',
        dtype_numpy: '<u2',
        external: 'STREAM:',
      },
    },
    configuration: {},
    object_keys: {},
  };
  writer.document({ name: 'start', doc: start });
  writer.document({ name: 'descriptor', doc: descriptor });
  await writer.flush(); // h5wasm loaded and the file created before any clock starts
  return writer;
}

/**
 * Closes the run and makes its bytes durable, as the raw and h5py writers do: the run file and,
 * compressed, its frames file. Returns the run file's path.
 */
async function closeAndSync(writer: Hdf5RunWriter): Promise<string> {
  const { files } = await writer.close();
  for (const file of files) {
    const fd = openSync(join(dir!, file), 'r+');
    fsyncSync(fd);
    closeSync(fd);
  }
  return join(dir!, files[0]!);
}

async function throughput(): Promise<void> {
  const pool = framePool(height, width);
  // Each frame needs its own buffer (it is transferred to the writer's thread).
  const toSend = Array.from({ length: frames }, (_, n) => pool[n % 4]!.slice());
  const writer = await openRun();
  const t0 = performance.now();
  for (let n = 0; n < frames; n++) writer.frame('cam_image', frameOf(n, toSend[n]!));
  const path = await closeAndSync(writer);
  const seconds = (performance.now() - t0) / 1000;
  const stats = writer.stats();
  const bytes = frames * frameBytes;
  console.log(
    JSON.stringify({
      writer: 'benchtop-hdf5',
      frames,
      bytes,
      file_bytes: statSync(path).size,
      direct_bytes: stats.bytesWrittenDirect ?? 0,
      dropped: stats.dropped,
      seconds,
      mb_per_s: bytes / 1e6 / seconds,
    }),
  );
}

async function paced(fps: number): Promise<void> {
  const writer = await openRun();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  let maxQueued = 0;
  let maxLagMs = 0;
  let received = 0;
  const t0 = performance.now();
  loop.enable();
  const generator = new Worker(new URL('./frame-generator-worker.ts', import.meta.url), {
    workerData: { fps, frames, height, width, ...(codec !== 'none' ? { framesFile } : {}) },
  });
  const generatorMaxLateMs = await new Promise<number>((resolve, reject) => {
    generator.on('error', reject);
    generator.on(
      'message',
      (
        m:
          | { t: 'frame'; n: number; timestamp: number; pixels: Uint16Array }
          | { t: 'done'; maxLateMs: number },
      ) => {
        if (m.t === 'done') {
          resolve(m.maxLateMs);
          return;
        }
        received++;
        maxLagMs = Math.max(maxLagMs, Date.now() - m.timestamp);
        writer.frame('cam_image', frameOf(m.n, m.pixels, m.timestamp));
        maxQueued = Math.max(maxQueued, writer.stats().queued);
      },
    );
  });
  loop.disable();
  const streamingS = (performance.now() - t0) / 1000;
  await generator.terminate();
  await closeAndSync(writer);
  const seconds = (performance.now() - t0) / 1000;
  const stats = writer.stats();
  const c = stats.compression;
  if (codec !== 'none' && !c)
    throw new Error(`no compression stats: was camera_compression ${codec} applied?`);
  const ms = (ns: number) => ns / 1e6;
  console.log(
    JSON.stringify({
      writer: 'benchtop-hdf5',
      codec,
      fps,
      frames,
      received,
      dropped: stats.dropped,
      frames_written: stats.framesWritten,
      direct_bytes: stats.bytesWrittenDirect ?? 0,
      max_queued: maxQueued,
      queue_capacity: stats.capacity,
      writer_nice: stats.threadNice ?? null,
      max_main_thread_lag_ms: maxLagMs,
      generator_max_late_ms: generatorMaxLateMs,
      streaming_s: streamingS,
      seconds_to_durable: seconds,
      mb_per_s_offered: (received * frameBytes) / 1e6 / streamingS,
      // Both files' bytes (frames and HDF5 metadata) over the time from the first frame to durable.
      bytes_written: stats.bytesWritten,
      disk_mb_per_s: stats.bytesWritten / 1e6 / seconds,
      ...(c
        ? {
            compression: {
              level: c.level,
              threads: c.threads,
              ratio: c.compressedBytes > 0 ? c.rawBytes / c.compressedBytes : 0,
              // decision 0012: the stage closer to saturation, with both stages' busy shares
              limiting_stage: c.limitingStage,
              busy: c.busy,
              disk_busy: c.diskBusy,
              queue_peak: c.peak,
              queue_capacity: c.capacity,
              overflow: c.overflow,
            },
          }
        : {}),
      event_loop_delay_ms: {
        p50: ms(loop.percentile(50)),
        p99: ms(loop.percentile(99)),
        max: ms(loop.max),
      },
    }),
  );
}

if (mode === 'throughput') await throughput();
else if (mode === 'paced') await paced(Number(fpsArg));
else throw new Error(`mode must be throughput or paced; got ${mode}`);
