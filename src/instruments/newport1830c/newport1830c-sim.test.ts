import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.ts';
import { siliconResponsivity } from '../../sim/physics.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { LineFramer } from '../../transports/line-framer.ts';
import { formatReading, parseReading } from './newport1830c-protocol.ts';
import {
  autoRange,
  Newport1830cSimProtocol,
  RANGE_COUNTS,
  rangeFullScaleA,
  rangeFullScaleW,
  TOP_RANGE,
} from './newport1830c-sim.ts';

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

/**
 * What the meter sends back for `text` arriving in two pieces split at byte `split`: the bytes
 * go through the same LF framer as the simulator server's, each line to the protocol, and the
 * reply lines come back LF-terminated, as on the wire.
 */
function wire(meter: Newport1830cSimProtocol, text: string, split: number): string {
  let out = '';
  const framer = new LineFramer('\n', (line) => {
    for (const reply of meter.handle(line) ?? []) out += `${reply}\n`;
  });
  const bytes = Buffer.from(text, 'latin1');
  framer.push(bytes.subarray(0, split));
  framer.push(bytes.subarray(split));
  return out;
}

/** Asserts `text` gets `expected` back whichever byte it is split at. */
function assertWire(meter: Newport1830cSimProtocol, text: string, expected: string) {
  for (let split = 0; split <= text.length; split++) {
    assert.equal(wire(meter, text, split), expected, `${JSON.stringify(text)} split at ${split}`);
  }
}

const dBmOf = (watts: number) => 10 * Math.log10(watts / 1e-3);

describe('1830-C simulator: signal ranges', () => {
  it('ranges are decades of detector current, in watts over the responsivity at the W setting', () => {
    for (let r = 1; r < TOP_RANGE; r++) {
      assert.ok(Math.abs(rangeFullScaleA(r + 1) / rangeFullScaleA(r) - 10) < 1e-9, `R${r + 1} is R${r} x 10`);
    }
    assert.ok(Math.abs(rangeFullScaleW(8, 800, false) - 2 / siliconResponsivity(800)) < 1e-12);
    assert.ok(
      rangeFullScaleW(8, 800, false) > 2.9,
      'the top range holds the whole Mai Tai beam without the attenuator',
    );
    assert.equal(rangeFullScaleW(3, 633, true), rangeFullScaleW(3, 633, false) * 1000);
    assert.equal(autoRange(0), 1);
    assert.equal(autoRange(rangeFullScaleA(1)), 1);
    assert.equal(autoRange(-rangeFullScaleA(1) * 1.01), 2);
    assert.equal(autoRange(rangeFullScaleA(5) * 0.5), 5);
    assert.equal(
      autoRange(rangeFullScaleA(8) * 3),
      8,
      'beyond the top range auto stays on it (and reads over)',
    );
  });

  it('a manual range too low saturates: D? prints its full scale, Q? has over-range (8) until C', async () => {
    const { clock, lab, meter } = setup();
    await lightOn(clock, lab);
    const full = formatReading(rangeFullScaleW(5, 800, false));
    assert.equal(full, '+.3966E-2', 'R5 at 800 nm: 2 mA over 0.5043 A/W');
    assertWire(meter, 'C\nR5\nD?\nQ?\nD?\nQ?\nC\nQ?\n', `${full}\n8\n${full}\n8\n0\n`);
    // In dBm the clamped reading is converted like any other.
    assertWire(meter, 'U3\nD?\nU1\nC\n', `${formatReading(dBmOf(rangeFullScaleW(5, 800, false)))}\n`);
    // Back on a range that holds the beam, the reading is good again, and stays good.
    meter.handle('R8');
    meter.handle('C');
    const reading = parseReading(meter.handle('D?')![0]!);
    assert.ok(Math.abs(reading - lab.beamPowerW()) / lab.beamPowerW() < 0.01, `${reading} on R8`);
    assert.deepEqual(meter.handle('Q?'), ['0']);
  });

  it('G0 holds an over-range reading as over range', async () => {
    const { clock, lab, meter } = setup();
    await lightOn(clock, lab);
    const full = formatReading(rangeFullScaleW(6, 800, false));
    assertWire(meter, 'R6\nG0\nC\nD?\nQ?\nR0\nC\nD?\nQ?\nG1\nC\n', `${full}\n8\n${full}\n8\n`);
  });

  it('a range far too high loses resolution: readings are whole counts of range/10000', () => {
    const { lab, meter } = setup();
    meter.handle('F1');
    // Ambient light alone (40 nW, 20 nA of photocurrent).
    assertWire(meter, 'R8\nD?\nQ?\n', '+.0000E+0\n0\n');
    const countR4 = rangeFullScaleW(4, 800, false) / RANGE_COUNTS;
    assertWire(meter, 'R4\nD?\nD?\n', `${formatReading(countR4)}\n${formatReading(countR4)}\n`);
    // R3: about ten counts, so two significant digits of the four printed carry the reading.
    meter.handle('R3');
    const countR3 = rangeFullScaleW(3, 800, false) / RANGE_COUNTS;
    for (let i = 0; i < 20; i++) {
      const counts = parseReading(meter.handle('D?')![0]!) / countR3;
      assert.ok(Math.abs(counts - Math.round(counts)) < 0.01, `${counts} counts on R3`);
      assert.ok(Math.abs(counts * countR3 - lab.ambientW) <= 2 * countR3);
    }
  });

  it('auto range (R0) picks the most sensitive range that holds the signal, with full resolution', async () => {
    const { clock, lab, meter } = setup();
    meter.handle('F1');
    const dark = parseReading(meter.handle('D?')![0]!);
    assert.equal(meter.measure().range, 1, 'ambient light is read on R1');
    assert.ok(Math.abs(dark - lab.ambientW) < 5e-9, `dark ${dark}`);
    assert.notEqual(formatReading(dark), formatReading(rangeFullScaleW(1, 800, false) / RANGE_COUNTS));
    await lightOn(clock, lab);
    meter.handle('Z1');
    for (const [position, range] of [
      [25, 8],
      [-0.5, 7],
      [-1, 4],
      [-1.5, 1],
    ] as const) {
      lab.axis(1).moveTo(position);
      await clock.advance(30_000);
      const beam = lab.beamPowerW();
      const reading = parseReading(meter.handle('D?')![0]!);
      assert.ok(Math.abs(reading - beam) < beam / 100 + 2e-9, `${reading} W vs ${beam} W at ${position} mm`);
      assert.equal(meter.measure().range, range, `range at ${position} mm (${beam} W)`);
    }
    assert.deepEqual(meter.handle('Q?'), ['0'], 'auto range never read over range');
    assert.deepEqual(meter.handle('R?'), ['0'], 'R? still says auto');
  });

  it('over range is decided on the detector current: a wrong W setting moves the range in watts with it', async () => {
    const { clock, lab, meter } = setup();
    await lightOn(clock, lab);
    meter.handle('R8');
    meter.handle('W0400');
    // Set to 400 nm the meter thinks the head is far less sensitive: it shows much more than the
    // beam, and the top range's full scale in watts grows by the same factor, so still in range.
    const shown = parseReading(meter.handle('D?')![0]!);
    const weight = siliconResponsivity(800) / siliconResponsivity(400);
    assert.ok(Math.abs(shown / lab.beamPowerW() - weight) / weight < 0.01, `${shown} W`);
    assert.ok(shown > rangeFullScaleW(8, 800, false));
    assert.deepEqual(meter.handle('Q?'), ['0']);
  });
});

