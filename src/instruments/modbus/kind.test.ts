import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { ManualClock, systemClock } from '../../core/clock.ts';
import type { CallContext } from '../../core/device.ts';
import { silentLogger } from '../../core/logger.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { instrumentKinds } from '../catalog.ts';
import { ALD_MAP } from './ald-plc-program.ts';
import { modbusPlcKind } from './kind.ts';
import type { ModbusSimServer } from './modbus-sim-server.ts';

function context(): CallContext {
  return {
    id: 'plc',
    clock: systemClock,
    log: silentLogger(),
    lifetime: new AbortController().signal,
    signal: new AbortController().signal,
    linkLost: () => {},
    publish: () => {},
  };
}

describe('modbusPlcKind with config/ald.toml', () => {
  it('is registered as ModbusPlc', () => {
    assert.equal(instrumentKinds.ModbusPlc, modbusPlcKind);
  });

  it('in simulation mode runs the driver against the ALD simulator; the interlock refuses a TMA pulse with the pump off', async () => {
    const { config } = loadBenchtopConfig({
      file: new URL('../../../config/ald.toml', import.meta.url).pathname,
    });
    const entry = config.instruments.find((e) => e.id === 'plc')!;
    assert.equal(config.simulation.ports.plc, 1502);
    const points = (entry.config.points as { name: string; table: string; address: number }[]).map(
      (p) => `${p.table}:${p.address}`,
    );
    // The fixed map of the issue is what the shipped config declares.
    for (const a of [
      ALD_MAP.coils.heater,
      ALD_MAP.coils.pump,
      ALD_MAP.coils.exhaustGate,
      15,
      16,
      17,
      ALD_MAP.coils.n2Generator,
    ])
      assert.ok(points.includes(`coil:${a}`), `coil ${a}`);
    for (const a of [15, 16, 17, 18, 19, 20, 35, 36, 40, 41])
      assert.ok(points.includes(`discrete:${a}`), `discrete ${a}`);
    for (const a of [2000, 2018, 2060, 2064, 2066, 2082])
      assert.ok(points.includes(`holding:${a}`), `holding ${a}`);
    // The shipped group is `points = "plc.*"`: resolved against the driver's description, it is
    // every point of the map, none twice.
    assert.equal(config.logging.groups[0]!.points, 'plc.*');
    assert.deepEqual(
      [...config.logging.groups[0]!.signals].sort(),
      (entry.config.points as { name: string }[]).map((p) => `plc.${p.name}`).sort(),
      'every point logged',
    );

    const labClock = new ManualClock();
    const lab = new VirtualLab({ clock: labClock, seed: 1, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 0 });
    const server = modbusPlcKind.createSimulator!('plc', entry.config, lab) as ModbusSimServer;
    const { host, port } = await server.listen(0, '127.0.0.1');
    const driver = modbusPlcKind.createDriver('plc', entry.config, {
      clock: systemClock,
      log: silentLogger(),
      simulatorEndpoint: { kind: 'tcp', host, port },
    });
    const ctx = context();
    try {
      const identity = await driver.connect(ctx);
      assert.match(identity.raw ?? '', /36 points in 7 requests over 4 connections/);
      const read = (name: string) => driver.signals[name]!.read!(ctx);
      const pressure = (await read('chamber_pressure')) as number;
      assert.ok(pressure > 5 && pressure < 9, `${pressure} Pa`);
      await driver.signals.pump!.write!(false, ctx);
      await driver.signals.valve1_tma!.write!(true, ctx);
      const chamber = lab.aldChamber('plc');
      await labClock.advance(50); // past the valve's actuation delay
      assert.equal(await read('valve1_tma'), true, 'the write was accepted');
      assert.equal(await read('valve1_tma_open'), false, 'the valve stays closed');
      assert.equal(await read('precursor_interlock'), true);
      assert.equal(chamber.valveCommanded(1), true);
      await driver.signals.valve1_tma!.write!(false, ctx);
      await driver.signals.pump!.write!(true, ctx);
      await assert.rejects(driver.signals.mfc1_setpoint!.write!(250, ctx), { code: 'VALUE_OUT_OF_RANGE' });
      await driver.signals.mfc1_setpoint!.write!(150, ctx);
      assert.equal(chamber.mfcSetpointSccm, 150);
    } finally {
      await driver.disconnect();
      await server.close();
    }
  });
});
