import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { parseErrorReply, parseNumber } from './scpi-codec.ts';
import { ScpiDmmSimProtocol } from './scpi-dmm-sim-protocol.ts';

function dmm() {
  const clock = new ManualClock();
  const lab = new VirtualLab({ clock, seed: 7, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 0 });
  const sim = new ScpiDmmSimProtocol(lab);
  /** Every queued error code, oldest first, emptying the queue. */
  const errors = () => {
    const codes: number[] = [];
    for (;;) {
      const entry = parseErrorReply(sim.handle('SYST:ERR?') as string)!;
      if (entry.code === 0) return codes;
      codes.push(entry.code);
    }
  };
  const volts = (command = 'MEAS:VOLT:DC?') => parseNumber(sim.handle(command) as string)!;
  return { clock, lab, sim, errors, volts };
}

/** Laser on at full power with the shutter open: the photodiode sees light. */
async function lightOn(lab: VirtualLab, clock: ManualClock) {
  lab.laser.emission = true;
  lab.laser.setShutter(true);
  await clock.advance(1_000);
}

describe('ScpiDmmSimProtocol: IEEE 488.2 and keywords', () => {
  it('identifies itself', () => {
    const { sim } = dmm();
    assert.match(sim.handle('*IDN?') as string, /^Benchtop,SIM-DMM6500,\w+,[\d.]+$/);
  });

  it('accepts short and long forms in any case and rejects partial forms with -113', () => {
    const { sim, errors } = dmm();
    for (const header of [
      'MEAS:VOLT:DC?',
      'MEASURE:VOLTAGE:DC?',
      'meas:volt?',
      'Measure:Volt:Dc?',
      ':MEAS:VOLT?',
    ]) {
      assert.match(sim.handle(header) as string, /^[+-]\d\.\d{8}E[+-]\d\d$/, header);
    }
    assert.deepEqual(errors(), []);
    assert.equal(sim.handle('MEASU:VOLT?'), undefined);
    assert.equal(sim.handle('SYSTE:ERR?'), undefined);
    assert.deepEqual(errors(), [-113, -113]);
  });

  it('joins the replies of chained queries with ; and continues at the current level', () => {
    const { sim, errors } = dmm();
    assert.equal(sim.handle('*IDN?;*OPC?')?.toString().split(';')[1], '1');
    assert.equal(sim.handle('VOLT:DC:RANG 1;RANG?'), '+1.00000000E+00');
    assert.equal(sim.handle('SENS:VOLT:DC:RANG 100;:VOLT:RANG?'), '+1.00000000E+02');
    assert.match(sim.handle('MEAS:VOLT?;:SYST:ERR?') as string, /^[+-][\d.E+-]+;0,"No error"$/);
    assert.equal(sim.handle('VOLT:DC:RANG:AUTO ON;AUTO?'), '1');
    assert.deepEqual(errors(), []);
  });

  it('without ;: the next header stays at the current level, so a root command fails', () => {
    const { sim, errors } = dmm();
    assert.equal(sim.handle('VOLT:DC:RANG 10;SYST:ERR?'), undefined);
    assert.deepEqual(errors(), [-113]);
  });

  it('a command error abandons the rest of the message; an execution error does not', () => {
    const { sim, errors } = dmm();
    assert.equal(sim.handle('FOO;*OPC?'), undefined);
    assert.deepEqual(errors(), [-113]);
    assert.equal(sim.handle('VOLT:DC:RANG 5000;*OPC?'), '1');
    assert.deepEqual(errors(), [-222]);
  });

  it('raises each standard error code from the command that causes it', () => {
    const cases: [string, number][] = [
      ['MEAS::VOLT?', -100],
      ['MEAS$VOLT?', -101],
      ['DISP:TEXT "open', -102],
      ['VOLT:RANG 1 2', -102],
      ['*RST 1', -108],
      ['MEAS:VOLT:DC? 10,0.001,5', -108],
      ['VOLT:DC:RANG', -109],
      ['*ESE', -109],
      ['FOO:BAR?', -113],
      ['MEAS2:VOLT?', -114],
      ['FETC?', -200],
      ['MEAS:VOLT:DC? 10,1E-12', -221],
      ['VOLT:DC:RANG 5000', -222],
      ['VOLT:DC:RANG -1001', -222],
      ['VOLT:DC:RANG FOO', -224],
      ['VOLT:DC:RANG:AUTO MAYBE', -224],
    ];
    for (const [command, code] of cases) {
      const { sim, errors } = dmm();
      sim.handle(command);
      assert.deepEqual(errors(), [code], command);
    }
  });

  it('queue: oldest first, -350 on overflow, *RST keeps it, *CLS empties it', () => {
    const { sim, errors } = dmm();
    sim.handle('VOLT:DC:RANG 5000');
    sim.handle('FOO?');
    sim.handle('*RST');
    assert.deepEqual(errors(), [-222, -113]);
    for (let i = 0; i < 25; i++) sim.handle('FOO?');
    const codes = errors();
    assert.equal(codes.length, 20);
    assert.deepEqual(codes.slice(0, 2), [-113, -113]);
    assert.equal(codes.at(-1), -350);
    sim.handle('FOO?');
    sim.handle('*CLS');
    assert.equal(sim.handle('SYST:ERR?'), '0,"No error"');
    assert.equal(sim.handle('SYST:ERR:COUN?'), '0');
  });

  it('reports errors in *ESR? (read clears) and the queue in *STB? bit 2', () => {
    const { sim } = dmm();
    assert.equal(sim.handle('*STB?'), '0');
    sim.handle('FOO');
    sim.handle('VOLT:DC:RANG 5000');
    assert.equal(sim.handle('*STB?'), '4');
    assert.equal(sim.handle('*ESR?'), String(0x20 | 0x10));
    assert.equal(sim.handle('*ESR?'), '0');
    sim.handle('*ESE 32');
    assert.equal(sim.handle('*ESE?'), '32');
  });
});

