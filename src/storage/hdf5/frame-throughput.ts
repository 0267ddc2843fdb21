/**
 * Measures camera-frame throughput of Hdf5RunWriter end to end (main thread → transfer →
 * worker → HDF5 → page cache) beside raw sequential writes of the same bytes and, with
 * --compare-h5py, h5py writing the same frames with the same chunking
 * (bench/anchors/h5py_frames.py). Prints one JSON line per writer.
 *
 *   node src/storage/hdf5/frame-throughput.ts [--frames 100] [--height 2048] [--width 2048]
 *        [--dir /tmp] [--fps 43] [--compare-h5py]
 *
 * --fps paces frame() calls like a camera instead of sending them as fast as possible and
 * reports whether any were refused.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Frame } from '../../core/frame.ts';
import type { EventDescriptor, RunStart } from '../../engine/documents.ts';
import { Hdf5RunWriter } from './hdf5-run-writer.ts';

interface Measurement {
  writer: string;
  frames: number;
  bytes: number;
  seconds: number;
  mb_per_s: number;
  fps: number;
  [extra: string]: unknown;
}

/** Pixel (y, x) of frame n, the same as bench/anchors/h5py_frames.py. */
function framePixels(n: number, height: number, width: number): Uint16Array {
  const pixels = new Uint16Array(height * width);
  const offset = n * 7919;
  for (let i = 0; i < pixels.length; i++) pixels[i] = (offset + i) & 0xffff;
  return pixels;
}

function measurement(
  writer: string,
  frames: number,
  bytes: number,
  seconds: number,
  extra = {},
): Measurement {
  return {
    writer,
    frames,
    bytes,
    seconds: Number(seconds.toFixed(4)),
    mb_per_s: Number((bytes / 1e6 / seconds).toFixed(1)),
    fps: Number((frames / seconds).toFixed(1)),
    ...extra,
  };
}

export async function measureWriter(dir: string, frames: number, height: number, width: number, fps = 0) {
  const pool = [0, 1, 2, 3].map((n) => framePixels(n, height, width));
  // Every frame needs its own buffer (it is transferred); made before the clock starts.
  const toSend: Frame[] = Array.from({ length: frames }, (_, n) => ({
    pixels: pool[n % 4]!.slice(),
    width,
    height,
    frameNumber: n,
    timestamp: Date.now(),
    bitDepth: 16,
    exposureMs: 1,
  }));
  const start: RunStart = {
    uid: `bench-${process.pid}-${Date.now()}`,
    time: Date.now() / 1000,
    plan_name: 'frame_throughput',
    plan_args: { frames },
    metadata: {},
    config: {},
    instruments: {},
    versions: {},
  };
  const descriptor: EventDescriptor = {
    uid: 'bench-camera',
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
  let maxQueued = 0;
  const writer = new Hdf5RunWriter({
    outputDir: dir,
    compressionLevel: 0,
    cameraCompression: 'none',
    queueCapacity: 256,
    autoFlushIntervalSecs: 5,
  });
  writer.document({ name: 'start', doc: start });
  writer.document({ name: 'descriptor', doc: descriptor });
  await writer.flush(); // the worker has loaded h5wasm and created the file
  const t0 = performance.now();
  for (let n = 0; n < frames; n++) {
    if (fps > 0) {
      const due = t0 + (n * 1000) / fps;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    writer.frame('cam_image', toSend[n]!);
    maxQueued = Math.max(maxQueued, writer.stats().queued);
  }
  const { files } = await writer.close();
  const seconds = (performance.now() - t0) / 1000;
  const stats = writer.stats();
  return {
    result: measurement('benchtop-hdf5', frames, frames * height * width * 2, seconds, {
      paced_fps: fps || null,
      dropped: stats.dropped,
      max_queued: maxQueued,
    }),
    file: join(dir, files[0] ?? ''),
  };
}

/** Sequential writes of the same bytes with no HDF5 at all: the ceiling for any writer. */
export function measureRawWrite(path: string, frames: number, height: number, width: number): Measurement {
  const pool = [0, 1, 2, 3].map((n) => framePixels(n, height, width));
  const t0 = performance.now();
  const fd = openSync(path, 'w');
  for (let n = 0; n < frames; n++) writeSync(fd, pool[n % 4]!);
  closeSync(fd);
  const seconds = (performance.now() - t0) / 1000;
  return measurement('raw-write', frames, frames * height * width * 2, seconds);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      frames: { type: 'string', default: '100' },
      height: { type: 'string', default: '2048' },
      width: { type: 'string', default: '2048' },
      dir: { type: 'string', default: tmpdir() },
      fps: { type: 'string', default: '0' },
      'compare-h5py': { type: 'boolean', default: false },
    },
  });
  const [frames, height, width, fps] = [values.frames, values.height, values.width, values.fps].map(
    Number,
  ) as [number, number, number, number];
  const dir = mkdtempSync(join(values.dir, 'benchtop-frames-'));
  try {
    const { result } = await measureWriter(dir, frames, height, width, fps);
    console.log(JSON.stringify(result));
    console.log(JSON.stringify(measureRawWrite(join(dir, 'raw.bin'), frames, height, width)));
    if (values['compare-h5py']) {
      const anchor = new URL('../../../bench/anchors/h5py_frames.py', import.meta.url).pathname;
      const run = spawnSync(
        '/usr/bin/python3',
        [anchor, join(dir, 'h5py.h5'), String(frames), String(height), String(width)],
        {
          encoding: 'utf8',
        },
      );
      if (run.status !== 0) throw new Error(`h5py anchor failed: ${run.stderr}`);
      process.stdout.write(run.stdout);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await main();
