import type { VirtualLab } from '../../sim/virtual-lab.ts';
import { AldPlcProgram } from './ald-plc-program.ts';
import type { ModbusPlcConfig } from './config.ts';
import { ModbusSimServer } from './modbus-sim-server.ts';
import { toPoint } from './point-table.ts';
import { RegisterBank } from './register-bank.ts';

/**
 * The simulated PLC a ModbusPlc config describes: its unit id and word order, serving its
 * point map (`sim_model = "points"`), every address (`register_bank`), or the point map with
 * the ALD chamber of the virtual lab behind it (`ald`).
 */
export function createModbusPlcSimulator(id: string, config: ModbusPlcConfig, lab: VirtualLab) {
  const points = config.points.map(toPoint);
  const bank = config.sim_model === 'register_bank' ? RegisterBank.plain() : RegisterBank.forPoints(points);
  if (config.sim_model === 'ald')
    bank.program = new AldPlcProgram(lab.aldChamber(id), config.word_order, bank);
  return new ModbusSimServer({ bank, unitId: config.unit_id, clock: lab.clock });
}
