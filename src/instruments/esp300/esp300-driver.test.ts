import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isBenchtopError } from '../../core/errors.ts';
import type { Instrument } from '../../core/instrument.ts';
import { type Esp300Rig, startEsp300Rig } from './esp300-test-rig.ts';

const num = async (instrument: Instrument, signal: string) => (await instrument.read(signal)).value as number;

/**
 * Starts a write that completes later and reads `signal` until the write settles, recording
 * what was read while it was still pending and the lab's state at the moment it settled.
 */
async function watchMove(rig: Esp300Rig, start: () => Promise<void>, signal: string, axis: number) {
  let settled = false;
  let movingWhenSettled: boolean | null = null;
  const move = start().finally(() => {
    settled = true;
    movingWhenSettled = rig.lab.axis(axis).isMoving();
  });
  move.catch(() => {});
  const during: number[] = [];
  for (let i = 0; i < 20_000 && !settled; i++) {
    const value = await num(rig.instrument, signal);
    if (!settled) during.push(value);
  }
  await move;
  return { during, movingWhenSettled: movingWhenSettled as boolean | null };
}

/** Reads `signal` until `predicate` holds (bounded), e.g. until a slow move is under way. */
async function readUntil(instrument: Instrument, signal: string, predicate: (v: number) => boolean) {
  for (let i = 0; i < 20_000; i++) {
    const value = await num(instrument, signal);
    if (predicate(value)) return value;
  }
  throw new Error(`${signal} never satisfied the condition`);
}

