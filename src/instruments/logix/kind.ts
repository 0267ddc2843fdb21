import type { InstrumentKind } from '../kind.ts';
import { createLinePlcSimulator, loopbackAddressFor } from './line-plc-simulator.ts';
import { LogixPlcDriver } from './logix-plc-driver.ts';

export const logixPlcKind: InstrumentKind = {
  type: 'LogixPlc',
  createDriver: (id, config, deps) => new LogixPlcDriver(id, config, deps),
  // The vision line's controller, on the lab's production line, at port 44818 of its own loopback address.
  createSimulator: (id, config, lab) =>
    createLinePlcSimulator({
      clock: lab.clock,
      line: lab.productionLine(),
      slot: typeof config.slot === 'number' ? config.slot : 0,
      loopbackAlias: loopbackAddressFor(id),
    }),
};