describe('1830-C simulator: the attenuator', () => {
  it('A1 without the attenuator fitted reads high by its factor (1000)', async () => {
    const { clock, lab, meter } = setup();
    await lightOn(clock, lab);
    lab.axis(1).moveTo(-1);
    await clock.advance(30_000);
    meter.handle('F1');
    meter.handle('Z1');
    const beam = lab.beamPowerW();
    const a0 = parseReading(meter.handle('D?')![0]!);
    assert.ok(Math.abs(a0 - beam) / beam < 0.01, `A0 ${a0} vs ${beam}`);
    assertWire(meter, 'A1\nA?\n', '1\n');
    const a1 = parseReading(meter.handle('D?')![0]!);
    assert.ok(Math.abs(a1 / beam - 1000) / 1000 < 0.01, `A1 ${a1} is ${a1 / beam} x the beam`);
  });

  it('A1 with the attenuator fitted reads right, and the ranges then hold 1000x more light', async () => {
    const { clock, lab, meter } = setup();
    await lightOn(clock, lab);
    meter.handle('F1');
    meter.handle('Z1');
    const beam = lab.beamPowerW();
    // Without the attenuator the full beam is far beyond R5 ...
    assertWire(meter, 'C\nR5\nD?\nQ?\n', `${formatReading(rangeFullScaleW(5, 800, false))}\n8\n`);
    // ... with it fitted and declared, R5 holds the beam and reads it.
    lab.meterAttenuatorFitted = true;
    meter.handle('A1');
    meter.handle('C');
    const reading = parseReading(meter.handle('D?')![0]!);
    assert.ok(Math.abs(reading - beam) / beam < 0.01, `${reading} vs ${beam}`);
    assert.deepEqual(meter.handle('Q?'), ['0']);
    assert.ok(rangeFullScaleW(5, 800, true) > beam);
    // Fitted but not declared (A0): 1000x low.
    meter.handle('A0');
    const low = parseReading(meter.handle('D?')![0]!);
    assert.ok(Math.abs((low * 1000) / beam - 1) < 0.01, `A0 with the attenuator fitted: ${low}`);
  });
});
