import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.ts';
import { siliconResponsivity } from '../../sim/physics.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { parseReading } from './newport1830c-protocol.ts';
import { Newport1830cSimProtocol } from './newport1830c-sim.ts';

function setup(options: { echo?: boolean } = {}) {
  const clock = new ManualClock();
  const lab = new VirtualLab({ clock, seed: 11, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 10 });
  const meter = new Newport1830cSimProtocol(lab, { echo: options.echo ?? false });
  /** The value of a query's reply (the last line, after any echo). */
  const ask = (command: string) => {
    const lines = meter.handle(command);
    assert.ok(lines && lines.length > 0, `no reply to ${command}`);
    return lines.at(-1)!;
  };
  return { clock, lab, meter, ask };
}

/** Laser warm, emitting at 800 nm with the shutter open, axis 1 out of the beam. */
async function lightOn(clock: ManualClock, lab: VirtualLab) {
  await clock.advance(10_000);
  lab.laser.emission = true;
  lab.laser.setShutter(true);
  lab.axis(1).moveTo(25);
  await clock.advance(20_000);
}

const stdDev = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
};

describe('1830-C simulator: wire behaviour', () => {
  it('echoes each line before its reply while echo is on, and E0 is itself still echoed', () => {
    const { meter } = setup({ echo: true });
    assert.deepEqual(meter.handle('W?'), ['W?', '0800']);
    assert.deepEqual(meter.handle('F2'), ['F2'], 'a setter is echoed and sends nothing else');
    assert.deepEqual(meter.handle('E0'), ['E0']);
    assert.deepEqual(meter.handle('W?'), ['0800']);
    assert.equal(meter.handle('F2'), undefined);
    assert.deepEqual(meter.handle('E?'), ['0']);
  });

  it('keeps settings, answers queries, and ignores what it does not understand', () => {
    const { meter, ask } = setup();
    for (const cmd of ['W1064', 'U3', 'R5', 'A1', 'F1', 'Z1']) assert.equal(meter.handle(cmd), undefined);
    assert.deepEqual(
      ['W?', 'U?', 'R?', 'A?', 'F?', 'Z?'].map(ask),
      ['1064', '3', '5', '1', '1', '1'],
      'state after setters',
    );
    for (const bad of ['W0', 'W10001', 'U9', 'R9', 'F4', 'A2', 'Wabc', 'X?', 'HELLO', '*IDN?']) {
      assert.equal(meter.handle(bad), undefined, bad);
    }
    assert.deepEqual(
      ['W?', 'U?', 'R?', 'F?'].map(ask),
      ['1064', '3', '5', '1'],
      'bad setters changed nothing',
    );
  });

  it('G0 holds the display until G1', () => {
    const { meter, ask } = setup();
    meter.handle('G0');
    const held = ask('D?');
    assert.equal(ask('D?'), held);
    assert.equal(ask('D?'), held);
    meter.handle('G1');
    assert.notEqual(ask('D?'), held);
  });
});

describe('1830-C simulator: physics from the virtual lab', () => {
  it('reads ambient light in the dark, and nothing of it once zeroed', () => {
    const { lab, meter, ask } = setup();
    meter.handle('F1');
    const dark = parseReading(ask('D?'));
    assert.ok(Math.abs(dark - lab.ambientW) < 5e-9, `dark ${dark}`);
    meter.handle('Z1');
    assert.ok(Math.abs(parseReading(ask('D?'))) < 5e-9);
  });

  it('measures the laser, scaled by the responsivity error of a wrong calibration wavelength', async () => {
    const { clock, lab, meter, ask } = setup();
    await lightOn(clock, lab);
    meter.handle('F1');
    meter.handle('Z1');
    const beam = lab.beamPowerW();
    const at800 = parseReading(ask('D?'));
    assert.ok(Math.abs(at800 - beam) / beam < 0.005, `${at800} vs ${beam}`);
    meter.handle('W1000');
    const at1000 = parseReading(ask('D?'));
    const expected = siliconResponsivity(800) / siliconResponsivity(1000);
    assert.ok(Math.abs(at1000 / at800 - expected) / expected < 0.005, `${at1000 / at800} vs ${expected}`);
  });

  it('converts to dBm, and to dB and REL against the reference S stores', async () => {
    const { clock, lab, meter, ask } = setup();
    await lightOn(clock, lab);
    meter.handle('F1');
    meter.handle('Z1');
    const watts = lab.beamPowerW();
    meter.handle('U3');
    const dBm = parseReading(ask('D?'));
    assert.ok(Math.abs(dBm - 10 * Math.log10(watts / 1e-3)) < 0.02, `dBm ${dBm}`);
    meter.handle('S');
    meter.handle('U4');
    assert.ok(Math.abs(parseReading(ask('D?')) - 1) < 0.005, 'REL is 1 right after storing the reference');
    meter.handle('U2');
    assert.ok(Math.abs(parseReading(ask('D?'))) < 0.02, 'dB is 0 right after storing the reference');
    lab.axis(1).moveTo(0);
    await clock.advance(20_000);
    assert.ok(Math.abs(parseReading(ask('D?')) + 3.0103) < 0.02, 'half the beam is -3 dB');
    meter.handle('U4');
    assert.ok(Math.abs(parseReading(ask('D?')) - 0.5) < 0.005, 'and REL 0.5');
  });

  it('is noisier with the fast filter than with the slow one (spread of many readings)', () => {
    const { meter, ask } = setup();
    const spread = (filter: string) => {
      meter.handle(filter);
      return stdDev(Array.from({ length: 400 }, () => parseReading(ask('D?'))));
    };
    const slow = spread('F1');
    const medium = spread('F2');
    const fast = spread('F3');
    // Averaging 16, 4 and 1 readings: the spread should halve from each filter to the next.
    assert.ok(slow < medium && medium < fast, `slow ${slow}, medium ${medium}, fast ${fast}`);
    assert.ok(fast / slow > 2.5 && fast / slow < 6, `fast/slow ${fast / slow}, expected about 4`);
  });
});
