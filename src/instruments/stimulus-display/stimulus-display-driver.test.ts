import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { EventBus } from '../../core/bus.ts';
import { ManualClock } from '../../core/clock.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import { silentLogger } from '../../core/logger.ts';
import { spawnInstrument } from '../../core/testing/instrument-harness.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { typedConfig } from '../kind.ts';
import { protocolOf, StimulusDisplayConfig } from './config.ts';
import { stimulusDisplayKind } from './kind.ts';
import { computeSchedule, frameAt } from './protocol-schedule.ts';

/** 90° × 60° field at 10 Hz: LR 110 frames, 1 cycle, 0.5 s baselines → 5 + 110 + 5 = 120 frames. */
const raw = {
  monitor_width_cm: 50,
  monitor_height_cm: 2 * 25 * Math.tan(Math.PI / 6),
  distance_cm: 25,
  refresh_hz: 10,
  bar_width_deg: 10,
  speed_deg_s: 10,
  directions: ['LR'],
  cycles: 1,
  baseline_s: 0.5,
  gap_s: 0,
  camera_fps: 10,
  stall_timeout_s: 2,
};

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

async function display() {
  const clock = new ManualClock();
  const bus = new EventBus<BenchtopEvents>();
  const lab = new VirtualLab({ clock, seed: 1, beamWaistMm: 1, knifeEdgeMm: 0, warmupS: 0 });
  const driver = stimulusDisplayKind.createDriver('screen', raw, { clock, log: silentLogger(), bus, lab });
  const spawned = await spawnInstrument({ id: 'screen', driver, bus, clock });
  stop = spawned.stop;
  const schedule = computeSchedule(
    protocolOf(typedConfig('StimulusDisplay', StimulusDisplayConfig, 'screen', raw)),
  );
  return { clock, bus, lab, instrument: spawned.instrument, schedule };
}

const report = (schedule: ReturnType<typeof computeSchedule>, startAt: number, indices: number[]) =>
  indices.map((i) => {
    const f = frameAt(schedule, i)!;
    return {
      index: i,
      direction: f.direction,
      sweep: f.sweep,
      phase: f.phase,
      bar_deg: f.barDeg,
      presented_at: startAt + i * 100,
    };
  });

describe('StimulusDisplay driver', () => {
  it('shows the schedule before a run', async () => {
    const { instrument } = await display();
    const s = (await instrument.call('schedule', {})) as {
      frame_count: number;
      total_s: number;
      problems: string[];
    };
    assert.equal(s.frame_count, 120);
    assert.equal(s.total_s, 12);
    assert.deepEqual(s.problems, []);
  });

  it('refuses to start a protocol that cannot run, naming the problem', async () => {
    const clock = new ManualClock();
    const bus = new EventBus<BenchtopEvents>();
    const driver = stimulusDisplayKind.createDriver(
      'screen',
      { ...raw, bar_width_deg: 100 },
      { clock, log: silentLogger(), bus },
    );
    const spawned = await spawnInstrument({ id: 'screen', driver, bus, clock });
    stop = spawned.stop;
    await assert.rejects(
      spawned.instrument.call('start', {}),
      /the bar \(100°\) is wider than the field's azimuth \(90.0°\)/,
    );
  });

  it('counts presented, dropped, late and mismatched frames and finishes on the last', async () => {
    const { instrument, bus, lab, schedule } = await display();
    const published: number[] = [];
    bus.on('stimulus.frames', (e) => published.push(...e.frames.map((f) => f.index)));
    const run = (await instrument.call('start', { lead_s: 1 })) as { id: string; start_at: number };
    const frames = report(
      schedule,
      run.start_at,
      [...Array(120).keys()].filter((i) => i !== 50 && i !== 51),
    );
    frames[60]!.presented_at += 80; // frame 62 follows frame 61 after 180 ms (over 1.5 × 100 ms)
    frames[70]!.bar_deg = 0; // frame 72 claims the wrong bar position
    const r = (await instrument.call('report', {
      run: run.id,
      frames,
      offset_ms: 12.5,
      uncertainty_ms: 0.4,
    })) as Record<string, unknown>;
    assert.equal(r.state, 'done');
    assert.equal(r.presented, 118);
    assert.equal(r.dropped, 2);
    // Frame 62, and frame 52, which came 300 ms after frame 49.
    assert.equal(r.late, 2);
    assert.equal(r.mismatched, 1);
    assert.equal(published.length, 118);
    assert.equal((await instrument.read('clock_offset_ms')).value, 12.5);
    // The lab saw frame 5, the first of the sweep (the bar at −54.5°), at its presentation time.
    assert.equal(lab.visualStimulus.at(run.start_at + 500 + 10).barDeg, -54.5);
    assert.equal(lab.visualStimulus.at(run.start_at + 100).barDeg, null);
  });

  it('declares a page that stops reporting stalled', async () => {
    const { instrument, bus, clock, schedule } = await display();
    const states: string[] = [];
    bus.on('stimulus.run', (e) => states.push(`${e.state}${e.reason ? `: ${e.reason}` : ''}`));
    const run = (await instrument.call('start', { lead_s: 1 })) as { id: string; start_at: number };
    await clock.advance(1500);
    await instrument.call('report', { run: run.id, frames: report(schedule, run.start_at, [0, 1, 2, 3, 4]) });
    await clock.advance(1900);
    assert.equal((await instrument.read('run_state')).value, 'presenting');
    await clock.advance(200);
    assert.equal((await instrument.read('run_state')).value, 'stalled');
    assert.deepEqual(states, [
      'pending',
      'presenting',
      'stalled: the page reported no frame for 2 s (last frame 4 of 120)',
    ]);
  });
});
