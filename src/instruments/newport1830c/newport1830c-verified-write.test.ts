import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { type SimRig, startSimRig } from '../testing/sim-rig.ts';
import { newport1830cKind } from './kind.ts';

describe('Newport1830C: a verified write is one setter and one read-back', () => {
  let rig: SimRig;
  before(async () => {
    const lab = new VirtualLab({
      clock: new ManualClock(),
      seed: 5,
      beamWaistMm: 0.5,
      knifeEdgeMm: 0,
      warmupS: 10,
    });
    rig = await startSimRig({ kind: newport1830cKind, id: 'meter', lab });
  });
  after(() => rig.close());

  for (const [signal, value, wire] of [
    ['wavelength', 850, ['W0850', 'W?']],
    ['filter', 'fast', ['F3', 'F?']],
    ['attenuator', true, ['A1', 'A?']],
  ] as const) {
    it(`${signal} = ${value}: the write's read-back is the reading, nothing is asked twice`, async () => {
      const from = rig.server.received.length;
      const reading = await rig.instrument.writeAndRead(signal, value);
      assert.deepEqual(rig.server.received.slice(from), wire);
      assert.equal(reading?.value, value);
      assert.equal(rig.instrument.describe().signals.find((s) => s.name === signal)?.writable, true);
    });
  }

  it('the description is kept between lookups and rebuilt when the meter changes units', async () => {
    const power = () => rig.instrument.describe().signals.find((s) => s.name === 'power')!;
    await rig.instrument.write('units', 'W');
    assert.equal(rig.instrument.describe(), rig.instrument.describe(), 'one description, kept');
    assert.equal(power().unit, 'W');
    await rig.instrument.write('units', 'dBm');
    assert.equal(power().unit, 'dBm');
    assert.equal((await rig.instrument.read('power')).unit, 'dBm');
  });
});
