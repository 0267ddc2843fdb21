import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { EventBus } from '../../src/core/bus.ts';
import { systemClock } from '../../src/core/clock.ts';
import type { BenchtopEvents } from '../../src/core/events.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { spawnInstrument } from '../../src/core/testing/instrument-harness.ts';
import { recordIsiSession } from '../../src/imaging/isi-session-recorder.ts';
import { typedConfig } from '../../src/instruments/kind.ts';
import { protocolOf, StimulusDisplayConfig } from '../../src/instruments/stimulus-display/config.ts';
import { stimulusDisplayKind } from '../../src/instruments/stimulus-display/kind.ts';
import { computeSchedule, frameAt } from '../../src/instruments/stimulus-display/protocol-schedule.ts';
import { testCameraKind } from '../../src/instruments/testing/test-camera/kind.ts';
import { type Benchmark, pick } from '../lib/benchmark.ts';
import { makeResult } from '../lib/results.ts';

const SIZE = 512;
const FPS = 30;
const REFRESH_HZ = 60;
/** A page reports its presented frames in batches; 6 frames = 100 ms at 60 Hz. */
const REPORT_BATCH = 6;

/** The guide's rig geometry with enough cycles to last `seconds`. */
function displayConfig(seconds: number) {
  const base = {
    monitor_width_cm: 50,
    monitor_height_cm: 28.8675,
    distance_cm: 25,
    refresh_hz: REFRESH_HZ,
    bar_width_deg: 20,
    speed_deg_s: 18,
    directions: ['LR', 'RL', 'TB', 'BT'],
    cycles: 1,
    baseline_s: 1,
    gap_s: 0,
    camera_fps: FPS,
    stall_timeout_s: 2,
  };
  const totalS = (cycles: number) =>
    computeSchedule(
      protocolOf(typedConfig('StimulusDisplay', StimulusDisplayConfig, 'screen', { ...base, cycles })),
    ).totalS;
  // At least `seconds` (the full run is 10 minutes): the baselines do not grow with the cycles.
  const perCycle = totalS(2) - totalS(1);
  const cycles = Math.max(1, Math.ceil((seconds - (totalS(1) - perCycle)) / perCycle));
  return { ...base, cycles };
}

/**
 * ISI recording: one session of 512 × 512 uint16 camera frames at 30 fps with the stimulus
 * display's run going (a simulated page reporting every presented frame at 60 Hz, on time),
 * in this process on the real clock, so the recorder, the display's report handling and the
 * camera share one event loop as in the server. Frames lost = every kind the recorder counts
 * (gaps in the camera's numbers and frames the writer's queue refused); event-loop delay from
 * `monitorEventLoopDelay` over the whole session.
 */
