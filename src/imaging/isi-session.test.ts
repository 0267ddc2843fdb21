import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { EventBus } from '../core/bus.ts';
import { ManualClock } from '../core/clock.ts';
import type { BenchtopEvents } from '../core/events.ts';
import { silentLogger } from '../core/logger.ts';
import { spawnInstrument } from '../core/testing/instrument-harness.ts';
import { typedConfig } from '../instruments/kind.ts';
import { protocolOf, StimulusDisplayConfig } from '../instruments/stimulus-display/config.ts';
import { stimulusDisplayKind } from '../instruments/stimulus-display/kind.ts';
import { computeSchedule, frameAt } from '../instruments/stimulus-display/protocol-schedule.ts';
import { testCameraKind } from '../instruments/testing/test-camera/kind.ts';
import { exportGuideLayout, importGuideLayout } from './guide-layout.ts';
import { readSession } from './isi-session-reader.ts';
import { recordIsiSession } from './isi-session-recorder.ts';

/** 10 Hz display; LR 13 frames, TB 10; 0.3 s baselines → 3 + 13 + 3 + 10 + 3 = 32 frames (3.2 s). */
const displayConfig = {
  monitor_width_cm: 50,
  monitor_height_cm: 28.8675,
  distance_cm: 25,
  refresh_hz: 10,
  bar_width_deg: 20,
  speed_deg_s: 100,
  directions: ['LR', 'TB'],
  cycles: 1,
  baseline_s: 0.3,
  gap_s: 0,
  camera_fps: 5,
  stall_timeout_s: 1,
};
const schedule = computeSchedule(
  protocolOf(typedConfig('StimulusDisplay', StimulusDisplayConfig, 'screen', displayConfig)),
);

const root = mkdtempSync(join(tmpdir(), 'benchtop-isi-'));
after(() => rmSync(root, { recursive: true, force: true }));
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function rig() {
  const clock = new ManualClock();
  const bus = new EventBus<BenchtopEvents>();
  const deps = { clock, log: silentLogger(), bus };
  const display = await spawnInstrument({
    id: 'screen',
    driver: stimulusDisplayKind.createDriver('screen', displayConfig, deps),
    bus,
    clock,
  });
  // 16 × 12 frames every 0.1 s: the camera runs at 10 fps.
  const camera = await spawnInstrument({
    id: 'cam',
    driver: testCameraKind.createDriver('cam', { width: 16, height: 12, exposure_s: 0.1 }, deps),
    bus,
    clock,
  });
  stops.push(display.stop, camera.stop);
  return { clock, bus, display: display.instrument, camera, cameraInstrument: camera.instrument };
}

/** Plays the page: presents frames `from..to` on time, reporting each batch as a page would. */
async function present(
  r: Awaited<ReturnType<typeof rig>>,
  run: { id: string; start_at: number },
  from: number,
  to: number,
) {
  for (let i = from; i < to; i++) {
    const due = run.start_at + i * 100;
    await r.clock.advance(Math.max(0, due - r.clock.now()));
    const f = frameAt(schedule, i)!;
    await r.display.call('report', {
      run: run.id,
      frames: [
        {
          index: i,
          direction: f.direction,
          sweep: f.sweep,
          phase: f.phase,
          bar_deg: f.barDeg,
          presented_at: due,
        },
      ],
    });
  }
}

async function pendingRun(r: Awaited<ReturnType<typeof rig>>) {
  const { promise, resolve } = Promise.withResolvers<void>();
  const off = r.bus.on('stimulus.run', (e) => e.state === 'pending' && resolve());
  await promise;
  off();
  return (await r.display.call('protocol', {})) as { run: { id: string; start_at: number } };
}

