import h5wasm, { type Dataset } from 'h5wasm/node';
import { FourierWorkerPool } from '../../src/analysis/retinotopy/fourier-worker-pool.ts';
import { OnlineFourier } from '../../src/analysis/retinotopy/online-fourier.ts';
import { frameFileOffsets } from '../../src/storage/hdf5/frame-file-offsets.ts';

// Usage: retinotopy-offline.ts PATH CHUNK PERIOD_S. One direction's stage 1 from a {DIR}_camera.h5
// (what `benchtop isi analyze` does per direction): frames CHUNK at a time, each worker of the
// pool (one thread per core) reading its own pixels of them straight from the file, or through
// h5wasm when their layout does not allow that; then the maps read out. Prints seconds.

const [path, chunkArg, periodArg] = process.argv.slice(2);
const chunk = Number(chunkArg);
const periodS = Number(periodArg);
const start = performance.now();
// The workers start up while h5wasm compiles (as analyzeSession, which makes its pool first).
const pool = new FourierWorkerPool();
const m = await h5wasm.ready;
m.activate_throwing_error_handler();
const file = new h5wasm.File(path as string, 'r');
const frames = file.get('frames') as Dataset;
const stamps = (file.get('timestamps') as Dataset).value as BigInt64Array;
const [n, height, width] = frames.shape as [number, number, number];
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
const onDisk = frameFileOffsets(path as string, 'frames');
for (let k = 0; k < n; k += chunk) {
  const count = Math.min(chunk, n - k);
  if (onDisk) {
    const file = { path: path as string, offsets: onDisk.offsets.subarray(k, k + count) };
    const next = fourier.addFramesFromFile(file, onDisk.element, stamps.subarray(k, k + count));
    await pending;
    pending = next;
  } else {
    const data = frames.slice([[k, k + count], [], []]) as Uint16Array;
    await pending;
    pending = fourier.addFrames(data, stamps.subarray(k, k + count));
  }
}
await pending;
const maps = await fourier.maps({ leakageCorrection: false });
const seconds = (performance.now() - start) / 1000;
file.close();
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
