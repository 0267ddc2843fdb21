import type { Dataset, File } from 'h5wasm/node';
import { FourierWorkerPool } from '../../src/analysis/retinotopy/fourier-worker-pool.ts';
import { OnlineFourier } from '../../src/analysis/retinotopy/online-fourier.ts';
import { frameFileOffsets, int64ColumnInFile } from '../../src/storage/hdf5/frame-file-offsets.ts';

/** Loaded only when needed: compiling its WebAssembly costs a few hundred ms of a core. */
async function openWithH5wasm(path: string): Promise<File> {
  const { default: h5wasm } = await import('h5wasm/node');
  const m = await h5wasm.ready;
  m.activate_throwing_error_handler();
  return new h5wasm.File(path, 'r');
}

// Usage: retinotopy-offline.ts PATH CHUNK PERIOD_S. One direction's stage 1 from a {DIR}_camera.h5
// (what `benchtop isi analyze` does per direction): frames CHUNK at a time, each worker of the
// pool (one thread per core) reading its own pixels of them straight from the file, or through
// h5wasm when their layout does not allow that; then the maps read out. Prints seconds.
// (`benchtop isi analyze` also loads h5wasm for the stimulus files; this benchmark has none.)

const [path, chunkArg, periodArg] = process.argv.slice(2);
const chunk = Number(chunkArg);
const periodS = Number(periodArg);
const start = performance.now();
// The workers start up while the file is looked at.
const pool = new FourierWorkerPool();
const onDisk = frameFileOffsets(path as string, 'frames');
const stampsOnDisk = onDisk && int64ColumnInFile(path as string, 'timestamps');
// h5wasm only when the frames or timestamps cannot be read directly.
const file = stampsOnDisk ? null : await openWithH5wasm(path as string);
const stamps = stampsOnDisk ?? ((file?.get('timestamps') as Dataset).value as BigInt64Array);
const frames = file?.get('frames') as Dataset | undefined;
const [n, height, width] = (onDisk?.shape ?? frames?.shape) as [number, number, number];
const first = Number(stamps[0]);
const cycles = Math.floor((Number(stamps[n - 1]) - first) / 1e6 / periodS) + 1;
const fourier = new OnlineFourier(pool, width, height, {
  startUs: first,
  periodS,
  sweepS: periodS,
  // Every frame in the window, as the numpy anchor uses them all.
  cycles,
  startDeg: -70,
  endDeg: 70,
});
// One chunk with the workers while the next is read (as accumulateDirection does).
let pending: Promise<void> = Promise.resolve();
for (let k = 0; k < n; k += chunk) {
  const count = Math.min(chunk, n - k);
  if (onDisk) {
    const file = { path: path as string, offsets: onDisk.offsets.subarray(k, k + count) };
    const next = fourier.addFramesFromFile(file, onDisk.element, stamps.subarray(k, k + count));
    await pending;
    pending = next;
  } else {
    const data = (frames as Dataset).slice([[k, k + count], [], []]) as Uint16Array;
    await pending;
    pending = fourier.addFrames(data, stamps.subarray(k, k + count));
  }
}
await pending;
const maps = await fourier.maps({ leakageCorrection: false });
const seconds = (performance.now() - start) / 1000;
file?.close();
await pool.close();
console.log(
  JSON.stringify({
    seconds,
    frames: n,
    used: fourier.framesUsed,
    threads: pool.size,
    direct: onDisk !== null,
    check: maps.phase[0],
  }),
);
