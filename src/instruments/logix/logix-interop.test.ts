import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.ts';
import { LineStates, ProductionLine } from '../../sim/production-line.ts';
import { CipTypeCodes } from './cip-types.ts';
import { createLinePlcSimulator } from './line-plc-simulator.ts';
import { RECIPE_SETPOINTS, TEMP_ZONES } from './logix-line-program.ts';
import type { LogixSimServer } from './logix-sim-server.ts';

/**
 * Two independent EtherNet/IP clients from npm against the simulator: st-ethernet-ip with
 * connected messaging and a full connect (Forward Open, identity, tag list), and ethernet-ip
 * 1.2.5 with unconnected sends. Both hard-code port 44818, so each suite has its own loopback
 * address (the whole of 127/8 reaches lo on Linux).
 */
const require = createRequire(import.meta.url);
const st = require('st-ethernet-ip');
const legacy = require('ethernet-ip');

interface Rig {
  clock: ManualClock;
  line: ProductionLine;
  sim: LogixSimServer;
}

async function startRig(host: string): Promise<Rig> {
  const clock = new ManualClock();
  const line = new ProductionLine({ clock, idealCycleMs: 1000, jitter: 0 });
  const sim = createLinePlcSimulator({ clock, line });
  await sim.listen(44818, host);
  return { clock, line, sim };
}

describe('st-ethernet-ip (connected, full connect) against the Logix simulator', () => {
  let rig: Rig;
  // biome-ignore lint/suspicious/noExplicitAny: the library's own types are not part of this build
  let plc: any;
  before(async () => {
    rig = await startRig('127.0.0.31');
    plc = new st.Controller(true);
    // The library leaves each request's timeout timer running; a short one lets the file end sooner.
    plc.timeout_sp = 2000;
    await plc.connect('127.0.0.31', 0);
  });
  after(async () => {
    await plc.disconnect().catch(() => {});
    rig.line.dispose();
    await rig.sim.close();
  });

  it('connects with Forward Open, reads the identity and the whole tag list', () => {
    assert.equal(plc.properties.name, '1756-L83E/B');
    assert.equal(plc.properties.version, '33.11');
    assert.equal(plc.properties.run, true);
    assert.equal(rig.sim.controller.openConnections, 1);
    const names = plc.tagList.map((t: { name: string }) => t.name);
    assert.ok(names.includes('Line.State'));
    assert.ok(names.includes('Recipe.Setpoints'));
    const temps = plc.tagList.find((t: { name: string }) => t.name === 'Temps');
    assert.equal(temps.type.typeName, 'REAL');
    assert.equal(temps.type.arrayDims, 1);
  });

  it('writes BOOL Line.RunCmd (the line runs) and reads DINT Line.State and Part.Counter', async () => {
    const run = new st.Tag('Line.RunCmd');
    await plc.readTag(run);
    assert.equal(run.value, false);
    await plc.writeTag(run, true);
    assert.equal(rig.line.state, LineStates.running);
    await rig.clock.advance(3000);
    const state = new st.Tag('Line.State');
    const counter = new st.Tag('Part.Counter');
    await plc.readTag(state);
    await plc.readTag(counter);
    assert.equal(state.value, LineStates.running);
    assert.equal(counter.value, 3);
  });

  it('writes DINT Quality.Result back (the line counts it) and REAL, arrays and a bit', async () => {
    // st-ethernet-ip sizes a write from the value already on the tag: set it first.
    const result = new st.Tag('Quality.Result', null, CipTypeCodes.DINT);
    result.value = 1;
    await plc.writeTag(result);
    assert.equal(rig.line.passCount, 1);

    const pressure = new st.Tag('Process.Pressure');
    await plc.readTag(pressure);
    assert.ok(Math.abs(pressure.value - 6) < 0.5, `pressure ${pressure.value}`);

    const temps = new st.Tag('Temps', null, null, 0, 1, TEMP_ZONES);
    await plc.readTag(temps);
    assert.equal(temps.value.length, TEMP_ZONES);
    assert.ok(temps.value.every((t: number) => t > 170 && t < 200));

    // 200 REALs are 800 bytes: the write goes out fragmented (0x53), the read comes back in 0x52 pieces.
    const setpoints = new st.Tag('Recipe.Setpoints', null, CipTypeCodes.REAL, 0, 1, RECIPE_SETPOINTS);
    const wanted = Array.from({ length: RECIPE_SETPOINTS }, (_, i) => i * 0.5);
    setpoints.value = wanted;
    await plc.writeTag(setpoints);
    assert.deepEqual(rig.sim.controller.db.get('Recipe.Setpoints')!.values(), wanted);
    const back = new st.Tag('Recipe.Setpoints', null, null, 0, 1, RECIPE_SETPOINTS);
    await plc.readTag(back);
    assert.deepEqual(back.value, wanted);

    const bit = new st.Tag('Maintenance.Flags.3', null, CipTypeCodes.DINT);
    bit.value = true;
    await plc.writeTag(bit);
    assert.equal(rig.sim.controller.db.read('Maintenance.Flags'), 8);
    const bitBack = new st.Tag('Maintenance.Flags.3');
    await plc.readTag(bitBack);
    assert.equal(bitBack.value, true);
  });

  it('reads a tag group in one Multiple Service Packet', async () => {
    const group = new st.TagGroup();
    const tags = [
      'Line.State',
      'Part.Counter',
      'Process.Temperature',
      'Maintenance.Shift',
      'Maintenance.Operators',
    ].map((n) => new st.Tag(n));
    for (const t of tags) group.add(t);
    await plc.readTagGroup(group);
    assert.deepEqual(
      tags.map((t) => typeof t.value),
      ['number', 'number', 'number', 'number', 'number'],
    );
    assert.equal(tags[3]!.value, 1);
    assert.equal(tags[4]!.value, 3);
  });

  it('gets status 0x04 for an unknown tag', async () => {
    await assert.rejects(plc.readTag(new st.Tag('No.Such.Tag')), (e: { generalStatusCode: number }) => {
      assert.equal(e.generalStatusCode, 0x04);
      return true;
    });
  });
});