describe('ESP300 driver against its simulator (TCP, actor, supervisor, facade)', () => {
  let rig: Esp300Rig;
  before(async () => {
    rig = await startEsp300Rig({ config: { axes: 3 } });
  });
  after(() => rig.close());

  it('identifies the controller and configures units and software limits at connect', () => {
    assert.deepEqual(rig.instrument.identity, {
      model: 'ESP300',
      firmware: '3.04',
      raw: 'ESP300 Version 3.04 07/30/03',
    });
    const received = rig.wire;
    assert.equal(received[0], 'VE?');
    for (const n of [1, 2, 3]) {
      assert.ok(received.includes(`${n}SN2;${n}SL-25;${n}SR25`), `axis ${n} setup sent`);
      assert.ok(received.includes(`${n}VU?`));
    }
    assert.equal(rig.actor.state, 'ready');
  });

  it('describes every contract signal and action with units, limits and completion', () => {
    const d = rig.instrument.describe();
    const signal = (name: string) => d.signals.find((s) => s.name === name);
    for (const n of [1, 2, 3]) {
      const position = signal(`axis${n}.position`)!;
      assert.deepEqual(
        {
          unit: position.unit,
          limits: position.limits,
          completes: position.completes,
          rw: [position.readable, position.writable],
        },
        { unit: 'mm', limits: { min: -25, max: 25 }, completes: true, rw: [true, true] },
      );
      assert.equal(position.monitored, true);
      const velocity = signal(`axis${n}.velocity`)!;
      assert.deepEqual(
        { unit: velocity.unit, limits: velocity.limits },
        { unit: 'mm/s', limits: { min: 1e-6, max: 25 } },
      );
      assert.deepEqual(
        [signal(`axis${n}.moving`)!.dtype, signal(`axis${n}.moving`)!.writable],
        ['boolean', false],
      );
      assert.equal(signal(`axis${n}.desired`)!.writable, false);
      assert.equal(signal(`axis${n}.motor_on`)!.writable, true);
    }
    const actions = d.actions.map((a) => `${a.name}${a.completes ? '*' : ''}`).sort();
    assert.deepEqual(actions, [
      'axis1.home*',
      'axis1.move_relative*',
      'axis1.stop*',
      'axis2.home*',
      'axis2.move_relative*',
      'axis2.stop*',
      'axis3.home*',
      'axis3.move_relative*',
      'axis3.stop*',
      'stop_all*',
    ]);
    for (const s of d.signals) assert.ok(s.description.length > 10, `${s.name} has a description`);
  });

  it('a position write returns only after motion is done; reads during the move are intermediate', async () => {
    await rig.instrument.write('axis1.velocity', 10);
    assert.equal(await num(rig.instrument, 'axis1.velocity'), 10);
    const mark = rig.wire.length;
    // 3 mm at 10 mm/s: about 0.3 s of real motion.
    const { during, movingWhenSettled } = await watchMove(
      rig,
      () => rig.instrument.write('axis1.position', 3),
      'axis1.position',
      1,
    );
    assert.equal(movingWhenSettled, false);
    assert.ok(
      during.some((p) => p > 0 && p < 3),
      `an intermediate position was read during the move (read ${during.length} values)`,
    );
    assert.equal(await num(rig.instrument, 'axis1.position'), 3);
    assert.equal(await num(rig.instrument, 'axis1.desired'), 3);
    assert.equal((await rig.instrument.read('axis1.moving')).value, false);
    assert.equal(rig.lab.axis(1).position(), 3);
    const wire = rig.wire.slice(mark);
    assert.equal(wire.filter((l) => l === '1PA3').length, 1);
    assert.ok(wire.includes('1MD?'));
    assert.ok(wire.includes('TE?'));
  });

  it('stop interrupts a move, and the interrupted write completes where the axis stopped', async () => {
    await rig.instrument.write('axis2.velocity', 1);
    let stopped = false;
    const move = rig.instrument.write('axis2.position', 10).then(() => {
      stopped = true;
    });
    await readUntil(rig.instrument, 'axis2.position', (p) => p > 0.02);
    assert.equal(stopped, false);
    await rig.instrument.call('axis2.stop');
    assert.equal(rig.lab.axis(2).isMoving(), false);
    await move;
    const here = await num(rig.instrument, 'axis2.position');
    assert.ok(here > 0.02 && here < 10, `stopped at ${here}`);
    assert.equal(await num(rig.instrument, 'axis2.desired'), here);
    assert.ok(rig.wire.includes('2ST'));
  });

  it('stop_all stops every moving axis', async () => {
    await rig.instrument.write('axis1.velocity', 1);
    await rig.instrument.write('axis3.velocity', 1);
    await rig.instrument.write('axis1.position', -10, { wait: false });
    await rig.instrument.write('axis3.position', 10, { wait: false });
    await readUntil(rig.instrument, 'axis3.position', (p) => p > 0.02);
    await rig.instrument.call('stop_all');
    assert.equal(rig.lab.axis(1).isMoving(), false);
    assert.equal(rig.lab.axis(3).isMoving(), false);
    assert.ok((await num(rig.instrument, 'axis1.position')) > -10);
    assert.ok((await num(rig.instrument, 'axis3.position')) < 10);
    assert.ok(rig.wire.includes('ST'));
  });

  it('home completes at the home position', async () => {
    await rig.instrument.write('axis3.velocity', 20);
    await rig.instrument.write('axis3.position', 2);
    await rig.instrument.call('axis3.home');
    assert.equal(rig.lab.axis(3).isMoving(), false);
    assert.equal(rig.lab.axis(3).homed, true);
    assert.equal(await num(rig.instrument, 'axis3.position'), 0);
  });

  it('moves relative and refuses, before PR is sent, a relative move that would leave the travel range', async () => {
    await rig.instrument.write('axis1.velocity', 20);
    await rig.instrument.write('axis1.position', 3);
    await rig.instrument.call('axis1.move_relative', { delta: -1 });
    assert.equal(await num(rig.instrument, 'axis1.position'), 2);
    const mark = rig.wire.length;
    await assert.rejects(
      rig.instrument.call('axis1.move_relative', { delta: 24 }),
      (e) => isBenchtopError(e, 'VALUE_OUT_OF_RANGE') && e.details.target === 26 && e.details.max === 25,
    );
    assert.deepEqual(rig.wire.slice(mark), ['1TP'], 'only the position was read; nothing moved');
    assert.equal(await num(rig.instrument, 'axis1.position'), 2);
  });

  it('rejects out-of-range and wrongly typed values before anything reaches the wire', async () => {
    const mark = rig.wire.length;
    const cases: [string, unknown, string][] = [
      ['axis1.position', 25.001, 'VALUE_OUT_OF_RANGE'],
      ['axis1.position', -30, 'VALUE_OUT_OF_RANGE'],
      ['axis1.position', 'abc', 'VALUE_INVALID'],
      ['axis1.position', Number.NaN, 'VALUE_INVALID'],
      ['axis2.velocity', 0, 'VALUE_OUT_OF_RANGE'],
      ['axis2.velocity', -1, 'VALUE_OUT_OF_RANGE'],
      ['axis2.velocity', 26, 'VALUE_OUT_OF_RANGE'],
      ['axis3.motor_on', 'yes', 'VALUE_INVALID'],
      ['axis1.moving', true, 'SIGNAL_READ_ONLY'],
      ['axis1.desired', 1, 'SIGNAL_READ_ONLY'],
      ['axis4.position', 1, 'SIGNAL_NOT_FOUND'],
    ];
    for (const [signal, value, code] of cases) {
      await assert.rejects(
        rig.instrument.write(signal, value),
        (e) => isBenchtopError(e) && e.code === code,
        signal,
      );
    }
    await assert.rejects(rig.instrument.call('axis1.move_relative', { delta: 'x' }), (e) =>
      isBenchtopError(e, 'VALIDATION_FAILED'),
    );
    await assert.rejects(rig.instrument.call('axis1.move_relative', { delta: 51 }), (e) =>
      isBenchtopError(e, 'VALIDATION_FAILED'),
    );
    await assert.rejects(rig.instrument.call('axis1.move_relative', {}), (e) =>
      isBenchtopError(e, 'VALIDATION_FAILED'),
    );
    await assert.rejects(rig.instrument.call('axis1.teleport'), (e) =>
      isBenchtopError(e, 'ACTION_NOT_FOUND'),
    );
    assert.deepEqual(rig.wire.slice(mark), []);
  });

  it('a move on a stage the controller reports not connected is INSTRUMENT_ERROR 208 with its meaning', async () => {
    rig.protocol.disconnectStage(2);
    try {
      await assert.rejects(
        rig.instrument.write('axis2.position', 1),
        (e) =>
          isBenchtopError(e, 'INSTRUMENT_ERROR') &&
          e.details.instrumentCode === 208 &&
          e.details.meaning === 'AXIS 2: MOTOR / STAGE NOT CONNECTED' &&
          e.details.command === '2PA1',
      );
      await assert.rejects(
        rig.instrument.call('axis2.home'),
        (e) => isBenchtopError(e, 'INSTRUMENT_ERROR') && e.details.instrumentCode === 208,
      );
      assert.equal((await rig.instrument.read('axis2.motor_on')).value, false);
      assert.equal(rig.actor.state, 'ready', 'an instrument error is not a link fault');
    } finally {
      rig.protocol.connectStage(2);
    }
    await rig.instrument.write('axis2.motor_on', true);
    await rig.instrument.write('axis2.velocity', 20);
    await rig.instrument.write('axis2.position', 1);
    assert.equal(await num(rig.instrument, 'axis2.position'), 1);
  });

  it('a move that the controller ends on a fault fails with the fault code', async () => {
    await rig.instrument.write('axis1.velocity', 1);
    const move = rig.instrument.write('axis1.position', 5);
    move.catch(() => {});
    const from = await readUntil(rig.instrument, 'axis1.position', (p) => p > 2.02);
    rig.protocol.disconnectStage(1);
    try {
      await assert.rejects(
        move,
        (e) =>
          isBenchtopError(e, 'INSTRUMENT_ERROR') &&
          e.details.instrumentCode === 108 &&
          e.details.meaning === 'AXIS 1: MOTOR / STAGE NOT CONNECTED',
      );
      assert.ok((await num(rig.instrument, 'axis1.position')) >= from);
    } finally {
      rig.protocol.connectStage(1);
    }
  });

  it('a velocity the controller refuses is INSTRUMENT_ERROR 110 and the old velocity stays', async () => {
    await rig.instrument.write('axis3.velocity', 2);
    rig.protocol.handle('3VU5'); // someone lowered the maximum on the front panel
    await assert.rejects(
      rig.instrument.write('axis3.velocity', 10),
      (e) =>
        isBenchtopError(e, 'INSTRUMENT_ERROR') &&
        e.details.instrumentCode === 310 &&
        e.details.meaning === 'AXIS 3: MAXIMUM VELOCITY EXCEEDED' &&
        e.details.command === '3VA10',
    );
    assert.equal(await num(rig.instrument, 'axis3.velocity'), 2);
    rig.protocol.handle('3VU25');
  });

  it('with the motor off a move is INSTRUMENT_ERROR 113 (MOTOR NOT ENABLED); motor_on brings it back', async () => {
    await rig.instrument.write('axis1.motor_on', false);
    assert.equal((await rig.instrument.read('axis1.motor_on')).value, false);
    await assert.rejects(
      rig.instrument.write('axis1.position', 0),
      (e) => isBenchtopError(e, 'INSTRUMENT_ERROR') && e.details.instrumentCode === 113,
    );
    await rig.instrument.write('axis1.motor_on', true);
    await rig.instrument.write('axis1.velocity', 20);
    await rig.instrument.write('axis1.position', 0);
    assert.equal(await num(rig.instrument, 'axis1.position'), 0);
  });

  it('discards an unsolicited "E" line before a reply', async () => {
    rig.protocol.queueNotice('E38, COMMAND PARAMETER MISSING');
    assert.equal(await num(rig.instrument, 'axis1.position'), 0);
    assert.equal(rig.actor.state, 'ready');
  });
});

