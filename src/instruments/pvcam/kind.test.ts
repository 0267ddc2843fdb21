import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { InstrumentManager } from '../../app/instrument-manager.ts';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { EventBus } from '../../core/bus.ts';
import { ManualClock } from '../../core/clock.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import type { Frame } from '../../core/frame.ts';
import { silentLogger } from '../../core/logger.ts';
import { Supervisor } from '../../core/supervisor.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { instrumentKinds } from '../catalog.ts';
import { primeBsiExpress } from './camera-model.ts';
import { PvcamDriver } from './pvcam-driver.ts';
import { meanSignal } from './pvcam-test-rig.ts';

/** Builds the camera the way `benchtop start` does: config text → InstrumentManager. */
async function startFromConfig(toml: string) {
  const { config } = loadBenchtopConfig({ text: toml, file: 'test.toml', env: {} });
  const clock = new ManualClock();
  const bus = new EventBus<BenchtopEvents>();
  const supervisor = new Supervisor({
    clock,
    mailboxCapacity: 16,
    spawnTimeoutMs: 60_000,
    shutdownTimeoutMs: 5_000,
    onStateChange: (c) => bus.emit('actor.state', c),
  });
  const lab = config.simulation.enabled
    ? new VirtualLab({ clock, seed: 1, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 20 })
    : undefined;
  const manager = new InstrumentManager({
    config,
    bus,
    supervisor,
    clock,
    logger: silentLogger(),
    ...(lab ? { lab } : {}),
  });
  await manager.startAll();
  const stop = async () => {
    await supervisor.stopAll();
    await manager.closeSimulators();
  };
  stops.push(stop);
  return { manager, bus, clock, camera: manager.get('camera') };
}

const stops: (() => Promise<void>)[] = [];
after(async () => {
  await Promise.all(stops.map((s) => s()));
});

const camera = (config: string, simulation: boolean) =>
  `[simulation]\nenabled = ${simulation}\n\n[[instruments]]\nid = "camera"\ntype = "PVCAMInstrument"\nconfig = { ${config} }\n`;

describe('PVCAMInstrument kind', () => {
  it('is registered in the catalog', () => {
    assert.equal(instrumentKinds.PVCAMInstrument?.type, 'PVCAMInstrument');
  });

  it('in simulation mode images the shared lab and publishes frames on the bus', async () => {
    const { camera: cam, bus, clock } = await startFromConfig(camera('camera_name = "PrimeBSI"', true));
    assert.equal(cam.state, 'ready');
    const frames: Frame[] = [];
    bus.on('camera.frame', (e) => frames.push(e.frame));
    await cam.write('binning', 4);
    const pending = cam.call('snap') as Promise<{ frameNumber: number; width: number }>;
    await clock.advance(50);
    const meta = await pending;
    assert.equal(meta.width, 512);
    assert.equal(frames.length, 1);
    assert.equal(frames[0]!.frameNumber, meta.frameNumber);
  });

  it('backend "simulated" works with simulation off, on a private dark lab', async () => {
    const { camera: cam, clock } = await startFromConfig(
      camera('camera_name = "PrimeBSI", backend = "simulated"', false),
    );
    assert.equal(cam.state, 'ready');
    await cam.write('binning', 4);
    const frames: Frame[] = [];
    assert.ok(cam.driver instanceof PvcamDriver);
    cam.driver.onFrame((f) => {
      frames.push(f);
    });
    const pending = cam.call('snap');
    await clock.advance(50);
    await pending;
    assert.ok(Math.abs(meanSignal(frames[0]!, primeBsiExpress.biasAdu)) < 0.1, 'bias and read noise only');
  });

  // Without the PVCAM runtime (a path that cannot exist, so the test means the same everywhere).
  const missing = 'sdk_library = "/nonexistent/libpvcam.so.2"';
  for (const [name, toml, code, says] of [
    [
      'backend "pvcam"',
      camera(`camera_name = "PrimeBSI", backend = "pvcam", ${missing}`, true),
      'LIBRARY_MISSING',
      '/nonexistent/libpvcam.so.2',
    ],
    [
      'backend "auto" with simulation off',
      camera(`camera_name = "PrimeBSI", ${missing}`, false),
      'LIBRARY_MISSING',
      'PVCAM SDK',
    ],
    [
      'a gain the configured speed lacks',
      camera('camera_name = "PrimeBSI", speed_index = 0, gain_index = 3', true),
      'CONFIG_INVALID',
      'gain',
    ],
  ] as const) {
    it(`${name} fails at connect with a clear error`, async () => {
      const { camera: cam } = await startFromConfig(toml);
      assert.notEqual(cam.state, 'ready');
      const error = cam.status().lastError;
      assert.equal(error?.code, code);
      assert.ok(error?.message.includes(says), error?.message);
      await assert.rejects(
        cam.read('temperature'),
        (e) => (e as { code?: string }).code === 'INSTRUMENT_UNAVAILABLE',
      );
    });
  }
});
