import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { EventBus } from '../../core/bus.ts';
import { systemClock } from '../../core/clock.ts';
import type { CallContext } from '../../core/device.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import { silentLogger } from '../../core/logger.ts';
import { modbusPlcKind } from '../../instruments/modbus/kind.ts';
import type { ModbusSimServer } from '../../instruments/modbus/modbus-sim-server.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { BenchtopMetrics } from './benchtop-metrics.ts';

describe('Modbus metrics', () => {
  it('times every request by function code and counts errors by exception code', async () => {
    const { config } = loadBenchtopConfig({
      file: new URL('../../../config/ald.toml', import.meta.url).pathname,
      env: {},
    });
    const entry = config.instruments.find((e) => e.id === 'plc')!;
    const bus = new EventBus<BenchtopEvents>();
    const metrics = new BenchtopMetrics({
      bus,
      instruments: { list: () => [], get: () => undefined as never },
      dataDir: '.',
    });
    const lab = new VirtualLab({ clock: systemClock, seed: 1, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 0 });
    const server = modbusPlcKind.createSimulator!('plc', entry.config, lab) as ModbusSimServer;
    const { host, port } = await server.listen(0, '127.0.0.1');
    const driver = modbusPlcKind.createDriver('plc', entry.config, {
      clock: systemClock,
      log: silentLogger(),
      bus,
      simulatorEndpoint: { kind: 'tcp', host, port },
    });
    const ctx: CallContext = {
      id: 'plc',
      clock: systemClock,
      log: silentLogger(),
      lifetime: new AbortController().signal,
      signal: new AbortController().signal,
      linkLost: () => {},
      publish: () => {},
    };
    try {
      await driver.connect(ctx);
      server.faults.exception = { code: 2, fc: 3, address: 2060 };
      await assert.rejects(Promise.resolve(driver.signals.chamber_pressure!.read!(ctx)), /exception 02/);
      const text = await metrics.text();
      assert.match(text, /benchtop_modbus_request_duration_seconds_count\{instrument="plc",fc="3"\} [1-9]/);
      assert.match(text, /benchtop_modbus_request_duration_seconds_count\{instrument="plc",fc="1"\} [1-9]/);
      assert.match(text, /benchtop_modbus_errors_total\{instrument="plc",exception="02"\} [1-9]/);
    } finally {
      await driver.disconnect();
      await server.close();
    }
  });
});
