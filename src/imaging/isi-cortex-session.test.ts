import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { mapPreview } from '../analysis/retinotopy/map-preview.ts';
import { EventBus } from '../core/bus.ts';
import { ManualClock } from '../core/clock.ts';
import type { BenchtopEvents } from '../core/events.ts';
import { silentLogger } from '../core/logger.ts';
import { spawnInstrument } from '../core/testing/instrument-harness.ts';
import { typedConfig } from '../instruments/kind.ts';
import { primeBsiExpress } from '../instruments/pvcam/camera-model.ts';
import { PvcamConfig } from '../instruments/pvcam/config.ts';
import { cortexMaps } from '../instruments/pvcam/cortex-pattern.ts';
import { PvcamDriver } from '../instruments/pvcam/pvcam-driver.ts';
import { SimulatedCamera } from '../instruments/pvcam/simulated-camera.ts';
import { protocolOf, StimulusDisplayConfig } from '../instruments/stimulus-display/config.ts';
import { stimulusDisplayKind } from '../instruments/stimulus-display/kind.ts';
import { computeSchedule, frameAt } from '../instruments/stimulus-display/protocol-schedule.ts';
import { type CortexOptions, defaultCortex, retinotopyAt } from '../sim/cortex-model.ts';
import { VirtualLab } from '../sim/virtual-lab.ts';
import { IsiAnalysisService } from './isi-analysis-service.ts';
import type { IsiOnlineMapsEvent } from './isi-online-events.ts';
import { IsiSessionService } from './isi-session-service.ts';

/**
 * A whole session of the simulated rig (issue 17): the simulated camera in cortex mode images a
 * cortex of three areas responding to the stimulus display's bar, recorded through the ISI
 * recording path (IsiSessionService → recorder → session file) with the online maps following
 * it, then analysed from the file. Time runs on a ManualClock, so the 80 s protocol takes as long
 * as rendering and writing its frames. The answer is known: the configured maps and areas.
 *
 * Time-scaled: a 10 Hz display, the bar at 25°/s, 3 cycles per direction, the camera at 5 fps
 * on a small sensor (192 × 144 after 2 × 2 binning), and a ΔR/R of 5 % (a real one is ~0.1 %
 * and needs tens of cycles; at 2 % and 3 cycles the per-pixel maps are off by 2.5° median).
 */
const display = {
  monitor_width_cm: 50,
  monitor_height_cm: 28.8675,
  distance_cm: 25,
  refresh_hz: 10,
  bar_width_deg: 20,
  speed_deg_s: 25,
  directions: ['LR', 'RL', 'TB', 'BT'],
  cycles: 3,
  baseline_s: 1,
  gap_s: 0,
  camera_fps: 5,
  stall_timeout_s: 5,
};
const schedule = computeSchedule(
  protocolOf(typedConfig('StimulusDisplay', StimulusDisplayConfig, 'screen', display)),
);
const cortex: CortexOptions = { ...defaultCortex, dRR: 0.05, driftFraction: 0 };
const sensor = { ...primeBsiExpress, widthPx: 384, heightPx: 288 };
const BINNING = 2;