describe('ISI session recording', () => {
  it('records every camera and stimulus frame on one clock, exports to the guide layout and imports back equal', async () => {
    const r = await rig();
    const path = join(root, 'session-1.h5');
    const recording = recordIsiSession({
      session: 's1',
      camera: r.cameraInstrument,
      display: r.display,
      bus: r.bus,
      path,
      leadS: 0.5,
      startedAt: r.clock.now(),
    });
    const { run } = await pendingRun(r);
    await present(r, run, 0, schedule.frameCount);
    const result = await recording;
    assert.equal(result.state, 'done');
    assert.equal(result.stimulusFrames, 32);
    assert.equal(result.cameraFramesLost, 0);
    assert.equal(result.cameraFramesRefused, 0);
    // Exposures end every 100 ms from the request; those from frame 0's time to the last's are kept.
    assert.ok(result.cameraFrames >= 31, `camera frames ${result.cameraFrames}`);
    assert.ok(result.cameraFramesBeforeStart >= 4, `before start ${result.cameraFramesBeforeStart}`);

    const session = await readSession(path);
    assert.equal(session.attrs.format, 'benchtop-isi-session');
    assert.equal(session.attrs.stop_state, 'done');
    assert.deepEqual(Object.keys(session.directions), ['LR', 'TB']);
    const lr = session.directions.LR!;
    const tb = session.directions.TB!;
    // LR holds the first baseline and its sweep; TB the baseline before it, its sweep and the last.
    assert.deepEqual([...lr.stimulus.frame_indices], [...Array(16).keys()]);
    assert.deepEqual(
      [...tb.stimulus.frame_indices],
      [...Array(16).keys()].map((i) => i + 16),
    );
    for (const block of [lr, tb])
      block.stimulus.frame_indices.forEach((index, k) => {
        const expected = frameAt(schedule, index)!;
        const angle = block.stimulus.angles[k]!;
        if (expected.barDeg === null) assert.ok(Number.isNaN(angle));
        else
          assert.ok(
            Math.abs(angle - expected.barDeg) < 1e-4,
            `frame ${index}: ${angle} vs ${expected.barDeg}`,
          );
        assert.equal(block.stimulus.timestamps_us[k], BigInt((run.start_at + index * 100) * 1000));
      });
    // Camera frames: all of them, in order, numbers without gaps, on the same clock as the stimulus.
    const times = [...lr.camera.timestamps_us, ...tb.camera.timestamps_us];
    const numbers = [...lr.camera.sequence, ...tb.camera.sequence].map(Number);
    assert.equal(times.length, result.cameraFrames);
    for (let i = 1; i < times.length; i++) {
      assert.ok(times[i]! > times[i - 1]!);
      assert.equal(numbers[i], numbers[i - 1]! + 1);
    }
    assert.ok(times[0]! >= lr.stimulus.timestamps_us[0]!);
    assert.ok(tb.camera.timestamps_us[0]! >= tb.stimulus.timestamps_us[0]!);
    assert.deepEqual(lr.camera.shape, [lr.camera.timestamps_us.length, 12, 16]);
    // The test camera's ramp: pixel (x, y) of frame n is (x + y + n) · 64.
    assert.equal(lr.camera.frames[1 * 16 + 2], (2 + 1 + numbers[0]!) * 64);

    const guide = join(root, 'guide');
    await exportGuideLayout(path, guide);
    assert.deepEqual(readdirSync(guide).sort(), [
      'LR_camera.h5',
      'LR_stimulus.h5',
      'TB_camera.h5',
      'TB_stimulus.h5',
      'metadata.json',
    ]);
    const back = join(root, 'session-1-imported.h5');
    await importGuideLayout(guide, back);
    const imported = await readSession(back);
    assert.deepEqual(imported.directions, session.directions);
    assert.deepEqual(imported.parameters, session.parameters);
    assert.equal(imported.attrs.session, 's1');
  });

  it('ends cleanly with the reason recorded when the camera goes away mid-session', async () => {
    const r = await rig();
    const path = join(root, 'session-2.h5');
    const recording = recordIsiSession({
      session: 's2',
      camera: r.cameraInstrument,
      display: r.display,
      bus: r.bus,
      path,
      leadS: 0.5,
      startedAt: r.clock.now(),
    });
    const { run } = await pendingRun(r);
    await present(r, run, 0, 10);
    await r.camera.stop();
    const result = await recording;
    assert.equal(result.state, 'camera_lost');
    assert.match(result.reason!, /camera cam went stopp/);
    const session = await readSession(path);
    assert.equal(session.attrs.stop_state, 'camera_lost');
    assert.match(String(session.attrs.stop_reason), /camera cam went/);
    assert.equal(session.directions.LR!.stimulus.frame_indices.length, 10);
    assert.equal(((await r.display.call('protocol', {})) as { run: { state: string } }).run.state, 'stopped');
  });
});
