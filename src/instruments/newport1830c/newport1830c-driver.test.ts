import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.ts';
import { isBenchtopError } from '../../core/errors.ts';
import { LineSimulatorServer } from '../../sim/line-simulator-server.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { type FaultDrill, faultThenRecover, powerCycle, replyFaultDrills } from '../testing/fault-drills.ts';
import { eventually, type SimRig, startSimRig } from '../testing/sim-rig.ts';
import { newport1830cKind } from './kind.ts';
import { formatReading } from './newport1830c-protocol.ts';
import { Newport1830cSimProtocol, rangeFullScaleW } from './newport1830c-sim.ts';

const newLab = () =>
  new VirtualLab({ clock: new ManualClock(), seed: 5, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 10 });

/** A rig whose simulator protocol the test keeps, to look at and change the meter's state. */
async function meterRig(
  options: { pollIntervalMs?: number; wrap?: (p: Newport1830cSimProtocol) => Newport1830cSimProtocol } = {},
) {
  const lab = newLab();
  const protocols: Newport1830cSimProtocol[] = [];
  const rig = await startSimRig({
    kind: newport1830cKind,
    id: 'meter',
    lab,
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
    makeServer: () => {
      const protocol = new Newport1830cSimProtocol(lab, { echo: true });
      protocols.push(protocol);
      return new LineSimulatorServer('Newport1830C', options.wrap?.(protocol) ?? protocol, {
        readTerminator: '\n',
        replyTerminator: '\n',
      });
    },
  });
  return { rig, lab, meter: () => protocols.at(-1)!.state };
}

const stdDev = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
};

