import { FourierWorkerPool } from '../../src/analysis/retinotopy/fourier-worker-pool.ts';
import { OnlineFourier } from '../../src/analysis/retinotopy/online-fourier.ts';

// Usage: retinotopy-online.ts SECONDS [pipelined|serial]. Online stage 1 while recording: a 512 × 512 uint16 frame
// every 1/30 s is added to the accumulator as it "arrives" (frames pre-made on SharedArrayBuffers
// as a camera ring would hand them over). Prints the process's CPU time (main and worker threads)
// per wall second, and how many earlier frames were still not in the maps when each frame arrived.
// A frame that is late (the timer fired late on a busy machine) arrives as its own event-loop
// turn, as a camera's frames do (each is a message from the camera's thread), not in one
// synchronous burst with the frames after it. `serial` is the anchor: each frame is handed to the
// workers only once the one before it is in the maps (how OnlineFourier worked before).

const seconds = Number(process.argv[2]);
const serial = process.argv[3] === 'serial';
const FPS = 30;
const W = 512;
const H = 512;
const pool = new FourierWorkerPool();
const fourier = new OnlineFourier(pool, W, H, {
  startUs: 0,
  periodS: 15.7,
  sweepS: 15.7,
  cycles: 1_000,
  startDeg: -70,
  endDeg: 70,
});
const frames = Array.from({ length: 4 }, (_, f) => {
  const a = new Uint16Array(new SharedArrayBuffer(W * H * 2));
  for (let p = 0; p < a.length; p++) a[p] = 1000 + ((p * 31 + f * 7) % 97);
  return a;
});
// The pool's threads start with the session, before its first frame: one frame warms them.
await fourier.addFrames(frames[0] as Uint16Array, [0]);
const total = seconds * FPS;
let added = 0;
let done = 0;
let maxBehind = 0;
const behind: number[] = [];
let previous: Promise<void> = Promise.resolve();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const all: Promise<void>[] = [];
for (let k = 0; k < total; k++) {
  const due = t0 + (k * 1000) / FPS;
  const wait = due - performance.now();
  await new Promise((resolve) => (wait > 0 ? setTimeout(resolve, wait) : setImmediate(resolve)));
  maxBehind = Math.max(maxBehind, added - done);
  behind.push(added - done);
  added++;
  const frame = frames[k % 4] as Uint16Array;
  const stamp = ((k + 1) * 1e6) / FPS;
  const chunk = serial
    ? previous.then(() => fourier.addFrames(frame, [stamp]))
    : fourier.addFrames(frame, [stamp]);
  previous = chunk;
  all.push(chunk.then(() => void done++));
}
await Promise.all(all);
const wallS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
await fourier.maps();
await pool.close();
console.log(
  JSON.stringify({
    frames: total,
    wall_s: wallS,
    cpu_share_of_one_core: (cpu.user + cpu.system) / 1e6 / wallS,
    max_frames_behind: maxBehind,
    median_frames_behind: behind.sort((a, b) => a - b)[Math.floor(behind.length / 2)] ?? 0,
    p99_frames_behind: behind[Math.min(behind.length - 1, Math.floor(behind.length * 0.99))] ?? 0,
    mode: serial ? 'serial' : 'pipelined',
    used: fourier.framesUsed,
  }),
);
