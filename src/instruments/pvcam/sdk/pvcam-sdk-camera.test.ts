import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EventBus } from '../../../core/bus.ts';
import { systemClock } from '../../../core/clock.ts';
import { isBenchtopError } from '../../../core/errors.ts';
import type { BenchtopEvents } from '../../../core/events.ts';
import type { Frame } from '../../../core/frame.ts';
import { silentLogger } from '../../../core/logger.ts';
import { type SpawnedInstrument, spawnInstrument } from '../../../core/testing/instrument-harness.ts';
import { pvcamKind } from '../kind.ts';
import { PvcamDriver } from '../pvcam-driver.ts';
import { pvcam } from './pvcam-library.ts';

/**
 * The PVCAM SDK backend against a stand-in libpvcam (testing/pvcam-stand-in.c, built here with
 * the machine's C compiler): the real SDK is proprietary. The stand-in's sensor thread writes
 * frames into the backend's circular buffer; pixel (x, y) of frame n is (x + y + n) masked to
 * the bit depth, so a test can tell a frame copied from the library from one made up.
 */

const work = mkdtempSync(join(tmpdir(), 'benchtop-pvcam-sdk-'));
const library = join(work, 'libpvcam-stand-in.so');
const compiler = (() => {
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const skip = compiler ? false : 'no C compiler (cc) to build the stand-in libpvcam';

describe('PVCAMInstrument with backend = "pvcam" (stand-in libpvcam)', { skip }, () => {
  const bus = new EventBus<BenchtopEvents>();
  let spawned: SpawnedInstrument;
  before(async () => {
    const source = join(import.meta.dirname, 'testing', 'pvcam-stand-in.c');
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', library, source, '-lpthread']);
    const driver = pvcamKind.createDriver(
      'camera',
      { camera_name: 'StandInCam', backend: 'pvcam', sdk_library: library, buffer_frames: 8, exposure_ms: 2 },
      { clock: systemClock, log: silentLogger(), bus },
    );
    spawned = await spawnInstrument({ id: 'camera', driver, bus });
  });
  after(async () => {
    await spawned?.stop();
    rmSync(work, { recursive: true, force: true });
  });
  const cam = () => spawned.instrument;
  /** A test hook of the stand-in library (the process has it loaded already: same handle). */
  const standInHook = (signature: string) =>
    createRequire(import.meta.url)('koffi')
      .load(library)
      .func(signature) as (...args: unknown[]) => unknown;
  const value = async (signal: string) => (await cam().read(signal)).value;
  const frames = (count: number) =>
    new Promise<Frame[]>((resolve) => {
      const seen: Frame[] = [];
      const off = bus.on('camera.frame', ({ frame }) => {
        // Bus subscribers copy what they keep.
        seen.push({ ...frame, pixels: frame.pixels.slice() });
        if (seen.length === count) {
          off();
          resolve(seen);
        }
      });
    });

  it('benchtop cameras list names the camera through pl_cam_get_total / pl_cam_get_name', () => {
    // A process of its own: PVCAM's initialisation is per process, and this one has the camera open.
    const main = fileURLToPath(new URL('../../../cli/main.ts', import.meta.url));
    const run = (...extra: string[]) =>
      execFileSync(process.execPath, [main, 'cameras', 'list', '--pvcam-library', library, ...extra], {
        encoding: 'utf8',
      });
    const { cameras, unlisted } = JSON.parse(run('--json')) as {
      cameras: { type: string; id: string; protocol: string }[];
      unlisted: { type: string }[];
    };
    const pvcamOnes = cameras.filter((c) => c.type === 'PVCAMInstrument');
    assert.deepEqual(
      pvcamOnes.map((c) => [c.id, c.protocol]),
      [['StandInCam', 'PVCAM']],
    );
    assert.ok(!unlisted.some((u) => u.type === 'PVCAMInstrument'), JSON.stringify(unlisted));
    assert.match(run(), /^PVCAMInstrument\s+StandInCam\s+Teledyne Photometrics\s+PVCAM$/m);
  });

  it('opens the camera by name and reads its sensor and readout table through pl_get_param', async () => {
    assert.equal(cam().state, 'ready', JSON.stringify(cam().status().lastError));
    assert.deepEqual([await value('roi.width'), await value('roi.height')], [256, 256]);
    assert.equal(await value('bit_depth'), 16);
    assert.equal(await value('temperature'), -20, 'PARAM_TEMP in hundredths of a degree');
  });

  it('streams frames copied out of the SDK circular buffer, in order, none lost', async () => {
    // The stand-in's sensor waits for a free slot here: on a busy machine the event loop may not
    // keep up with 2 ms exposures, and losing frames then is the drop test's subject, not this one's.
    const waitForSlots = standInHook('void stand_in_wait_for_slots(int on)');
    waitForSlots(1);
    const got = frames(30);
    let seen: Frame[];
    try {
      await cam().call('start_live');
      seen = await got;
      await cam().call('stop');
    } finally {
      waitForSlots(0);
    }
    for (let i = 1; i < seen.length; i++) assert.equal(seen[i]!.frameNumber, seen[i - 1]!.frameNumber + 1);
    for (const f of seen) {
      assert.deepEqual([f.width, f.height, f.bitDepth], [256, 256, 16]);
      for (const [x, y] of [
        [0, 0],
        [17, 3],
        [255, 255],
      ] as const) {
        assert.equal(f.pixels[y * 256 + x], (x + y + f.frameNumber) & 0xffff);
      }
    }
    assert.equal(await value('frames_dropped'), 0);
  });

  it('sets speed, region and binning through pl_set_param and pl_exp_setup_cont', async () => {
    await cam().write('speed_index', 1);
    assert.equal(await value('bit_depth'), 11);
    await cam().call('set_roi', { x: 32, y: 16, width: 128, height: 128 });
    await cam().write('binning', 2);
    const got = frames(3);
    await cam().call('start_live');
    const seen = await got;
    await cam().call('stop');
    for (const f of seen) {
      assert.deepEqual([f.width, f.height, f.bitDepth], [64, 64, 11]);
      assert.equal(f.pixels[5 * 64 + 7], (7 + 5 + f.frameNumber) & 0x7ff);
    }
  });

  it('takes one frame per pl_exp_trigger in software_edge mode', async () => {
    await cam().write('trigger_mode', 'software_edge');
    await cam().call('start_live');
    const got = frames(3);
    // The stand-in queues triggers: three in a row expose three frames, one after another.
    for (let i = 0; i < 3; i++) assert.deepEqual(await cam().call('trigger'), { accepted: true });
    const seen = await got;
    await cam().call('stop');
    assert.deepEqual(
      seen.map((f) => f.frameNumber),
      [1, 2, 3],
    );
    assert.equal(await value('frames_acquired'), 3, 'no frame without a trigger');
    await cam().write('trigger_mode', 'timed');
  });

  it('counts frames lost while a consumer holds every buffer slot', async () => {
    assert.ok(cam().driver instanceof PvcamDriver);
    const driver = cam().driver as PvcamDriver;
    let held = 0;
    const off = driver.onFrame(() => {
      held++;
      // A slow consumer: each frame keeps its slot for 30 ms while frames arrive every 2 ms.
      return new Promise<void>((resolve) => setTimeout(resolve, 30));
    });
    // The 8 slots hold frames 1-8 in order; later frames find them full until slots free up.
    const got = frames(16);
    await cam().call('start_live');
    const seen = await got;
    await cam().call('stop');
    off();
    const dropped = (await value('frames_dropped')) as number;
    const gaps = seen.at(-1)!.frameNumber - seen[0]!.frameNumber + 1 - seen.length;
    assert.ok(held >= 16);
    assert.ok(gaps > 0, 'frames were lost between the ones delivered');
    assert.ok(dropped >= gaps, `frames_dropped ${dropped} counts the gaps ${gaps}`);
  });

  it('reports the camera lost when the SDK stops answering, and reconnects', async () => {
    const lost = bus.once('actor.state', (c) => c.id === 'camera' && c.state !== 'ready');
    const back = bus.once('instrument.identity', (e) => e.instrument === 'camera');
    await cam().call('start_live');
    const unplug = standInHook('void stand_in_unplug()');
    unplug();
    await lost;
    // pl_pvcam_init on the reconnect brings the stand-in back, as re-plugging would.
    await back;
    assert.equal(await value('bit_depth'), 11, 'the configured speed is applied again');
  });

  it('says which library is missing when libpvcam is not installed', () => {
    assert.throws(
      () => pvcam('libpvcam-not-here.so.2'),
      (e) => isBenchtopError(e, 'LIBRARY_MISSING') && e.message.includes('libpvcam-not-here.so.2'),
    );
  });
});