describe('Newport1830C driver on its simulator', () => {
  let rig: SimRig;
  let meter: () => Newport1830cSimProtocol['state'];
  before(async () => {
    ({ rig, meter } = await meterRig());
    assert.equal(rig.instrument.state, 'ready');
  });
  after(() => rig.close());

  it('connects through a meter left in echo mode, switches echo off and reads its settings', () => {
    assert.equal(rig.server.received[0], 'E0');
    assert.equal(meter().echo, false);
    assert.equal(rig.instrument.identity?.model, 'Newport 1830-C');
    assert.match(rig.instrument.identity?.raw ?? '', /units W, wavelength 800 nm/);
  });

  it('describes every signal and action with types, units and choices', () => {
    const d = rig.instrument.describe();
    const s = Object.fromEntries(d.signals.map((x) => [x.name, x]));
    assert.deepEqual(Object.keys(s).sort(), [
      'attenuator',
      'filter',
      'power',
      'range',
      'units',
      'wavelength',
      'zero_enabled',
    ]);
    assert.equal(s.power!.monitored, true);
    assert.equal(s.power!.writable, false);
    assert.deepEqual(s.wavelength!.limits, { min: 1, max: 10_000 });
    assert.equal(s.wavelength!.dtype, 'integer');
    assert.deepEqual(s.units!.choices, ['W', 'dB', 'dBm', 'REL']);
    assert.deepEqual(s.range!.choices, ['auto', '1', '2', '3', '4', '5', '6', '7', '8']);
    assert.deepEqual(s.filter!.choices, ['slow', 'medium', 'fast']);
    assert.deepEqual(d.actions.map((a) => a.name).sort(), ['store_reference', 'zero']);
  });

  it('reads power in W', async () => {
    const r = await rig.instrument.read('power');
    assert.equal(r.unit, 'W');
    assert.equal(typeof r.value, 'number');
    assert.ok(Math.abs((r.value as number) - 4e-8) < 2e-8, `ambient light, got ${r.value}`);
    assert.deepEqual(rig.server.received.slice(-2), ['D?', 'Q?'], 'the reading, then its status byte');
  });

  it('writes and reads back every setting, sending the meter its exact commands', async () => {
    const cases: [string, unknown, string][] = [
      ['wavelength', 1064, 'W1064'],
      ['wavelength', 633, 'W0633'],
      ['range', '5', 'R5'],
      ['range', 'auto', 'R0'],
      ['attenuator', true, 'A1'],
      ['filter', 'slow', 'F1'],
      ['filter', 'fast', 'F3'],
      ['zero_enabled', true, 'Z1'],
      ['zero_enabled', false, 'Z0'],
      ['attenuator', false, 'A0'],
    ];
    for (const [signal, value, command] of cases) {
      const from = rig.server.received.length;
      await rig.instrument.write(signal, value);
      assert.equal(rig.server.received[from], command, `${signal} = ${value}`);
      assert.equal((await rig.instrument.read(signal)).value, value, `${signal} reads back`);
    }
    assert.equal(meter().wavelengthNm, 633);
    assert.equal(meter().filter, 'fast');
  });

  it('power takes the unit of the meter setting', async () => {
    await rig.instrument.write('units', 'dBm');
    assert.equal(meter().units, 'dBm');
    const dBm = await rig.instrument.read('power');
    assert.equal(dBm.unit, 'dBm');
    assert.ok((dBm.value as number) < -40, `ambient light in dBm, got ${dBm.value}`);
    assert.equal(rig.instrument.describe().signals.find((s) => s.name === 'power')!.unit, 'dBm');
    await rig.instrument.write('units', 'W');
    assert.equal((await rig.instrument.read('power')).unit, 'W');
  });

  it('zero switches on background subtraction; store_reference makes REL read 1', async () => {
    await rig.instrument.write('filter', 'slow');
    assert.deepEqual(await rig.instrument.call('zero'), { zeroed: true });
    assert.equal(meter().zeroed, true);
    assert.equal((await rig.instrument.read('zero_enabled')).value, true);
    const zeroed = (await rig.instrument.read('power')).value as number;
    assert.ok(Math.abs(zeroed) < 1e-8, `zeroed dark reading ${zeroed}`);
    await rig.instrument.write('zero_enabled', false);
    const from = rig.server.received.length;
    assert.deepEqual(await rig.instrument.call('store_reference'), { stored: true });
    assert.equal(rig.server.received[from], 'S');
    await rig.instrument.write('units', 'REL');
    const rel = (await rig.instrument.read('power')).value as number;
    assert.ok(Math.abs(rel - 1) < 0.05, `REL right after S: ${rel}`);
    await rig.instrument.write('units', 'W');
  });

  it('rejects out-of-range and wrongly typed writes before anything reaches the wire', async () => {
    const sent = rig.server.received.length;
    const bad: [string, unknown, string][] = [
      ['wavelength', 0, 'VALUE_OUT_OF_RANGE'],
      ['wavelength', 10_001, 'VALUE_OUT_OF_RANGE'],
      ['wavelength', 800.5, 'VALUE_INVALID'],
      ['wavelength', '800', 'VALUE_INVALID'],
      ['units', 'mW', 'VALUE_INVALID'],
      ['range', '9', 'VALUE_INVALID'],
      ['range', 3, 'VALUE_INVALID'],
      ['attenuator', 'yes', 'VALUE_INVALID'],
      ['filter', 'glacial', 'VALUE_INVALID'],
      ['power', 1, 'SIGNAL_READ_ONLY'],
    ];
    for (const [signal, value, code] of bad) {
      await assert.rejects(
        rig.instrument.write(signal, value),
        (e) => isBenchtopError(e, code as never),
        signal,
      );
    }
    await assert.rejects(rig.instrument.call('zero', { now: true }), (e) =>
      isBenchtopError(e, 'VALIDATION_FAILED'),
    );
    assert.equal(rig.server.received.length, sent, 'nothing was sent');
  });

  it('copes with echo switched back on behind its back (meter power-cycled)', async () => {
    meter().echo = true;
    await rig.instrument.write('wavelength', 900);
    assert.equal((await rig.instrument.read('wavelength')).value, 900);
    assert.equal(typeof (await rig.instrument.read('power')).value, 'number');
    await rig.instrument.write('filter', 'medium');
    assert.equal((await rig.instrument.read('filter')).value, 'medium');
    meter().echo = false;
    assert.equal((await rig.instrument.read('wavelength')).value, 900);
    assert.equal(rig.instrument.state, 'ready');
  });

  it('reading noise is smaller with the slow filter than with fast', async () => {
    const spread = async (filter: string) => {
      await rig.instrument.write('filter', filter);
      const values: number[] = [];
      for (let i = 0; i < 150; i++) values.push((await rig.instrument.read('power')).value as number);
      return stdDev(values);
    };
    const slow = await spread('slow');
    const fast = await spread('fast');
    assert.ok(fast / slow > 2, `slow ${slow}, fast ${fast}: averaging 16 readings should cut the spread ~4x`);
  });
});

