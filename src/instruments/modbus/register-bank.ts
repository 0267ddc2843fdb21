import type { ModbusTable } from './config.ts';
import { ModbusExceptionError } from './modbus-pdu.ts';
import type { Point } from './point-table.ts';

/** Side effects of a served map: a PLC program that reacts to writes and computes its inputs. */
export interface BankProgram {
  /** Before any request is served: bring the inputs up to date. */
  beforeAccess?(bank: RegisterBank): void;
  afterRead?(bank: RegisterBank, table: ModbusTable, address: number, quantity: number): void;
  afterWrite?(bank: RegisterBank, table: 'coil' | 'holding', address: number, quantity: number): void;
}

const SIZE = 65536;

/**
 * The four Modbus tables of a simulated device. Without a map every address exists (a plain
 * register bank); with one, only the addresses the points declare do, and a request that
 * touches any other is exception 02 (illegal data address), as a PLC answers.
 */
export class RegisterBank {
  private readonly bits: Record<'coil' | 'discrete', Uint8Array> = {
    coil: new Uint8Array(SIZE),
    discrete: new Uint8Array(SIZE),
  };
  /**
   * Registers as they go on the wire (big-endian, two bytes each), so that a read of up to 125
   * registers is one copy into the reply rather than a conversion per register.
   */
  private readonly words: Record<'holding' | 'input', Buffer> = {
    holding: Buffer.alloc(2 * SIZE),
    input: Buffer.alloc(2 * SIZE),
  };
  private readonly valid: Record<ModbusTable, Uint8Array> | null;
  program: BankProgram | null = null;

  private constructor(valid: Record<ModbusTable, Uint8Array> | null) {
    this.valid = valid;
  }

  /** Every address of every table. */
  static plain(): RegisterBank {
    return new RegisterBank(null);
  }

  /** Only the addresses the points occupy (their written and read registers). */
  static forPoints(points: readonly Point[]): RegisterBank {
    const valid = {
      coil: new Uint8Array(SIZE),
      discrete: new Uint8Array(SIZE),
      holding: new Uint8Array(SIZE),
      input: new Uint8Array(SIZE),
    };
    for (const p of points) {
      for (const start of [p.address, p.readAddress])
        for (let a = start; a < start + p.width && a < SIZE; a++) valid[p.table][a] = 1;
    }
    return new RegisterBank(valid);
  }

  private check(table: ModbusTable, address: number, quantity: number): void {
    if (address + quantity > SIZE)
      throw new ModbusExceptionError(2, `${table} ${address}+${quantity} runs past 65535`);
    const valid = this.valid?.[table];
    if (!valid) return;
    for (let a = address; a < address + quantity; a++)
      if (!valid[a]) throw new ModbusExceptionError(2, `${table} ${a} is not in the map`);
  }

  // ------------------------------------------------------------ what clients do

  readBits(table: 'coil' | 'discrete', address: number, quantity: number): boolean[] {
    this.check(table, address, quantity);
    this.program?.beforeAccess?.(this);
    const out = Array.from(this.bits[table].subarray(address, address + quantity), (b) => b === 1);
    this.program?.afterRead?.(this, table, address, quantity);
    return out;
  }

  readRegisters(table: 'holding' | 'input', address: number, quantity: number): number[] {
    this.check(table, address, quantity);
    this.program?.beforeAccess?.(this);
    const out = this.registers(table, address, quantity);
    this.program?.afterRead?.(this, table, address, quantity);
    return out;
  }

  /**
   * The same read as `readRegisters` (checks, program hooks), its registers copied in wire
   * order into `target` at `offset`: the reply of an FC3/FC4 request, built without a number[].
   */
  readRegistersInto(
    table: 'holding' | 'input',
    address: number,
    quantity: number,
    target: Buffer,
    offset: number,
  ): void {
    this.check(table, address, quantity);
    this.program?.beforeAccess?.(this);
    this.words[table].copy(target, offset, 2 * address, 2 * (address + quantity));
    this.program?.afterRead?.(this, table, address, quantity);
  }

  writeCoils(address: number, values: readonly boolean[]): void {
    this.check('coil', address, values.length);
    this.program?.beforeAccess?.(this);
    values.forEach((v, i) => {
      this.bits.coil[address + i] = v ? 1 : 0;
    });
    this.program?.afterWrite?.(this, 'coil', address, values.length);
  }

  writeRegisters(address: number, values: readonly number[]): void {
    this.check('holding', address, values.length);
    this.program?.beforeAccess?.(this);
    this.setRegisters('holding', address, values);
    this.program?.afterWrite?.(this, 'holding', address, values.length);
  }

  // ------------------------------------------------------------ what the program does

  bit(table: 'coil' | 'discrete', address: number): boolean {
    return this.bits[table][address] === 1;
  }

  setBit(table: 'coil' | 'discrete', address: number, on: boolean): void {
    this.bits[table][address] = on ? 1 : 0;
  }

  registers(table: 'holding' | 'input', address: number, quantity: number): number[] {
    const words = this.words[table];
    const out = new Array<number>(quantity);
    for (let i = 0; i < quantity; i++) out[i] = words.readUInt16BE(2 * (address + i));
    return out;
  }

  setRegisters(table: 'holding' | 'input', address: number, values: readonly number[]): void {
    const words = this.words[table];
    // As Uint16Array.set did: each value taken modulo 2^16.
    for (let i = 0; i < values.length; i++) words.writeUInt16BE(values[i]! & 0xffff, 2 * (address + i));
  }
}
