import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
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
import { SeededRandom } from '../sim/random.ts';
import { VirtualLab } from '../sim/virtual-lab.ts';
import { readSession } from './isi-session-reader.ts';
import { recordIsiSession } from './isi-session-recorder.ts';
import { estimateLatency, type Flip, patchLevel, type Sample } from './photodiode-latency.ts';

const root = mkdtempSync(join(tmpdir(), 'benchtop-isi-photodiode-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('presentation latency from the photodiode', () => {
  it('recovers a latency longer than two frames from jittered flips, sampled at 500 Hz with noise', () => {
    const rnd = new SeededRandom(3);
    const latency = 41.3;
    const flips: Flip[] = [];
    for (let i = 0; i < 600; i++)
      flips.push({ t: 1000 + i * 16.667 + rnd.gaussian() * 0.3, level: patchLevel(i) });
    const trueLevel = (t: number) => {
      let level = 0;
      for (const f of flips) if (f.t + latency <= t) level = f.level;
      return level;
    };
    const samples: Sample[] = [];
    for (let t = 900 + rnd.next() * 2; t < 1000 + 600 * 16.667 + 100; t += 2)
      samples.push({ t, v: 0.2 + 0.8 * trueLevel(t) + 0.02 * rnd.gaussian() });
    const estimate = estimateLatency(samples, flips);
    assert.ok(estimate);
    assert.ok(Math.abs(estimate.latencyMs - latency) < 1, `estimated ${estimate.latencyMs} ms`);
    assert.ok(estimate.transitions > 550, `${estimate.transitions} transitions`);
    assert.equal(
      estimateLatency(
        samples.map((s) => ({ ...s, v: 0.2 })),
        flips,
      ),
      null,
      'a flat signal: none',
    );
  });

  it("a session with the lab's photodiode on the patch records the known latency and applies it", async () => {
    const clock = new ManualClock();
    const bus = new EventBus<BenchtopEvents>();
    const LATENCY = 27;
    const lab = new VirtualLab({
      clock,
      seed: 2,
      beamWaistMm: 0.5,
      knifeEdgeMm: 0,
      warmupS: 0,
      monitorPhotodiode: { latencyMs: LATENCY, volts: 1 },
    });
    const config = {
      monitor_width_cm: 50,
      monitor_height_cm: 28.8675,
      distance_cm: 25,
      refresh_hz: 60,
      bar_width_deg: 20,
      speed_deg_s: 500,
      directions: ['LR'],
      cycles: 1,
      baseline_s: 0.1,
      gap_s: 0,
      camera_fps: 30,
      stall_timeout_s: 1,
      photodiode_signal: 'dmm.voltage',
    };
    const schedule = computeSchedule(
      protocolOf(typedConfig('StimulusDisplay', StimulusDisplayConfig, 's', config)),
    );
    const deps = { clock, log: silentLogger(), bus, lab };
    const display = await spawnInstrument({
      id: 'screen',
      driver: stimulusDisplayKind.createDriver('screen', config, deps),
      bus,
      clock,
    });
    const camera = await spawnInstrument({
      id: 'cam',
      driver: testCameraKind.createDriver('cam', { width: 8, height: 6, exposure_s: 1 / 30 }, deps),
      bus,
      clock,
    });
    try {
      const path = join(root, 'photodiode.h5');
      const recording = recordIsiSession({
        session: 'pd',
        camera: camera.instrument,
        display: display.instrument,
        bus,
        path,
        leadS: 0.1,
        startedAt: clock.now(),
      });
      const { promise: pending, resolve } = Promise.withResolvers<void>();
      const off = bus.on('stimulus.run', (e) => e.state === 'pending' && resolve());
      await pending;
      off();
      const { run } = (await display.instrument.call('protocol', {})) as {
        run: { id: string; start_at: number };
      };
      // The DMM read every 2 ms (as a polled signal publishes it); the page reports each frame on time.
      const sample = () =>
        bus.emit('instrument.reading', {
          instrument: 'dmm',
          signal: 'voltage',
          value: lab.photodiodeVoltage(),
          timestamp: clock.now(),
          quality: 'good',
        });
      const periodMs = 1000 / 60;
      for (let i = 0; i < schedule.frameCount; i++) {
        const due = run.start_at + i * periodMs;
        while (clock.now() + 2 <= due) {
          await clock.advance(2);
          sample();
        }
        const f = frameAt(schedule, i)!;
        await display.instrument.call('report', {
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
      for (let k = 0; k < 50; k++) {
        await clock.advance(2);
        sample();
      }
      const result = await recording;
      assert.equal(result.state, 'done');
      assert.ok(result.presentationLatencyMs !== null);
      assert.ok(
        Math.abs(result.presentationLatencyMs - LATENCY) <= 1,
        `measured ${result.presentationLatencyMs} ms, the lab's is ${LATENCY} ms`,
      );
      const session = await readSession(path);
      assert.equal(session.attrs.presentation_latency_ms, result.presentationLatencyMs);
      assert.ok(Number(session.attrs.photodiode_transitions) >= schedule.frameCount - 3);
      // Every stimulus time is the page's reported time plus the measured latency.
      const lr = session.directions.LR!;
      lr.stimulus.frame_indices.forEach((index, k) => {
        const shown = run.start_at + index * periodMs + result.presentationLatencyMs!;
        assert.equal(lr.stimulus.timestamps_us[k], BigInt(Math.round(shown * 1000)));
      });
    } finally {
      await camera.stop();
      await display.stop();
    }
  });
});