/** Laser warm, emitting at 800 nm with the shutter open, axis 1 out of the beam (the lab's own clock). */
async function lightOn(lab: VirtualLab) {
  const clock = lab.clock as ManualClock;
  await clock.advance(10_000);
  lab.laser.emission = true;
  lab.laser.setShutter(true);
  lab.axis(1).moveTo(25);
  await clock.advance(20_000);
}

const overRange = (range: string) => (e: unknown) =>
  isBenchtopError(e, 'INSTRUMENT_ERROR') &&
  e.details.condition === 'over-range' &&
  e.details.range === range &&
  e.message.includes(range === 'auto' ? 'auto range' : `range ${range} (R${range})`);

describe('Newport1830C driver: ranges and the attenuator', () => {
  let rig: SimRig;
  let lab: VirtualLab;
  before(async () => {
    ({ rig, lab } = await meterRig());
    await lightOn(lab);
    await rig.instrument.write('filter', 'slow');
    await rig.instrument.call('zero');
  });
  after(() => rig.close());

  it('the full beam on auto range reads the beam', async () => {
    const beam = lab.beamPowerW();
    const { value } = await rig.instrument.read('power');
    assert.ok(Math.abs((value as number) - beam) / beam < 0.01, `${value} W vs ${beam} W`);
  });

  it('a manual range too low is an INSTRUMENT_ERROR naming the range; the actor stays ready', async () => {
    await rig.instrument.write('range', '5');
    const from = rig.server.received.length;
    await assert.rejects(rig.instrument.read('power'), (e) => {
      assert.ok(overRange('5')(e), String(e));
      const shown = (e as { details: { reading: number } }).details.reading;
      assert.equal(
        formatReading(shown),
        formatReading(rangeFullScaleW(5, 800, false)),
        'the clamped reading',
      );
      return true;
    });
    assert.deepEqual(rig.server.received.slice(from), ['D?', 'Q?', 'C', 'R?']);
    assert.equal(rig.instrument.state, 'ready');
    // In dBm too: the status byte, not the number, is what tells.
    await rig.instrument.write('units', 'dBm');
    await assert.rejects(rig.instrument.read('power'), overRange('5'));
    await rig.instrument.write('units', 'W');
    await rig.instrument.write('range', 'auto');
    const beam = lab.beamPowerW();
    const { value } = await rig.instrument.read('power');
    assert.ok(Math.abs((value as number) - beam) / beam < 0.01, `back on auto: ${value} W`);
  });

  it('a range far too high reads in coarse counts of that range', async () => {
    lab.axis(1).moveTo(-1);
    await (lab.clock as ManualClock).advance(30_000);
    const beam = lab.beamPowerW();
    await rig.instrument.write('range', '8');
    const count = rangeFullScaleW(8, 800, false) / 10_000;
    const { value } = await rig.instrument.read('power');
    assert.ok(beam < count, `${beam} W is less than one count (${count} W) of R8`);
    assert.equal(value, 0, 'below one count of R8 reads zero');
    await rig.instrument.write('range', 'auto');
    const fine = (await rig.instrument.read('power')).value as number;
    assert.ok(Math.abs(fine - beam) / beam < 0.01, `auto: ${fine} W vs ${beam} W`);
    lab.axis(1).moveTo(25);
    await (lab.clock as ManualClock).advance(30_000);
  });

  it('attenuator on without one fitted reads 1000x high; fitted, it reads right and R5 holds the full beam', async () => {
    const beam = lab.beamPowerW();
    await rig.instrument.write('attenuator', true);
    const high = (await rig.instrument.read('power')).value as number;
    assert.ok(Math.abs(high / beam - 1000) < 10, `A1, nothing fitted: ${high / beam} x the beam`);
    lab.meterAttenuatorFitted = true;
    await rig.instrument.write('range', '5');
    const onR5 = (await rig.instrument.read('power')).value as number;
    assert.ok(Math.abs(onR5 - beam) / beam < 0.01, `fitted, A1, R5: ${onR5} W vs ${beam} W`);
    lab.meterAttenuatorFitted = false;
    await assert.rejects(rig.instrument.read('power'), overRange('5'), 'without it R5 is too low again');
    await rig.instrument.write('attenuator', false);
    await rig.instrument.write('range', 'auto');
  });
});

