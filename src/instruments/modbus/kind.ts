import type { InstrumentKind } from '../kind.ts';
import { ModbusPlcDriver } from './modbus-plc-driver.ts';
import { createModbusPlcSimulator } from './modbus-plc-sim.ts';

/** `type = "ModbusPlc"`: a PLC over Modbus TCP, its configured points as signals. */
export const modbusPlcKind: InstrumentKind = {
  type: 'ModbusPlc',
  createDriver: (id, config, deps) => new ModbusPlcDriver(id, config, deps),
  createSimulator: (id, config, lab) => createModbusPlcSimulator(id, config, lab),
};