describe('ESP300 driver: units, controller-side travel limits, monitoring', () => {
  it('works in the configured units and hands the travel range to the controller', async () => {
    const rig = await startEsp300Rig({
      config: { axes: 1, units: 'um', travel_min: -5000, travel_max: 5000 },
    });
    try {
      assert.ok(rig.wire.includes('1SN3;1SL-5000;1SR5000'));
      assert.deepEqual([rig.lab.axis(1).minLimit, rig.lab.axis(1).maxLimit], [-5, 5]);
      const d = rig.instrument.describe();
      assert.deepEqual(
        d.signals
          .filter((s) => s.name.startsWith('axis1.p') || s.name.startsWith('axis1.v'))
          .map((s) => [s.name, s.unit, s.limits]),
        [
          ['axis1.position', 'um', { min: -5000, max: 5000 }],
          ['axis1.velocity', 'um/s', { min: 1e-6, max: 25_000 }],
        ],
      );
      assert.equal(
        d.signals.some((s) => s.name.startsWith('axis2.')),
        false,
      );
      await rig.instrument.write('axis1.velocity', 20_000);
      await rig.instrument.write('axis1.position', 1000);
      assert.equal(rig.lab.axis(1).position(), 1);
      assert.equal(await num(rig.instrument, 'axis1.position'), 1000);
      await assert.rejects(rig.instrument.write('axis1.position', 5001), (e) =>
        isBenchtopError(e, 'VALUE_OUT_OF_RANGE'),
      );
    } finally {
      await rig.close();
    }
  });

  it('publishes monitored position and moving readings on the bus', async () => {
    const rig = await startEsp300Rig({ config: { axes: 1 }, pollIntervalMs: 20 });
    try {
      const position = await rig.bus.once('instrument.reading', (r) => r.signal === 'axis1.position');
      const moving = await rig.bus.once('instrument.reading', (r) => r.signal === 'axis1.moving');
      assert.deepEqual(
        [position.instrument, position.value, position.unit, position.quality],
        ['stage', 0, 'mm', 'good'],
      );
      assert.equal(typeof position.timestamp, 'number');
      assert.equal(moving.value, false);
    } finally {
      await rig.close();
    }
  });
});