describe('Newport1830C driver: over range while monitoring', () => {
  it('publishes no over-range reading, and publishes again once the range holds the light', async () => {
    const { rig, lab } = await meterRig({ pollIntervalMs: 20 });
    try {
      await lightOn(lab);
      await rig.instrument.write('range', '4');
      const mark = rig.readings.length;
      const cleared = () => rig.server.received.filter((line) => line === 'C').length;
      const before = cleared();
      await eventually(() => cleared() >= before + 3, 'three polls that found the reading over range');
      assert.ok(
        rig.readings.slice(mark).every((r) => r.signal !== 'power'),
        'no over-range reading was published',
      );
      await rig.instrument.write('range', 'auto');
      const back = rig.readings.length;
      await eventually(() => rig.readings.slice(back).some((r) => r.signal === 'power'), 'a good reading');
      const reading = rig.readings.slice(back).find((r) => r.signal === 'power')!;
      assert.equal(reading.quality, 'good');
      assert.ok(Math.abs((reading.value as number) - lab.beamPowerW()) / lab.beamPowerW() < 0.02);
      assert.equal(rig.instrument.state, 'ready');
    } finally {
      await rig.close();
    }
  });
});

describe('Newport1830C driver: a setting the meter does not take', () => {
  it('is an INSTRUMENT_ERROR naming the command, and the actor stays ready', async () => {
    // A meter whose detector refuses other wavelengths: W setters are silently ignored.
    const { rig } = await meterRig({
      wrap: (p) =>
        Object.assign(Object.create(p) as Newport1830cSimProtocol, {
          handle: (line: string) => (/^W\d/i.test(line.trim()) ? undefined : p.handle(line)),
        }),
    });
    try {
      await assert.rejects(
        rig.instrument.write('wavelength', 1550),
        (e) =>
          isBenchtopError(e, 'INSTRUMENT_ERROR') &&
          e.details.command === 'W1550' &&
          e.details.readBack === '800 nm',
      );
      assert.equal(rig.instrument.state, 'ready');
      assert.equal((await rig.instrument.read('wavelength')).value, 800);
    } finally {
      await rig.close();
    }
  });
});

describe('Newport1830C driver: faults', () => {
  let rig: SimRig;
  before(async () => {
    ({ rig } = await meterRig());
  });
  after(() => rig.close());

  const drills: FaultDrill[] = [
    ...replyFaultDrills,
    {
      title: 'no reply at all → INSTRUMENT_TIMEOUT, reconnect',
      fault: { kind: 'silent' },
      code: 'INSTRUMENT_TIMEOUT',
    },
  ];
  for (const drill of drills) {
    it(drill.title, async () => {
      await faultThenRecover(rig, drill, 'power');
      const { value } = await rig.instrument.read('power');
      assert.equal(typeof value, 'number', `works again after ${drill.fault.kind}`);
    });
  }

  it('meter switched off and on: fails fast while away, reconnects on the same port', async () => {
    await powerCycle(rig, [() => rig.instrument.read('power'), () => rig.instrument.write('filter', 'slow')]);
    assert.equal(rig.server.received[0], 'E0', 'the new connection set the meter up again');
    await rig.instrument.write('filter', 'slow');
    assert.equal((await rig.instrument.read('filter')).value, 'slow');
  });
});

describe('Newport1830C driver: monitoring', () => {
  it('publishes power readings on its own, with the unit the meter is set to', async () => {
    const { rig } = await meterRig({ pollIntervalMs: 20 });
    try {
      await eventually(() => rig.readings.some((r) => r.signal === 'power'), 'a polled power reading');
      assert.equal(rig.readings.find((r) => r.signal === 'power')!.unit, 'W');
      await rig.instrument.write('units', 'dBm');
      const mark = rig.readings.length;
      await eventually(
        () => rig.readings.slice(mark).some((r) => r.signal === 'power' && r.unit === 'dBm'),
        'a polled reading in dBm',
      );
      assert.ok(rig.readings.every((r) => r.instrument === 'meter' && r.quality === 'good'));
    } finally {
      await rig.close();
    }
  });
});
