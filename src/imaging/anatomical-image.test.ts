import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { decodeNpy, encodeNpy } from '../analysis/retinotopy/session-files/npy-array.ts';
import { EventBus } from '../core/bus.ts';
import { ManualClock } from '../core/clock.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { Instrument } from '../core/instrument.ts';
import type { InstrumentDirectory } from '../core/instrument-directory.ts';
import { silentLogger } from '../core/logger.ts';
import { spawnInstrument } from '../core/testing/instrument-harness.ts';
import { stimulusDisplayKind } from '../instruments/stimulus-display/kind.ts';
import { testCameraKind } from '../instruments/testing/test-camera/kind.ts';
import { type AnatomicalImage, captureAnatomical } from './anatomical-image.ts';
import { exportGuideLayout, importGuideLayout } from './guide-layout.ts';
import { readSession } from './isi-session-reader.ts';
import { recordIsiSession } from './isi-session-recorder.ts';

const PYTHON = '/usr/bin/python3';
const root = mkdtempSync(join(tmpdir(), 'benchtop-isi-anatomical-'));
after(() => rmSync(root, { recursive: true, force: true }));
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** 10 Hz display, one LR sweep of 13 frames between 0.2 s baselines: 17 frames. */
const displayConfig = {
  monitor_width_cm: 50,
  monitor_height_cm: 28.8675,
  distance_cm: 25,
  refresh_hz: 10,
  bar_width_deg: 20,
  speed_deg_s: 100,
  directions: ['LR'],
  cycles: 1,
  baseline_s: 0.2,
  gap_s: 0,
  camera_fps: 5,
  stall_timeout_s: 1,
};

async function rig() {
  const clock = new ManualClock();
  const bus = new EventBus<BenchtopEvents>();
  const deps = { clock, log: silentLogger(), bus };
  const camera = await spawnInstrument({
    id: 'cam',
    driver: testCameraKind.createDriver('cam', { width: 16, height: 12, exposure_s: 0.1 }, deps),
    bus,
    clock,
  });
  const display = await spawnInstrument({
    id: 'screen',
    driver: stimulusDisplayKind.createDriver('screen', displayConfig, deps),
    bus,
    clock,
  });
  stops.push(camera.stop, display.stop);
  const instruments = {
    get: (id: string) => {
      if (id === 'cam') return camera.instrument;
      throw new Error(`no ${id}`);
    },
  } as unknown as InstrumentDirectory;
  return { clock, bus, camera: camera.instrument, display: display.instrument, instruments };
}

/**
 * Advances the clock in half-exposure steps until `p` settles, letting real time pass between
 * steps too (the session file's writer thread opens the file on its own time).
 */
async function whileAdvancing<T>(clock: ManualClock, p: Promise<T>): Promise<T> {
  let settled = false;
  const done = p.finally(() => {
    settled = true;
  });
  while (!settled) {
    await clock.advance(50);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return done;
}

describe('anatomical snapshot', () => {
  it('averages frames with the illumination switched on, then put back, and leaves a stopped camera stopped', async () => {
    const r = await rig();
    const written: unknown[] = [];
    r.bus.on('instrument.written', (e) => e.signal === 'exposure_time' && written.push(e.value));
    const firstFrame: number[] = [];
    r.bus.on('camera.frame', (e) => firstFrame.push(e.frame.frameNumber));
    // The camera's exposure_time stands in for an LED's output: any writable signal will do.
    const image = await whileAdvancing(
      r.clock,
      captureAnatomical({
        camera: r.camera,
        instruments: r.instruments,
        bus: r.bus,
        clock: r.clock,
        frames: 4,
        illumination: 'cam.exposure_time',
        illuminationOn: 0.05,
        timeoutMs: 10_000,
      }),
    );
    assert.equal(image.frames, 4);
    assert.deepEqual([image.width, image.height], [16, 12]);
    // The ramp (x + y + n) · 64 over frames n0..n0+3: the mean is (x + y + n0 + 1.5) · 64.
    const n0 = firstFrame[0]!;
    assert.equal(image.pixels[3 * 16 + 5], (5 + 3 + n0 + 1.5) * 64);
    assert.deepEqual(written, [0.05, 0.1], 'switched on for the frames, then back to what it was');
    assert.equal((await r.camera.read('streaming')).value, false);
  });

  it('is stored in the session file, exported as a numpy-readable anatomical.npy and imported back', async () => {
    const r = await rig();
    const image: AnatomicalImage = {
      camera: 'cam',
      width: 16,
      height: 12,
      frames: 4,
      capturedAt: r.clock.now(),
      illumination: '',
      pixels: Float32Array.from({ length: 16 * 12 }, (_, i) => i * 0.5),
    };
    const path = join(root, 'with-anatomical.h5');
    const recording = recordIsiSession({
      session: 'a1',
      camera: r.camera,
      display: r.display as Instrument,
      bus: r.bus,
      path,
      leadS: 0.2,
      startedAt: r.clock.now(),
      anatomical: () => image,
    });
    // No page presents: the run stalls after 1 s and the session ends; the snapshot is still kept.
    await whileAdvancing(r.clock, recording);
    const session = await readSession(path);
    assert.ok(session.anatomical);
    assert.deepEqual([session.anatomical.height, session.anatomical.width], [12, 16]);
    assert.deepEqual([...session.anatomical.pixels], [...image.pixels]);
    assert.equal(session.anatomical.attrs.frames_averaged, 4);

    const guide = join(root, 'guide-anatomical');
    await exportGuideLayout(path, guide);
    assert.ok(readdirSync(guide).includes('anatomical.npy'));
    const npy = join(guide, 'anatomical.npy');
    if (existsSync(PYTHON)) {
      const py = spawnSync(
        PYTHON,
        [
          '-c',
          'import sys, numpy; a = numpy.load(sys.argv[1]); print(a.dtype, a.shape, float(a[3, 5]))',
          npy,
        ],
        { encoding: 'utf8' },
      );
      if (!/No module named 'numpy'/.test(py.stderr)) {
        assert.equal(py.status, 0, py.stderr);
        assert.equal(py.stdout.trim(), `float32 (12, 16) ${(3 * 16 + 5) * 0.5}`);
      }
    }
    const back = join(root, 'with-anatomical-imported.h5');
    await importGuideLayout(guide, back);
    const imported = await readSession(back);
    assert.deepEqual([...imported.anatomical!.pixels], [...image.pixels]);
    assert.equal(imported.anatomical!.attrs.camera, 'cam');
  });

  it('.npy: a header padded to 64 bytes, and what it encodes decodes back', () => {
    const bytes = encodeNpy({ dtype: '<u2', shape: [2, 3], data: Uint16Array.of(1, 2, 3, 4, 5, 65535) });
    assert.equal((10 + new DataView(bytes.buffer).getUint16(8, true)) % 64, 0);
    const back = decodeNpy(bytes);
    assert.deepEqual(back.shape, [2, 3]);
    assert.deepEqual([...back.data], [1, 2, 3, 4, 5, 65535]);
    assert.throws(() => decodeNpy(new Uint8Array(16)), /not a \.npy file/);
  });
});
