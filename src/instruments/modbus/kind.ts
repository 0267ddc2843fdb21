import { defineInstrument } from '../kind.ts';
import { ModbusPlcConfig } from './config.ts';
import { ModbusPlcDriver } from './modbus-plc-driver.ts';
import { createModbusPlcSimulator } from './modbus-plc-sim.ts';

/** `type = "ModbusPlc"`: a PLC over Modbus TCP, its configured points as signals. */
export const modbusPlcKind = defineInstrument({
  type: 'ModbusPlc',
  configSchema: ModbusPlcConfig,
  capabilities: ['points'],
  createDriver: (config, deps) => new ModbusPlcDriver(deps.id, config, deps),
  replyTimeoutMs: (config) => config.timeout_ms,
  createSimulator: (config, lab, id) => createModbusPlcSimulator(id, config, lab),
});
