import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../core/clock.ts';
import { AldChamber, ATMOSPHERE_PA, TORR } from './ald-chamber.ts';

async function chamberAt(seconds = 0) {
  const clock = new ManualClock();
  const chamber = new AldChamber(clock, 1);
  // In steps the chamber integrates whole (it skips what lies beyond its catch-up window).
  const run = async (s: number) => {
    for (let left = s; left > 0; left -= 10) {
      await clock.advance(Math.min(10, left) * 1000);
      chamber.advance();
    }
  };
  if (seconds) await run(seconds);
  return { clock, chamber, run };
}

/** Peak pressure over one pulse of `valve` lasting `ms`. */
async function pulse(c: AldChamber, run: (s: number) => Promise<void>, valve: number, ms: number) {
  c.resetPeak();
  c.setValve(valve, true);
  await run(ms / 1000);
  c.setValve(valve, false);
  await run(3);
  return c.peakPressurePa;
}

describe('AldChamber', () => {
  it('a precursor pulse raises the pressure fast and it pumps down slower; the peak scales with the fill level', async () => {
    const { chamber: c, run } = await chamberAt(1);
    c.mfcSetpointSccm = 100;
    await run(5);
    const base = c.pressurePa;
    assert.ok(Math.abs(base - (0.05 + 1) * TORR) < 1, `base ${base}`);
    c.setValve(1, true);
    await run(0.1);
    const risen = c.pressurePa - base;
    c.setValve(1, false);
    await run(0.1);
    const fallen = c.pressurePa - base;
    assert.ok(risen > 0.6 * 0.35 * TORR, `rise ${risen} Pa in 100 ms`);
    assert.ok(fallen > 0.5 * risen, `falls slower than it rose: ${fallen} of ${risen} left after 100 ms`);
    await run(4);
    assert.ok(Math.abs(c.pressurePa - base) < 0.5, 'back to base');
    const fullPeak = await pulse(c, run, 1, 100);
    c.fill[1] = 0.5;
    const halfPeak = await pulse(c, run, 1, 100);
    assert.ok(halfPeak - base < 0.55 * (fullPeak - base) && halfPeak - base > 0.45 * (fullPeak - base));
    assert.ok(c.fill[1]! < 0.5 && c.fill[1]! > 0.49, 'the open valve used some precursor');
  });

  it('with the pump off the pressure creeps toward atmosphere and never past it', async () => {
    const { chamber: c, run } = await chamberAt(1);
    c.pump = false;
    await run(60);
    const after1 = c.pressurePa;
    assert.ok(after1 > 1000 && after1 < ATMOSPHERE_PA / 2, `${after1} Pa after a minute`);
    await run(600);
    assert.ok(c.pressurePa > after1 && c.pressurePa <= ATMOSPHERE_PA);
    c.pump = true;
    await run(10);
    assert.ok(c.pressurePa < 10, `pumped down to ${c.pressurePa} Pa`);
  });

  it('refuses a precursor valve with the pump off: command kept, valve closed, interlock raised until it clears', async () => {
    const { chamber: c, run } = await chamberAt(1);
    c.pump = false;
    c.setValve(1, true);
    await run(0.05);
    assert.equal(c.valveCommanded(1), true);
    assert.equal(c.isValveOpen(1), false);
    assert.equal(c.interlockActive, true);
    c.setValve(3, true);
    await run(0.05);
    assert.equal(c.isValveOpen(3), true, 'the N2 purge valve is not interlocked');
    c.setValve(1, false);
    await run(0.01);
    assert.equal(c.interlockActive, false);
    c.pump = true;
    c.pressureLimitPa = 1; // below the base pressure
    c.setValve(2, true);
    await run(0.05);
    assert.equal(c.isValveOpen(2), false);
    assert.equal(c.interlockActive, true, 'pressure above its limit');
  });

  it('valves move after their actuation delay', async () => {
    const { chamber: c, run } = await chamberAt(1);
    c.setValve(1, true);
    await run(0.004);
    assert.equal(c.isValveOpen(1), false);
    await run(0.006);
    assert.equal(c.isValveOpen(1), true);
  });

  it('the MFC tracks its setpoint first order (tau 0.3 s) and gives nothing without N2', async () => {
    const { chamber: c, run } = await chamberAt(1);
    c.mfcSetpointSccm = 150;
    await run(0.3);
    assert.ok(Math.abs(c.mfcActualSccm - 150 * (1 - Math.exp(-1))) < 2, `${c.mfcActualSccm}`);
    await run(3);
    assert.ok(Math.abs(c.mfcActualSccm - 150) < 0.1);
    c.n2Fault = true;
    await run(3);
    assert.equal(c.mfcActualSccm, 0);
  });

  it('the heater PID reaches its setpoint without overshooting past the trip, and trips above its limit', async () => {
    const { chamber: c, run } = await chamberAt(1);
    c.heaterEnabled = true;
    c.temperatureSetpointC = 150;
    await run(1800);
    assert.ok(Math.abs(c.temperatureC - 150) < 2, `${c.temperatureC} °C after 30 min`);
    assert.ok(c.pidOutputPct > 20 && c.pidOutputPct < 45, `holding at ${c.pidOutputPct} %`);
    c.overTemperatureLimitC = 120;
    await run(1);
    assert.equal(c.overTemperatureTrip, true);
    assert.equal(c.pidOutputPct, 0, 'heater off above its limit');
    await run(600);
    assert.ok(c.temperatureC < 120);
  });

  it('clamps the PID output to its limit', async () => {
    const { chamber: c, run } = await chamberAt(1);
    c.heaterEnabled = true;
    c.outputLimitPct = 30;
    c.temperatureSetpointC = 250;
    await run(60);
    assert.equal(c.pidOutputPct, 30);
  });
});
