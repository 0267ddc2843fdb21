import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signalGlob } from './signal-glob.ts';

const matching = (pattern: string, paths: string[]) => paths.filter((p) => signalGlob(pattern).matches(p));

describe('signalGlob', () => {
  const paths = [
    'plc.mfc1_setpoint',
    'plc.mfc1_flow',
    'plc.axis1.position',
    'plc.chamber_temperature',
    'plc2.pump',
    'xplc.pump',
    'oven.temperature',
    'oven.zone1.temperature',
    'oven.temperature_setpoint',
    'plcXmfc1_flow',
  ];

  it('* is any run of characters, dots included: plc.* is every signal of plc however deep', () => {
    assert.deepEqual(matching('plc.*', paths), [
      'plc.mfc1_setpoint',
      'plc.mfc1_flow',
      'plc.axis1.position',
      'plc.chamber_temperature',
    ]);
  });

  it('a prefix within a signal name, and a suffix across instruments', () => {
    assert.deepEqual(matching('plc.mfc*', paths), ['plc.mfc1_setpoint', 'plc.mfc1_flow']);
    assert.deepEqual(matching('*.temperature', paths), ['oven.temperature', 'oven.zone1.temperature']);
    assert.deepEqual(matching('*', paths), paths);
  });

  it('everything but * stands for itself: a dot is a dot, no * is one exact path', () => {
    assert.deepEqual(matching('plc.mfc1_flow', paths), ['plc.mfc1_flow']);
    assert.deepEqual(matching('plc.axis1.*', paths), ['plc.axis1.position']);
    assert.deepEqual(matching('plc-*', ['plc-2.a', 'plcX2.a']), ['plc-2.a']);
  });

  it('says which instruments it could reach, so only those are described', () => {
    const reach = (pattern: string) =>
      ['plc', 'plc2', 'oven'].filter((id) => signalGlob(pattern).mayMatchInstrument(id));
    assert.deepEqual(reach('plc.*'), ['plc']);
    assert.deepEqual(reach('plc*'), ['plc', 'plc2']);
    assert.deepEqual(reach('*.temperature'), ['plc', 'plc2', 'oven']);
    assert.deepEqual(reach('oven.zone1.temperature'), ['oven']);
  });
});
