import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { defaultAnalysisParameters } from '../../src/analysis/retinotopy/analysis-parameters.ts';
import { segmentAreas } from '../../src/analysis/retinotopy/segmentation/area-segmentation.ts';
import { type BenchContext, type Benchmark, pick } from '../lib/benchmark.ts';
import { scratchDir } from '../lib/benchtop-process.ts';
import { benchScript, nodeBin, python, runJson } from '../lib/child-process.ts';
import { makeResult } from '../lib/results.ts';
import { alternate, type RoundOutcome } from '../lib/rounds.ts';
import { spread } from '../lib/stats.ts';

const WIDTH = 512;
const HEIGHT = 512;
const FPS = 30;
const PERIOD_S = 15.7;
/** Frames per read: the CLI's default chunk_frames. */
const CHUNK = 64;

interface Offline {
  seconds: number;
  frames: number;
}

interface Online {
  frames: number;
  cpu_share_of_one_core: number;
  max_frames_behind: number;
  median_frames_behind: number;
  p99_frames_behind: number;
}

function h5pyMissing(): string | null {
  const probe = spawnSync(python, ['-c', 'import h5py, numpy'], { stdio: 'ignore' });
  return probe.status === 0 ? null : 'h5py, numpy not installed (apt-get install python3-h5py python3-numpy)';
}

/** Three areas side by side over 450 × 450: azimuth rises, falls, rises; altitude falls down the rows. */
function mapPair(size: number): { azimuth: Float64Array; altitude: Float64Array } {
  const azimuth = new Float64Array(size * size);
  const altitude = new Float64Array(size * size);
  const third = size / 3;
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const u = (c % third) / third;
      azimuth[r * size + c] = Math.floor(c / third) % 2 === 0 ? 40 * u : 40 * (1 - u);
      altitude[r * size + c] = 30 - (60 * r) / (size - 1);
    }
  }
  return { azimuth, altitude };
}

interface SessionAnalysis {
  seconds: number;
  frames: number;
  direct: boolean;
}

/**
 * A session file Benchtop recorded (SWMR, one frame a chunk in an extensible array), four
 * directions of one sweep, stage 1 of all of them: the workers reading the frames straight from
 * the file against the same analysis reading them through h5wasm.
 */
async function benchtopSessionRow(ctx: BenchContext, path: string) {
  // One sweep a direction: 15.7 s (LR, RL) and 12.4 s (TB, BT) at this rate, ≈ 600 or 3000 frames.
  const fps = pick(ctx, { quick: 6.2, full: 31 });
  const child = benchScript('children/retinotopy-benchtop-session.ts');
  await runJson(nodeBin, [child, 'make', path, String(WIDTH), String(HEIGHT), String(fps)], {
    timeoutMs: 900_000,
  });
  let frames = 0;
  const analyse = (mode: 'on' | 'off') => async () => {
    const r = await runJson<SessionAnalysis>(
      nodeBin,
      [...ctx.nodeArgs('retinotopy'), child, 'analyse', path, mode, String(CHUNK)],
      { timeoutMs: 600_000 },
    );
    if (r.direct !== (mode === 'on')) throw new Error(`direct reads ${mode} but direct = ${r.direct}`);
    frames = r.frames;
    return r.frames / r.seconds;
  };
  const outcome = await alternate(
    ctx.rounds,
    [
      { name: 'direct', run: analyse('on') },
      { name: 'h5wasm', run: analyse('off') },
    ],
    ctx.log,
  );
  return makeResult({
    benchmark: 'retinotopy',
    metric: `offline: Benchtop session file (${frames} frames ${WIDTH}×${HEIGHT} uint16, four directions) → stage 1, frames read straight from the file`,
    unit: 'frames/s',
    ours: outcome.direct ?? { missing: 'not run' },
    anchors: { 'frames through h5wasm': outcome.h5wasm ?? { missing: 'not run' } },
    notes: [`read ${CHUNK} frames at a time, worker pool of one thread per core; open to last sums`],
  });
}

/**
 * Retinotopy (issue 17): (a) one direction's stage 1 from a session file, read + single-bin
 * Fourier, against h5py + numpy doing the same read and matrix product; (b) online accumulation of
 * 512 × 512 frames at 30 fps: CPU and how far the maps lag; (c) segmentation of a 450 × 450 pair.
 */
