import { type AldChamber, VALVES } from '../../sim/ald-chamber.ts';
import type { BankProgram, RegisterBank } from './register-bank.ts';
import { decodeRegisters, encodeRegisters, type WordOrder } from './register-values.ts';

/** The ALD tool's fixed map (the shipped config/ald.toml declares the same addresses). */
export const ALD_MAP = {
  coils: { heater: 0, pump: 10, exhaustGate: 11, firstValve: 15, n2Generator: 37 },
  discrete: { firstValveFeedback: 15, n2Ready: 35, n2Fault: 36, interlock: 40, overTemperature: 41 },
  holding: {
    temperatureSetpoint: 2000,
    pidOutput: 2002,
    kp: 2006,
    ki: 2008,
    kd: 2010,
    outputLimit: 2014,
    overTemperatureLimit: 2016,
    temperature: 2018,
    pressure: 2060,
    pressureLimit: 2062,
    peakPressure: 2064,
    mfcSetpoint: 2066,
    mfcFullScale: 2080,
    mfcActual: 2082,
    precursor1Fill: 2090,
    precursor2Fill: 2092,
  },
} as const;

type FloatKey = Exclude<keyof typeof ALD_MAP.holding, 'pidOutput'>;

/** Setpoints a client may write, by register, with the chamber field they drive. */
const SETPOINTS: Partial<Record<FloatKey, (c: AldChamber, v: number) => void>> = {
  temperatureSetpoint: (c, v) => {
    c.temperatureSetpointC = v;
  },
  kp: (c, v) => {
    c.kp = v;
  },
  ki: (c, v) => {
    c.ki = v;
  },
  kd: (c, v) => {
    c.kd = v;
  },
  outputLimit: (c, v) => {
    c.outputLimitPct = v;
  },
  overTemperatureLimit: (c, v) => {
    c.overTemperatureLimitC = v;
  },
  pressureLimit: (c, v) => {
    c.pressureLimitPa = v;
  },
  mfcSetpoint: (c, v) => {
    c.mfcSetpointSccm = v;
  },
};

/**
 * The PLC program of the simulated ALD tool: coils and setpoint registers drive the chamber,
 * and before every request the chamber is integrated to now and its measurements, feedback
 * inputs and interlock flags are written into the map. Reading 2064 (peak pressure) resets it.
 */
export class AldPlcProgram implements BankProgram {
  private readonly chamber: AldChamber;
  private readonly order: WordOrder;

  constructor(chamber: AldChamber, order: WordOrder, bank: RegisterBank) {
    this.chamber = chamber;
    this.order = order;
    const c = chamber;
    const { coils, holding } = ALD_MAP;
    bank.setBit('coil', coils.heater, c.heaterEnabled);
    bank.setBit('coil', coils.pump, c.pump);
    bank.setBit('coil', coils.exhaustGate, c.exhaustGate);
    bank.setBit('coil', coils.n2Generator, c.n2Generator);
    for (let v = 1; v <= VALVES; v++) bank.setBit('coil', coils.firstValve + v - 1, c.valveCommanded(v));
    const put = (key: FloatKey, value: number) =>
      bank.setRegisters('holding', holding[key], encodeRegisters('float32', value, order));
    put('temperatureSetpoint', c.temperatureSetpointC);
    put('kp', c.kp);
    put('ki', c.ki);
    put('kd', c.kd);
    put('outputLimit', c.outputLimitPct);
    put('overTemperatureLimit', c.overTemperatureLimitC);
    put('pressureLimit', c.pressureLimitPa);
    put('mfcSetpoint', c.mfcSetpointSccm);
    this.beforeAccess(bank);
  }

  beforeAccess(bank: RegisterBank): void {
    const c = this.chamber;
    c.advance();
    const { discrete, holding } = ALD_MAP;
    for (let v = 1; v <= VALVES; v++)
      bank.setBit('discrete', discrete.firstValveFeedback + v - 1, c.isValveOpen(v));
    bank.setBit('discrete', discrete.n2Ready, c.n2Ready);
    bank.setBit('discrete', discrete.n2Fault, c.n2Fault);
    bank.setBit('discrete', discrete.interlock, c.interlockActive);
    bank.setBit('discrete', discrete.overTemperature, c.overTemperatureTrip);
    const put = (key: FloatKey, value: number) =>
      bank.setRegisters('holding', holding[key], encodeRegisters('float32', value, this.order));
    put('temperature', c.temperatureReadingC());
    put('pressure', c.pressureReadingPa());
    put('mfcActual', c.mfcReadingSccm());
    put('mfcFullScale', 200);
    put('precursor1Fill', 100 * c.fill[1]!);
    put('precursor2Fill', 100 * c.fill[2]!);
    bank.setRegisters(
      'holding',
      holding.pidOutput,
      encodeRegisters('int32', Math.round(c.pidOutputPct), this.order),
    );
    put('peakPressure', c.peakPressurePa);
  }

  afterRead(_bank: RegisterBank, table: string, address: number, quantity: number): void {
    const peak = ALD_MAP.holding.peakPressure;
    if (table === 'holding' && address <= peak + 1 && address + quantity > peak) this.chamber.resetPeak();
  }

  afterWrite(bank: RegisterBank, table: 'coil' | 'holding', address: number, quantity: number): void {
    const c = this.chamber;
    const { coils, holding } = ALD_MAP;
    const end = address + quantity;
    const touched = (a: number, width = 1) => a < end && a + width > address;
    if (table === 'coil') {
      if (touched(coils.heater)) c.heaterEnabled = bank.bit('coil', coils.heater);
      if (touched(coils.pump)) c.pump = bank.bit('coil', coils.pump);
      if (touched(coils.exhaustGate)) c.exhaustGate = bank.bit('coil', coils.exhaustGate);
      if (touched(coils.n2Generator)) c.setN2Generator(bank.bit('coil', coils.n2Generator));
      for (let v = 1; v <= VALVES; v++) {
        const a = coils.firstValve + v - 1;
        if (touched(a)) c.setValve(v, bank.bit('coil', a));
      }
      return;
    }
    for (const [key, apply] of Object.entries(SETPOINTS) as [
      FloatKey,
      (c: AldChamber, v: number) => void,
    ][]) {
      const a = holding[key];
      if (!touched(a, 2)) continue;
      const value = decodeRegisters('float32', bank.registers('holding', a, 2), this.order);
      if (Number.isFinite(value)) apply(c, value);
    }
  }
}
