import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBenchtopError } from '../../core/errors.ts';
import { startEsp300Rig } from './esp300-test-rig.ts';

/** A setter for units or limits on the wire (`1SN3`, `2SL-5`), as opposed to the queries `1SN?`. */
const setupWrites = (wire: string[]) =>
  wire.flatMap((line) => line.split(';')).filter((c) => /^\d+S[NLR](?!\?)/.test(c));

describe('ESP300: the controller keeps its own units and software limits', () => {
  it('reads SN?, SL?, SR? at connect and writes none of them when the config names none', async () => {
    const rig = await startEsp300Rig({
      config: { axes: 2 },
      controllerSetup: true,
      // The lab set axis 1 to micrometres and a short stage's limits on the front panel.
      prepare: (protocol) => protocol.handle('1SN3;1SL-4000;1SR6000'),
    });
    try {
      assert.deepEqual(setupWrites(rig.wire), []);
      assert.ok(['1SN?', '1SL?', '1SR?', '2SN?'].every((q) => rig.wire.includes(q)));
      const d = rig.instrument.describe();
      const position = (n: number) => d.signals.find((s) => s.name === `axis${n}.position`)!;
      assert.deepEqual([position(1).unit, position(1).limits], ['um', { min: -4000, max: 6000 }]);
      assert.deepEqual([position(2).unit, position(2).limits], ['mm', { min: -25, max: 25 }]);
      assert.deepEqual(
        [rig.lab.axis(1).minLimit, rig.lab.axis(1).maxLimit],
        [-4, 6],
        'the controller limits are untouched',
      );
    } finally {
      await rig.close();
    }
  });

  it('writes only the settings the config names', async () => {
    const rig = await startEsp300Rig({
      config: { axes: 1, travel_max: 10 },
      controllerSetup: true,
      prepare: (protocol) => protocol.handle('1SL-3'),
    });
    try {
      assert.deepEqual(setupWrites(rig.wire), ['1SR10']);
      const position = rig.instrument.describe().signals.find((s) => s.name === 'axis1.position')!;
      assert.deepEqual(position.limits, { min: -3, max: 10 });
    } finally {
      await rig.close();
    }
  });

  it('a move beyond the limits fails visibly and leaves the stage where it was', async () => {
    const rig = await startEsp300Rig({
      config: { axes: 1 },
      controllerSetup: true,
      prepare: (protocol) => protocol.handle('1SL-5;1SR5'),
    });
    try {
      await rig.instrument.write('axis1.position', 2);
      // Refused before anything is sent: the limits are the controller's.
      await assert.rejects(rig.instrument.write('axis1.position', 6), (e) =>
        isBenchtopError(e, 'VALUE_OUT_OF_RANGE'),
      );
      assert.equal(rig.lab.axis(1).position(), 2);
      // Limits changed on the controller after connect: the controller refuses, the error says so.
      rig.protocol.handle('1SR3');
      await assert.rejects(
        rig.instrument.write('axis1.position', 4),
        (e) => isBenchtopError(e, 'INSTRUMENT_ERROR') && /limit/i.test(e.message),
      );
      assert.equal(rig.lab.axis(1).position(), 2);
      assert.equal(rig.lab.axis(1).isMoving(), false);
    } finally {
      await rig.close();
    }
  });
});