describe('ethernet-ip 1.2.5 (unconnected send) against the Logix simulator', () => {
  let rig: Rig;
  // biome-ignore lint/suspicious/noExplicitAny: the library has no types
  let plc: any;
  before(async () => {
    rig = await startRig('127.0.0.32');
    plc = new legacy.Controller();
    await plc.connect('127.0.0.32', 0);
  });
  after(async () => {
    plc.destroy();
    rig.line.dispose();
    await rig.sim.close();
  });

  it('reads the identity with Get Attribute All through Unconnected Send', () => {
    assert.equal(plc.properties.name, '1756-L83E/B');
    assert.equal(plc.properties.serial_number, 0x00c0ffee);
    assert.equal(rig.sim.controller.openConnections, 0);
  });

  it('reads and writes DINT, REAL, BOOL and an array element', async () => {
    const run = new legacy.Tag('Line.RunCmd');
    await plc.readTag(run);
    await plc.writeTag(run, true);
    assert.equal(rig.line.runCommanded, true);
    await rig.clock.advance(2000);
    const counter = new legacy.Tag('Part.Counter');
    await plc.readTag(counter);
    assert.equal(counter.value, 2);

    const result = new legacy.Tag('Quality.Result', null, CipTypeCodes.DINT);
    await plc.writeTag(result, 2);
    assert.equal(rig.line.failCountTotal, 1);

    const setpoint = new legacy.Tag('Recipe.Setpoints[7]', null, CipTypeCodes.REAL);
    await plc.writeTag(setpoint, 42.25);
    const again = new legacy.Tag('Recipe.Setpoints[7]');
    await plc.readTag(again);
    assert.equal(again.value, 42.25);
    assert.equal(rig.sim.controller.db.read('Recipe.Setpoints', 7), 42.25);

    const zone = new legacy.Tag('Temps[3]');
    await plc.readTag(zone);
    assert.ok(zone.value > 170 && zone.value < 200);
  });

  it('gets status 0x04 for an unknown tag', async () => {
    await assert.rejects(plc.readTag(new legacy.Tag('Nope')), (e: { generalStatusCode: number }) => {
      assert.equal(e.generalStatusCode, 0x04);
      return true;
    });
  });
});
