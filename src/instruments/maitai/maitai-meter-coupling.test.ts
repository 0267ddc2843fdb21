import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.ts';
import { knifeEdgeTransmission, maiTaiPowerW, siliconResponsivity } from '../../sim/physics.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { newport1830cKind } from '../newport1830c/kind.ts';
import { type SimRig, startSimRig } from '../testing/sim-rig.ts';
import { maiTaiKind } from './kind.ts';

/**
 * The laser and the power meter, each driven over its own wire by its own driver, share one
 * virtual lab: what the laser emits through its shutter, clipped by the knife edge on stage
 * axis 1, is what the meter reads.
 */
describe('Mai Tai → knife edge → 1830-C, through both drivers', () => {
  const clock = new ManualClock();
  const waistMm = 0.5;
  const edgeMm = 0;
  const lab = new VirtualLab({ clock, seed: 21, beamWaistMm: waistMm, knifeEdgeMm: edgeMm, warmupS: 20 });
  let laser: SimRig;
  let meter: SimRig;

  before(async () => {
    // The lab's shutter travel runs on the manual clock, so the driver need not wait for it.
    laser = await startSimRig({ kind: maiTaiKind, id: 'laser', lab, config: { shutter_settle_ms: 0 } });
    meter = await startSimRig({ kind: newport1830cKind, id: 'meter', lab });
    await clock.advance(20_000);
  });
  after(async () => {
    await laser.close();
    await meter.close();
  });

  /** Mean of several slow-filter readings, W. */
  async function meterWatts(count = 10): Promise<number> {
    let sum = 0;
    for (let i = 0; i < count; i++) sum += (await meter.instrument.read('power')).value as number;
    return sum / count;
  }

  it('the meter sees nothing while the shutter is closed', async () => {
    await meter.instrument.write('filter', 'slow');
    await meter.instrument.write('wavelength', 800);
    await meter.instrument.call('zero');
    await laser.instrument.write('emission', true);
    assert.ok(((await laser.instrument.read('power')).value as number) > 2, 'the laser itself is lasing');
    assert.ok(Math.abs(await meterWatts()) < 1e-6);
  });

  it('laser at 800 nm, shutter open: the meter reads its power times the knife-edge transmission', async () => {
    await laser.instrument.write('wavelength', 800);
    await laser.instrument.write('shutter', true);
    await clock.advance(1_000);
    const expected = maiTaiPowerW(800) * knifeEdgeTransmission(lab.axis(1).position(), edgeMm, waistMm);
    assert.equal(lab.axis(1).position(), 0, 'axis 1 at its default position: the blade half in the beam');
    const measured = await meterWatts();
    assert.ok(
      Math.abs(measured - expected) / expected < 0.005,
      `meter ${measured} W, expected ${expected} W`,
    );
    const reported = (await laser.instrument.read('power')).value as number;
    assert.ok(Math.abs(measured / reported - 0.5) < 0.005, 'half of what the laser reports');
  });

  it("setting the meter's wavelength to 1000 nm scales the reading by the responsivity ratio", async () => {
    const at800 = await meterWatts();
    await meter.instrument.write('wavelength', 1000);
    const at1000 = await meterWatts();
    const ratio = siliconResponsivity(800) / siliconResponsivity(1000);
    assert.ok(Math.abs(at1000 / at800 - ratio) / ratio < 0.005, `ratio ${at1000 / at800}, expected ${ratio}`);
    await meter.instrument.write('wavelength', 800);
  });

  it('tuning the laser changes what the meter reads along the gain curve', async () => {
    const at800 = await meterWatts();
    await laser.instrument.write('wavelength', 950, { wait: false });
    await clock.advance(5_000);
    await meter.instrument.write('wavelength', 950);
    const at950 = await meterWatts();
    const expected = maiTaiPowerW(950) / maiTaiPowerW(800);
    assert.ok(
      Math.abs(at950 / at800 - expected) / expected < 0.005,
      `ratio ${at950 / at800}, expected ${expected}`,
    );
  });

  it('closing the shutter darkens the meter again', async () => {
    await laser.instrument.write('shutter', false);
    await clock.advance(1_000);
    assert.ok(Math.abs(await meterWatts()) < 1e-6);
  });
});