const root = mkdtempSync(join(tmpdir(), 'benchtop-isi-cortex-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function rig() {
  const clock = new ManualClock();
  const bus = new EventBus<BenchtopEvents>();
  const lab = new VirtualLab({ clock, seed: 3, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 0 });
  const log = silentLogger();
  const screen = await spawnInstrument({
    id: 'screen',
    driver: stimulusDisplayKind.createDriver('screen', display, { clock, log, bus, lab }),
    bus,
    clock,
  });
  const driver = new PvcamDriver(
    'cam',
    typedConfig('PVCAMInstrument', PvcamConfig, 'cam', { camera_name: 'PrimeBSI', exposure_ms: 190 }),
    { clock, log, lab, bus },
    () =>
      new SimulatedCamera({
        cameraName: 'PrimeBSI',
        clock,
        lab,
        temperatureSetpointC: -20,
        seed: 11,
        model: sensor,
        cortex,
      }),
  );
  const cam = await spawnInstrument({
    id: 'cam',
    driver,
    bus,
    clock,
    spawnTimeoutMs: 600_000,
    askTimeoutMs: 600_000,
  });
  await cam.instrument.write('binning', BINNING);
  const analysis = new IsiAnalysisService({ outputDir: root, log });
  const sessions = new IsiSessionService({
    outputDir: root,
    bus,
    clock,
    log,
    online: (session) => {
      const online = analysis.follow({ session: session.id, path: session.path, bus, clock });
      return { observer: online, ended: () => analysis.recordingEnded(online.analysis) };
    },
  });
  return {
    clock,
    bus,
    screen: screen.instrument,
    camera: cam.instrument,
    analysis,
    sessions,
    async close() {
      await analysis.close();
      await cam.stop();
      await screen.stop();
    },
  };
}

/** Camera frames on the bus so far, and a wait for the n-th. */
function frameCounter(bus: EventBus<BenchtopEvents>) {
  const stamps: number[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  bus.on('camera.frame', ({ frame }) => {
    stamps.push(frame.timestamp);
    for (const w of waiters.filter((w) => stamps.length >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  return {
    stamps,
    waitFor: (n: number) =>
      stamps.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
  };
}

/** The configured map value at each output pixel (the camera's own cortex maps). */
function configuredMaps(width: number, height: number) {
  const maps = cortexMaps(
    {
      roiX: 0,
      roiY: 0,
      width,
      height,
      binning: BINNING,
      bitDepth: 16,
      exposureMs: 190,
      biasAdu: 100,
      electronsPerAdu: 1,
      readNoiseE: 1,
      electronsPerWattSecond: 0,
    },
    { ...cortex, sensorWidth: sensor.widthPx, sensorHeight: sensor.heightPx },
  );
  return maps;
}

/** |a − b| over the pixels at least `margin` columns from an area border and from the edges. */
function errors(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  width: number,
  height: number,
  margin: number,
) {
  const out: number[] = [];
  for (let r = margin; r < height - margin; r++)
    for (let c = margin; c < width - margin; c++) {
      const band = ((c + 0.5) / width) * cortex.areas;
      const fromBorder = Math.min(band - Math.floor(band), Math.ceil(band) - band) * (width / cortex.areas);
      if (fromBorder < margin) continue;
      out.push(Math.abs((got[r * width + c] as number) - (want[r * width + c] as number)));
    }
  return out.sort((a, b) => a - b);
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

describe('a simulated cortex-mode session, recorded and analysed', () => {
  it('recovers the configured azimuth and altitude maps and the three areas, with online maps on the bus while recording', async () => {
    const r = await rig();
    try {
      const frames = frameCounter(r.bus);
      const online: IsiOnlineMapsEvent[] = [];
      r.bus.on('isi.online_maps', (e) => online.push(e));
      const pending = new Promise<{ id: string; start_at: number }>((resolve) => {
        const off = r.bus.on('stimulus.run', (e) => {
          if (e.state !== 'pending') return;
          off();
          void r.screen
            .call('protocol', {})
            .then((p) => resolve((p as { run: { id: string; start_at: number } }).run));
        });
      });
      const session = r.sessions.start(r.camera, r.screen, 1);
      const analysisId = join('isi', `${session.id}.h5`);
      const run = await pending;
      // The camera's frame period, from its first two frames on the lab clock.
      await r.clock.advance(400);
      await frames.waitFor(2);
      const periodMs = frames.stamps[1]! - frames.stamps[0]!;
      const framesBy = (t: number) => Math.floor((t - frames.stamps[0]!) / periodMs + 1e-9) + 1;
      let layerWhileRecording: { azimuth: number; altitude: number; state: string } | null = null;
      const lrEnd = schedule.segments.filter((s) => s.direction === 'RL').at(-1)!;
      for (let i = 0; i < schedule.frameCount; i++) {
        const due = run.start_at + i * 100;
        await r.clock.advance(Math.max(0, due - r.clock.now()));
        await frames.waitFor(framesBy(r.clock.now()));
        const f = frameAt(schedule, i)!;
        await r.screen.call('report', {
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
        if (i === lrEnd.startFrame + lrEnd.frames + 25) {
          // Mid-session (LR and RL swept, TB under way): the azimuth layer is there, altitude not yet.
          const results = await r.analysis.layerResults(analysisId);
          const mid =
            results.grid.width * Math.floor(results.grid.height / 2) + Math.floor(results.grid.width / 6);
          layerWhileRecording = {
            azimuth: results.azimuth[mid]!,
            altitude: results.altitude[mid]!,
            state: r.analysis.get(analysisId).state,
          };
        }
      }
      // The camera frames of the last baseline; then the run ends.
      await r.clock.advance(2000);
      const ended = await r.sessions.whenFinished(session.id);
      assert.equal(ended.state, 'done', ended.result?.reason ?? ended.error ?? '');
      assert.equal(ended.result?.cameraFramesLost, 0);

      // While recording: the layer came from the online maps.
      assert.equal(layerWhileRecording?.state, 'recording');
      assert.ok(Number.isFinite(layerWhileRecording?.azimuth), 'azimuth while recording');
      assert.ok(Number.isNaN(layerWhileRecording?.altitude), 'altitude before TB/BT are both swept');
      // Online maps were published at most once a second of the session, and grew.
      assert.ok(online.length >= 20, `${online.length} online map updates`);
      for (let k = 1; k < online.length; k++) {
        if (online[k]!.final) continue;
        assert.ok(online[k]!.at - online[k - 1]!.at >= 1000, 'at most one update per second');
      }
      const last = online.at(-1)!;
      assert.equal(last.final, true);
      assert.deepEqual(Object.keys(last.layers).sort(), [
        'altitude',
        'azimuth',
        'magnitude_BT',
        'magnitude_LR',
        'magnitude_RL',
        'magnitude_TB',
        'phase_BT',
        'phase_LR',
        'phase_RL',
        'phase_TB',
        'raw_vfs',
      ]);
      assert.ok(last.width <= 64 && last.full_width === 192 && last.full_height === 144);

      // The analysis from the file started by itself when the recording ended.
      const info = await r.analysis.settled(analysisId);
      assert.equal(info.state, 'done', info.error ?? '');
      const results = r.analysis.results(analysisId);
      const { width, height } = results.grid;
      assert.deepEqual([width, height], [192, 144]);
      const want = configuredMaps(width, height);
      const az = errors(results.azimuth, want.azimuth, width, height, 6);
      const alt = errors(results.altitude, want.altitude, width, height, 6);
      assert.ok(
        quantile(az, 0.5) < 2 && quantile(az, 0.95) < 5,
        `azimuth error median ${quantile(az, 0.5)}°, p95 ${quantile(az, 0.95)}°`,
      );
      assert.ok(
        quantile(alt, 0.5) < 2 && quantile(alt, 0.95) < 5,
        `altitude error median ${quantile(alt, 0.5)}°, p95 ${quantile(alt, 0.95)}°`,
      );
      // Once analysed, the layers come from the file's analysis, not the online maps.
      assert.equal(await r.analysis.layerResults(analysisId), results);
      // The last online maps on the bus (downsampled, a byte per pixel) show the same azimuth.
      const decoded = (layer: { min: number; max: number; data: string }) =>
        Array.from(Buffer.from(layer.data, 'base64'), (b) => layer.min + (b / 254) * (layer.max - layer.min));
      const small = mapPreview(want.azimuth, width, height, 64);
      const onlineAz = errors(
        decoded(last.layers.azimuth!),
        small.bytes.length
          ? Array.from(small.bytes, (b) => small.min + (b / 254) * (small.max - small.min))
          : [],
        last.width,
        last.height,
        2,
      );
      assert.ok(quantile(onlineAz, 0.5) < 2.5, `online azimuth error median ${quantile(onlineAz, 0.5)}°`);

      // Areas: three bands of alternating sign, each about a third of the image.
      const areas = [...info.areas].sort((a, b) => {
        const col = (label: number) => {
          let sum = 0;
          let n = 0;
          results.segmentation.areaMap.forEach((v, i) => {
            if (v === label) {
              sum += i % width;
              n++;
            }
          });
          return sum / n;
        };
        return col(a.label) - col(b.label);
      });
      assert.equal(areas.length, cortex.areas, JSON.stringify(info.areas));
      const signs = [0.5, 1.5, 2.5].map((k) => retinotopyAt(cortex, k / 3, 0.5).fieldSign);
      assert.deepEqual(
        areas.map((a) => a.sign),
        signs,
      );
      const band = (width * height) / cortex.areas;
      for (const a of areas)
        assert.ok(
          a.area_px > 0.5 * band && a.area_px < 1.1 * band,
          `area ${a.label}: ${a.area_px} px of a ${band} px band`,
        );
    } finally {
      await r.close();
    }
  });
});
