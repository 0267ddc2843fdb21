import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loopbackNamespace, whyNoFakeCamera } from '../../src/instruments/genicam/fake-camera-rig.ts';
import { type Benchmark, pick } from '../lib/benchmark.ts';
import { scratchDir } from '../lib/benchtop-process.ts';
import { benchScript, nodeBin, runJson } from '../lib/child-process.ts';
import { makeResult } from '../lib/results.ts';
import { spread } from '../lib/stats.ts';

const WIDTH = 1024;
const HEIGHT = 1024;
const FPS = 100;
const EXPOSURE_US = 2000;

interface Side {
  fps: number;
  mb_per_s: number;
  seconds_measured: number;
  dropped: number;
}
interface Ours extends Side {
  frames_recorded: number;
  hdf5_bytes: number;
  loop_p50_ms: number;
  loop_p99_ms: number;
  loop_max_ms: number;
}
/** One entry per round. */
interface Outcome {
  anchor: (Side & { completed: number })[];
  ours: Ours[];
}

/**
 * A GigE Vision stream into HDF5: Aravis's fake camera (arv-fake-gv-camera-0.8) streams
 * 1024×1024 Mono8 at up to 100 fps over loopback in a network namespace; Aravis's own
 * arv-camera-test-0.8 receives it, then Benchtop (GenicamCamera → camera_acquire → HDF5) receives
 * the same stream with the same settings, in the same run. Frames/s and MB/s in the steady
 * state (after the first second), drops, and the event-loop delay while Benchtop records.
 */
export const genicamBenchmark: Benchmark = {
  name: 'genicam',
  title: 'GigE Vision camera (Aravis fake) into HDF5',
  async run(ctx) {
    const seconds = pick(ctx, { quick: 5, full: 10 });
    const unavailable = whyNoFakeCamera();
    const metric = `${WIDTH}×${HEIGHT} Mono8 frames from arv-fake-gv-camera into HDF5`;
    if (unavailable) {
      return [
        makeResult({
          benchmark: 'genicam',
          metric,
          unit: 'frames/s',
          ours: { missing: unavailable },
          anchors: { 'arv-camera-test': { missing: unavailable } },
        }),
      ];
    }
    const scratch = scratchDir('genicam');
    const namespace = loopbackNamespace('bench');
    try {
      const dir = join(scratch.dir, 'runs');
      const r = await runJson<Outcome>(
        'ip',
        [
          'netns',
          'exec',
          namespace.name,
          nodeBin,
          ...ctx.nodeArgs('genicam'),
          benchScript('children/genicam-stream.ts'),
          dir,
          String(seconds),
          String(WIDTH),
          String(HEIGHT),
          String(FPS),
          String(EXPOSURE_US),
          String(ctx.rounds),
        ],
        { timeoutMs: ctx.rounds * (seconds * 4000 + 30_000) + 30_000 },
      );
      rmSync(dir, { recursive: true, force: true });
      const ours = (key: keyof Ours) => spread(r.ours.map((o) => o[key]));
      const theirs = (key: keyof Side) => spread(r.anchor.map((o) => o[key]));
      const total = (values: number[]) => values.reduce((a, b) => a + b, 0);
      const last = r.ours.at(-1)!;
      const setting = `requested ${FPS} fps at ${EXPOSURE_US} µs exposure; the fake's own rate bounds both receivers (it is CPU-bound on a busy machine); ${seconds} s steady state each, alternating (anchor first) over ${ctx.rounds} round(s)`;
      return [
        makeResult({
          benchmark: 'genicam',
          metric: `${metric}: frames/s`,
          unit: 'frames/s',
          ours: ours('fps'),
          anchors: { 'arv-camera-test': theirs('fps') },
          targets: [{ kind: 'ratio-at-least', anchor: 'arv-camera-test', ratio: 0.95 }],
          notes: [
            setting,
            `Benchtop's last round recorded ${last.frames_recorded} frames (${(last.hdf5_bytes / 1e6).toFixed(0)} MB of HDF5: Mono8 is stored widened to uint16)`,
          ],
        }),
        makeResult({
          benchmark: 'genicam',
          metric: `${metric}: MB/s from the camera`,
          unit: 'MB/s',
          ours: ours('mb_per_s'),
          anchors: { 'arv-camera-test': theirs('mb_per_s') },
          targets: [{ kind: 'ratio-at-least', anchor: 'arv-camera-test', ratio: 0.95 }],
          notes: ['payload bytes (width × height × 1) × frames/s; MB = 10^6 bytes'],
        }),
        makeResult({
          benchmark: 'genicam',
          metric: 'frames dropped while streaming',
          unit: 'frames',
          ours: total(r.ours.map((o) => o.dropped)),
          anchors: { 'arv-camera-test': total(r.anchor.map((o) => o.dropped)) },
          targets: [{ kind: 'at-most', value: 0 }],
          notes: [
            'Benchtop: frames_dropped (stream failures + underruns + missing frame ids + consumer drops); arv-camera-test: n_failures + n_underruns + n_missing_frames',
          ],
        }),
        makeResult({
          benchmark: 'genicam',
          metric: 'event-loop delay p99 while recording the stream',
          unit: 'ms',
          ours: ours('loop_p99_ms'),
          targets: [{ kind: 'below', value: 20 }],
          notes: [
            `last round: p50 ${last.loop_p50_ms.toFixed(2)} ms, max ${last.loop_max_ms.toFixed(1)} ms (perf_hooks.monitorEventLoopDelay, 1 ms resolution)`,
          ],
        }),
      ];
    } finally {
      namespace.remove();
      scratch.remove();
    }
  },
};