describe('ScpiDmmSimProtocol: measuring the photodiode', () => {
  it('reads the dark offset with the laser off, and 4 V/W of the transmitted power with it on', async () => {
    const { sim, lab, clock, volts } = dmm();
    assert.ok(Math.abs(volts() - 1.2e-3) < 5e-4, `dark reading ${volts()}`);
    await lightOn(lab, clock);
    const expected = 1.2e-3 + lab.photodiodeVPerW * lab.beamPowerW();
    assert.ok(expected > 1, 'the beam reaches the photodiode');
    assert.ok(Math.abs(volts() - expected) < 1e-3, `${volts()} vs ${expected}`);
    lab.axis(1).moveTo(-5);
    await clock.advance(3_000);
    assert.ok(volts() < 2e-3, 'the knife edge blocks the beam');
    assert.equal(sim.handle('SYST:ERR?'), '0,"No error"');
  });

  it('autorange picks the range that holds the reading; a fixed small range overloads', async () => {
    const { sim, lab, clock, volts } = dmm();
    await lightOn(lab, clock);
    lab.axis(1).moveTo(5);
    await clock.advance(3_000);
    const full = volts();
    assert.ok(full > 10 && full < 12, `full beam ${full} V`);
    assert.equal(sim.handle('VOLT:DC:RANG?'), '+1.00000000E+01');
    sim.handle('VOLT:DC:RANG 1');
    assert.equal(sim.handle('VOLT:DC:RANG:AUTO?'), '0');
    assert.equal(sim.handle('READ?'), '+9.90000000E+37');
    const onHundred = volts('MEAS:VOLT:DC? 100');
    assert.ok(Math.abs(onHundred - full) < 1e-3, `${onHundred} on the 100 V range`);
    assert.equal(sim.handle('VOLT:DC:RANG?'), '+1.00000000E+02');
  });

  it('READ? is INIT then FETC?; FETC? repeats the last reading; CONF discards it', async () => {
    const { sim, lab, clock, errors } = dmm();
    await lightOn(lab, clock);
    const read = sim.handle('READ?');
    assert.equal(sim.handle('FETC?'), read);
    sim.handle('INIT');
    const fetched = sim.handle('FETC?');
    assert.equal(sim.handle('FETCH?'), fetched);
    sim.handle('CONF:VOLT:DC 10');
    assert.equal(sim.handle('CONF?'), '"VOLT +1.00000000E+01,+3.00000000E-06"');
    assert.equal(sim.handle('FETC?'), undefined);
    assert.deepEqual(errors(), [-200]);
  });

  it('MEAS with range and resolution configures like CONF', () => {
    const { sim, errors } = dmm();
    sim.handle('MEAS:VOLT:DC? 0.5,MIN');
    assert.equal(sim.handle('CONF?'), '"VOLT +1.00000000E+00,+1.00000000E-07"');
    sim.handle('MEAS:VOLT:DC? MAX,DEF');
    assert.equal(sim.handle('VOLT:RANG?'), '+1.00000000E+03');
    sim.handle('*RST');
    assert.equal(sim.handle('VOLT:DC:RANG:AUTO?'), '1');
    assert.deepEqual(errors(), []);
  });
});
