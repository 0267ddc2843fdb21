import { defineInstrument } from '../kind.ts';
import { LogixPlcConfig } from './config.ts';
import { createLinePlcSimulator, loopbackAddressFor } from './line-plc-simulator.ts';
import { LogixPlcDriver } from './logix-plc-driver.ts';

export const logixPlcKind = defineInstrument({
  type: 'LogixPlc',
  configSchema: LogixPlcConfig,
  capabilities: ['points'],
  createDriver: (config, deps) => new LogixPlcDriver(deps.id, config, deps),
  replyTimeoutMs: (config) => config.timeout_ms,
  // The vision line's controller, on the lab's production line, at port 44818 of its own loopback address.
  createSimulator: (config, lab, id) =>
    createLinePlcSimulator({
      clock: lab.clock,
      line: lab.productionLine(),
      slot: config.slot,
      loopbackAlias: loopbackAddressFor(id),
    }),
});