export const isiRecordingBenchmark: Benchmark = {
  name: 'isi-recording',
  title: 'ISI session recording: 512² uint16 at 30 fps with the stimulus running',
  async run(ctx) {
    const seconds = pick(ctx, { quick: 20, full: 600 });
    const config = displayConfig(seconds);
    const schedule = computeSchedule(
      protocolOf(typedConfig('StimulusDisplay', StimulusDisplayConfig, 'screen', config)),
    );
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-bench-isi-'));
    const bus = new EventBus<BenchtopEvents>();
    const deps = { clock: systemClock, log: silentLogger(), bus };
    const display = await spawnInstrument({
      id: 'screen',
      driver: stimulusDisplayKind.createDriver('screen', config, deps),
      bus,
      clock: systemClock,
    });
    const camera = await spawnInstrument({
      id: 'cam',
      driver: testCameraKind.createDriver('cam', { width: SIZE, height: SIZE, exposure_s: 1 / FPS }, deps),
      bus,
      clock: systemClock,
    });
    // The page: once the run is pending, present every frame on its due time, reporting batches.
    let pageTimer: NodeJS.Timeout | null = null;
    const offRun = bus.on('stimulus.run', (e) => {
      if (e.state !== 'pending') return;
      void (
        display.instrument.call('protocol', {}) as Promise<{ run: { id: string; start_at: number } }>
      ).then(({ run }) => {
        let next = 0;
        const tick = () => {
          const now = systemClock.now();
          const frames = [];
          while (next < schedule.frameCount && run.start_at + (next * 1000) / REFRESH_HZ <= now) {
            const f = frameAt(schedule, next)!;
            frames.push({
              index: next,
              direction: f.direction,
              sweep: f.sweep,
              phase: f.phase,
              bar_deg: f.barDeg,
              presented_at: run.start_at + (next * 1000) / REFRESH_HZ,
            });
            next++;
          }
          if (frames.length > 0)
            void display.instrument.call('report', { run: run.id, frames }).catch(() => {});
          if (next < schedule.frameCount) pageTimer = setTimeout(tick, (REPORT_BATCH * 1000) / REFRESH_HZ);
        };
        tick();
      });
    });
    // The anchor, in this process just before: the camera streaming the same frames with
    // nothing recording them, so the machine's own scheduling (a shared, loaded machine) shows
    // beside the recorder's figure.
    const anchorS = pick(ctx, { quick: 10, full: 60 });
    ctx.log(`anchor: ${anchorS} s of the camera streaming, nothing recorded`);
    const anchorDelay = monitorEventLoopDelay({ resolution: 5 });
    await camera.instrument.call('begin', {});
    anchorDelay.enable();
    await new Promise((resolve) => setTimeout(resolve, anchorS * 1000));
    anchorDelay.disable();
    await camera.instrument.call('halt', {});
    const anchorP99 = anchorDelay.percentile(99) / 1e6;
    const anchorLoad = loadavg()[0]!;
    ctx.log(`recording ${schedule.totalS.toFixed(0)} s (${schedule.frameCount} stimulus frames) into ${dir}`);
    const delay = monitorEventLoopDelay({ resolution: 5 });
    try {
      delay.enable();
      const path = join(dir, 'bench.h5');
      const result = await recordIsiSession({
        session: 'bench',
        camera: camera.instrument,
        display: display.instrument,
        bus,
        path,
        leadS: 1,
        startedAt: systemClock.now(),
      });
      delay.disable();
      const p99 = delay.percentile(99) / 1e6;
      const max = delay.max / 1e6;
      const expected = Math.round(schedule.totalS * FPS);
      const lost = result.cameraFramesLost + result.cameraFramesRefused;
      const note = `${result.state}; ${result.cameraFrames} camera frames (≈${expected} expected at ${FPS} fps over ${schedule.totalS.toFixed(1)} s), ${result.stimulusFrames}/${schedule.frameCount} stimulus frames, lost ${result.cameraFramesLost} (sequence gaps) + refused ${result.cameraFramesRefused}; file ${(statSync(path).size / 1e6).toFixed(0)} MB; event-loop max ${max.toFixed(1)} ms; load average ${loadavg()[0]!.toFixed(1)} at the end`;
      ctx.log(note);
      return [
        makeResult({
          benchmark: 'isi-recording',
          metric: `camera frames lost, ${SIZE}² uint16 at ${FPS} fps, stimulus at ${REFRESH_HZ} Hz, ${schedule.totalS.toFixed(0)} s`,
          unit: 'frames',
          ours: lost,
          targets: [{ kind: 'at-most', value: 0 }],
          notes: [note],
        }),
        makeResult({
          benchmark: 'isi-recording',
          metric: `event-loop delay p99 while recording`,
          unit: 'ms',
          ours: p99,
          anchors: { 'camera streaming, not recording': anchorP99 },
          targets: [{ kind: 'at-most', value: 20 }],
          notes: [
            `monitorEventLoopDelay, 5 ms resolution, over the whole session; max ${max.toFixed(1)} ms`,
            `anchor: ${anchorS} s of the same camera streaming with nothing recording, just before (load average ${anchorLoad.toFixed(1)})`,
          ],
        }),
      ];
    } finally {
      offRun();
      if (pageTimer) clearTimeout(pageTimer);
      await camera.stop();
      await display.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