export const retinotopyBenchmark: Benchmark = {
  name: 'retinotopy',
  title: 'Retinotopy analysis',
  async run(ctx) {
    const frames = pick(ctx, { quick: 600, full: 3000 });
    const onlineSeconds = pick(ctx, { quick: 10, full: 60 });
    const scratch = scratchDir('retinotopy');
    const results = [];
    try {
      const path = join(scratch.dir, 'LR_camera.h5');
      const missing = h5pyMissing();
      if (!missing) {
        await runJson(
          python,
          [
            benchScript('anchors/isi_fourier.py'),
            'make',
            path,
            String(frames),
            String(HEIGHT),
            String(WIDTH),
            String(FPS),
          ],
          { timeoutMs: 600_000 },
        );
      }
      const outcome: Record<string, RoundOutcome> = missing
        ? { benchtop: { missing: `cannot write the session file: ${missing}` }, numpy: { missing } }
        : await alternate(
            ctx.rounds,
            [
              {
                name: 'benchtop',
                run: async () => {
                  const r = await runJson<Offline>(
                    nodeBin,
                    [
                      ...ctx.nodeArgs('retinotopy'),
                      benchScript('children/retinotopy-offline.ts'),
                      path,
                      String(CHUNK),
                      String(PERIOD_S),
                    ],
                    { timeoutMs: 600_000 },
                  );
                  return r.frames / r.seconds;
                },
              },
              {
                name: 'numpy',
                run: async () => {
                  const r = await runJson<Offline>(
                    python,
                    [benchScript('anchors/isi_fourier.py'), 'fourier', path, String(CHUNK), String(PERIOD_S)],
                    { timeoutMs: 600_000 },
                  );
                  return r.frames / r.seconds;
                },
              },
            ],
            ctx.log,
          );
      results.push(
        makeResult({
          benchmark: 'retinotopy',
          metric: `offline: ${frames}-frame ${WIDTH}×${HEIGHT} uint16 file → one direction's Fourier maps`,
          unit: 'frames/s',
          ours: outcome.benchtop ?? { missing: 'not run' },
          anchors: { 'h5py+numpy': outcome.numpy ?? { missing: 'not run' } },
          targets: [{ kind: 'ratio-at-least', anchor: 'h5py+numpy', ratio: 1.0 }],
          notes: [
            `read ${CHUNK} frames at a time, worker pool of one thread per core; numpy single-threaded matmul (BLAS)`,
          ],
        }),
      );
      results.push(await benchtopSessionRow(ctx, join(scratch.dir, 'session.h5')));
    } finally {
      scratch.remove();
    }
    // Pipelined (ours) and serial (the way OnlineFourier handed frames on before: the next only
    // once the last was in the maps) alternate round by round, so both see the same load.
    const online: Online[] = [];
    const serial: Online[] = [];
    for (let round = 0; round < ctx.rounds; round++) {
      for (const mode of ['pipelined', 'serial'] as const) {
        const r = await runJson<Online>(
          nodeBin,
          [
            ...ctx.nodeArgs('retinotopy-online'),
            benchScript('children/retinotopy-online.ts'),
            String(onlineSeconds),
            mode,
          ],
          { timeoutMs: 600_000 },
        );
        ctx.log(
          `  online ${mode} round ${round + 1}: ${(r.cpu_share_of_one_core * 100).toFixed(1)} % of a core, ${r.max_frames_behind} frames behind (max), ${r.p99_frames_behind} (p99), ${r.median_frames_behind} (median)`,
        );
        (mode === 'serial' ? serial : online).push(r);
      }
    }
    const note = `${onlineSeconds} s at ${FPS} fps of ${WIDTH}×${HEIGHT} uint16, one frame per addFrames`;
    const anchorNote = 'anchor "serial": each frame posted only after the one before it was in the maps';
    results.push(
      makeResult({
        benchmark: 'retinotopy',
        metric: 'online accumulation at 30 fps: CPU (main + worker threads)',
        unit: '% of one core',
        ours: spread(online.map((r) => r.cpu_share_of_one_core * 100)),
        anchors: { serial: spread(serial.map((r) => r.cpu_share_of_one_core * 100)) },
        targets: [{ kind: 'below', value: 25 }],
        notes: [note, anchorNote],
      }),
      makeResult({
        benchmark: 'retinotopy',
        metric: 'online maps behind the camera (frames not yet in the maps when the next arrives), max',
        unit: 'frames',
        ours: spread(online.map((r) => r.max_frames_behind)),
        anchors: { serial: spread(serial.map((r) => r.max_frames_behind)) },
        targets: [{ kind: 'at-most', value: 1 }],
        notes: [note, anchorNote],
      }),
      makeResult({
        benchmark: 'retinotopy',
        metric: 'online maps behind the camera, 99th percentile over frames',
        unit: 'frames',
        ours: spread(online.map((r) => r.p99_frames_behind)),
        anchors: { serial: spread(serial.map((r) => r.p99_frames_behind)) },
        targets: [{ kind: 'at-most', value: 1 }],
        notes: [note, anchorNote],
      }),
      makeResult({
        benchmark: 'retinotopy',
        metric: 'online maps behind the camera, median over frames',
        unit: 'frames',
        ours: spread(online.map((r) => r.median_frames_behind)),
        anchors: { serial: spread(serial.map((r) => r.median_frames_behind)) },
        notes: [note, anchorNote],
      }),
    );
    const size = 450;
    const { azimuth, altitude } = mapPair(size);
    const parameters = defaultAnalysisParameters();
    const times: number[] = [];
    let areas = 0;
    for (let round = 0; round < ctx.rounds; round++) {
      const t0 = performance.now();
      areas = segmentAreas(azimuth, altitude, { width: size, height: size }, parameters).areas.length;
      times.push((performance.now() - t0) / 1000);
      ctx.log(`  segmentation round ${round + 1}: ${times.at(-1)?.toFixed(2)} s, ${areas} areas`);
    }
    results.push(
      makeResult({
        benchmark: 'retinotopy',
        metric: `segmentation of a ${size}×${size} map pair (Zhuang, default parameters)`,
        unit: 's',
        ours: spread(times),
        targets: [{ kind: 'below', value: 2 }],
        notes: [`three areas (+, −, +); ${areas} found; in the benchmark runner's process`],
      }),
    );
    return results;
  },
};
