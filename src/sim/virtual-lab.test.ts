import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../core/clock.ts';
import { erf, knifeEdgeTransmission, maiTaiPowerW } from './physics.ts';
import { VirtualLab } from './virtual-lab.ts';

const lab = (clock = new ManualClock()) => ({
  clock,
  lab: new VirtualLab({ clock, seed: 7, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 20 }),
});

describe('physics', () => {
  it('erf matches tabulated values', () => {
    for (const [x, v] of [
      [0, 0],
      [0.5, 0.5204999],
      [1, 0.8427008],
      [2, 0.9953223],
      [-1, -0.8427008],
    ] as const) {
      assert.ok(Math.abs(erf(x) - v) < 2e-7, `erf(${x})`);
    }
  });

  it('knife edge passes half the beam at the edge and 97.7 % one waist beyond', () => {
    assert.ok(Math.abs(knifeEdgeTransmission(0, 0, 0.5) - 0.5) < 1e-7);
    assert.ok(Math.abs(knifeEdgeTransmission(0.5, 0, 0.5) - 0.97725) < 1e-4);
    assert.ok(Math.abs(knifeEdgeTransmission(-0.5, 0, 0.5) - 0.02275) < 1e-4);
  });

  it('the gain curve peaks at 800 nm', () => {
    assert.ok(maiTaiPowerW(800) > maiTaiPowerW(700));
    assert.ok(maiTaiPowerW(800) > maiTaiPowerW(1000));
  });
});

describe('virtual lab', () => {
  it('the laser warms up, tunes at a finite rate and its shutter takes time', async () => {
    const { clock, lab: l } = lab();
    assert.equal(l.laser.warmupPercent(), 0);
    await clock.advance(20_000);
    assert.equal(l.laser.warmupPercent(), 100);
    l.laser.setWavelength(900);
    await clock.advance(1_000);
    assert.equal(l.laser.wavelengthActual(), 840);
    await clock.advance(2_000);
    assert.equal(l.laser.wavelengthActual(), 900);
    l.laser.emission = true;
    l.laser.setShutter(true);
    assert.equal(l.laser.outputPowerW(), 0);
    await clock.advance(800);
    assert.ok(Math.abs(l.laser.outputPowerW() - maiTaiPowerW(900)) < 1e-12);
  });

  it('the beam reaching the meter follows the knife edge on axis 1', async () => {
    const { clock, lab: l } = lab();
    await clock.advance(20_000);
    l.laser.emission = true;
    l.laser.setShutter(true);
    await clock.advance(1_000);
    const full = l.laser.outputPowerW();
    l.axis(1).moveTo(-2);
    await clock.advance(10_000);
    assert.ok(l.beamPowerW() < full * 1e-6);
    l.axis(1).moveTo(0);
    await clock.advance(10_000);
    assert.ok(Math.abs(l.beamPowerW() - full / 2) < full * 1e-6);
    const reading = l.meterReadingW(l.laser.wavelengthActual(), 16, true);
    assert.ok(Math.abs(reading - full / 2) / (full / 2) < 0.01);
    l.meterAttenuatorFitted = true;
    const attenuated = l.meterReadingW(l.laser.wavelengthActual(), 16, true);
    assert.ok(Math.abs(attenuated * 1000 - full / 2) / (full / 2) < 0.01, 'the OD3 attenuator passes 1/1000');
    assert.ok(l.beamPowerW() > attenuated * 100, 'only the meter sees it: the beam itself is unchanged');
  });

  it('axes move at their velocity and refuse targets beyond their limits', async () => {
    const { clock, lab: l } = lab();
    const axis = l.axis(2);
    axis.velocity = 2;
    assert.equal(axis.moveTo(30), false);
    assert.equal(axis.moveTo(4), true);
    await clock.advance(1_000);
    assert.equal(axis.position(), 2);
    assert.equal(axis.isMoving(), true);
    axis.stop();
    await clock.advance(1_000);
    assert.equal(axis.position(), 2);
    assert.equal(axis.isMoving(), false);
  });
});
