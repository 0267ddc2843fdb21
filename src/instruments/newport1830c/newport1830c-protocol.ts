import { BenchtopError } from '../../core/errors.ts';

/**
 * The Newport 1830-C's serial language, without I/O: one letter, then digits to set or `?` to
 * query; setters send nothing back and there is no error queue, so a reply that is empty or
 * not a number is the only sign of trouble. Used by the driver and by the simulator.
 */

/** `U1`..`U4`. Sources disagree on 2 and 3; this follows the lantz/Newport table (2 dB, 3 dBm). */
export const UNIT_CODES = { W: 1, dB: 2, dBm: 3, REL: 4 } as const;
export type MeterUnits = keyof typeof UNIT_CODES;
export const METER_UNITS = Object.keys(UNIT_CODES) as MeterUnits[];

/** `F1`..`F3`, and how many readings each averages. */
export const FILTER_CODES = { slow: 1, medium: 2, fast: 3 } as const;
export type MeterFilter = keyof typeof FILTER_CODES;
export const METER_FILTERS = Object.keys(FILTER_CODES) as MeterFilter[];
export const FILTER_AVERAGES: Record<MeterFilter, number> = { slow: 16, medium: 4, fast: 1 };

/** `R0` is auto range, `R1`..`R8` fixed ranges (the top one is uncertain; the simulator accepts 8). */
export const METER_RANGES = ['auto', '1', '2', '3', '4', '5', '6', '7', '8'] as const;
export type MeterRange = (typeof METER_RANGES)[number];

/**
 * The attenuator correction `A1` applies: the 818-series detectors' OD3 attenuator (the
 * manual's ATTN annunciator: "the responsivity in use includes the effect of the detector's
 * OD3 attenuator"), so the reading is the detector signal times 1000.
 */
export const ATTENUATOR_FACTOR = 1000;

/**
 * Bits of the status byte `Q?` reports (1830-C manual, `Q?`): over-range is "input signal
 * exceeds the max level for signal range" (the display shows OL), saturation "input signal has
 * saturated the photodetector" (SA). All but MAV are cleared by `C`.
 */
export const STATUS_BITS = {
  parameterError: 1,
  commandError: 2,
  saturated: 4,
  overRange: 8,
  messageAvailable: 16,
  busy: 32,
  serviceRequest: 64,
  readDone: 128,
} as const;

export const WAVELENGTH_MIN_NM = 1;
export const WAVELENGTH_MAX_NM = 10_000;

export const meterCommands = {
  reading: 'D?',
  echoOff: 'E0',
  storeReference: 'S',
  wavelengthQuery: 'W?',
  /** Zero-padded to four digits (`W0800`), the form every driver seen uses. */
  wavelength: (nm: number) => `W${String(Math.round(nm)).padStart(4, '0')}`,
  unitsQuery: 'U?',
  units: (u: MeterUnits) => `U${UNIT_CODES[u]}`,
  rangeQuery: 'R?',
  range: (r: MeterRange) => `R${r === 'auto' ? 0 : r}`,
  attenuatorQuery: 'A?',
  attenuator: (on: boolean) => `A${on ? 1 : 0}`,
  filterQuery: 'F?',
  filter: (f: MeterFilter) => `F${FILTER_CODES[f]}`,
  zeroQuery: 'Z?',
  zero: (on: boolean) => `Z${on ? 1 : 0}`,
  statusQuery: 'Q?',
  clearStatus: 'C',
} as const;

const numberPattern = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A number in any form the meter prints (`+.11E-9`, `9E-9`, `0800`, `1`), or null. */
export function parseMeterNumber(text: string): number | null {
  const t = text.trim();
  if (!numberPattern.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

function protocolError(command: string, reply: string, expected: string): BenchtopError {
  return new BenchtopError(
    'PROTOCOL_ERROR',
    `reply ${JSON.stringify(reply)} to "${command}" is not ${expected}`,
    { command, reply, expected },
  );
}

/** Some terminals echo on the reply's own line (`D? +.11E-9`); the value is what follows. */
function withoutEchoPrefix(reply: string, command: string): string {
  const t = reply.trim();
  return t.toUpperCase().startsWith(command.toUpperCase()) ? t.slice(command.length) : t;
}

/** The `D?` reading. */
export function parseReading(reply: string, command: string = meterCommands.reading): number {
  const value = parseMeterNumber(withoutEchoPrefix(reply, command));
  if (value === null) throw protocolError(command, reply, 'a number');
  return value;
}

/** An integer reply (`W?` → `0800`, `U?` → `1`). */
export function parseInteger(reply: string, command: string): number {
  const value = parseMeterNumber(withoutEchoPrefix(reply, command));
  if (value === null || !Number.isInteger(value)) throw protocolError(command, reply, 'an integer');
  return value;
}

/** A reply that must be one of the codes in `table`; returns its name. */
export function parseCode<K extends string>(reply: string, command: string, table: Record<K, number>): K {
  const code = parseInteger(reply, command);
  const entry = Object.entries(table).find(([, value]) => value === code);
  if (!entry) {
    throw protocolError(command, reply, `one of ${Object.values(table).join(', ')}`);
  }
  return entry[0] as K;
}

export function parseFlag(reply: string, command: string): boolean {
  return parseCode(reply, command, { off: 0, on: 1 }) === 'on';
}

export function parseRange(reply: string, command: string = meterCommands.rangeQuery): MeterRange {
  const code = parseInteger(reply, command);
  if (code < 0 || code > 8) throw protocolError(command, reply, 'a range 0..8');
  return code === 0 ? 'auto' : (String(code) as MeterRange);
}

/** The `Q?` status byte, 0..255. */
export function parseStatusByte(reply: string, command: string = meterCommands.statusQuery): number {
  const code = parseInteger(reply, command);
  if (code < 0 || code > 255) throw protocolError(command, reply, 'a status byte 0..255');
  return code;
}

/** What a status byte says is wrong with the reading, or null when it is valid. */
export function readingCondition(status: number): 'over-range' | 'saturated' | null {
  if (status & STATUS_BITS.saturated) return 'saturated';
  if (status & STATUS_BITS.overRange) return 'over-range';
  return null;
}

/**
 * How the meter prints a reading: sign, a four-digit mantissa without a leading zero, and a
 * bare exponent (`+.1100E-9`, `-.3010E+1`).
 */
export function formatReading(value: number): string {
  if (!Number.isFinite(value) || value === 0) return '+.0000E+0';
  const sign = value < 0 ? '-' : '+';
  let exponent = Math.floor(Math.log10(Math.abs(value))) + 1;
  let digits = Math.round((Math.abs(value) / 10 ** exponent) * 1e4);
  if (digits >= 1e4) {
    digits = Math.round(digits / 10);
    exponent += 1;
  }
  if (digits < 1e3) {
    digits *= 10;
    exponent -= 1;
  }
  return `${sign}.${digits}E${exponent < 0 ? '-' : '+'}${Math.abs(exponent)}`;
}

/**
 * Recognises the meter's echo of our own commands (echo mode `E1`, RS-232 only). Every command
 * written is remembered; a received line equal to one of them is its echo and is dropped,
 * together with any older commands (their echoes will not come: echo was off then). A reply
 * can never be mistaken for an echo: commands start with a letter, replies are numbers.
 */
export class EchoFilter {
  private readonly pending: string[] = [];
  private readonly limit: number;
  /** Echo lines recognised and dropped. */
  dropped = 0;

  constructor(limit = 16) {
    this.limit = limit;
  }

  sent(command: string): void {
    this.pending.push(command.trim().toUpperCase());
    if (this.pending.length > this.limit) this.pending.shift();
  }

  /** True (and forgets it) if `line` is the echo of a command we sent. */
  isEcho(line: string): boolean {
    const at = this.pending.indexOf(line.trim().toUpperCase());
    if (at < 0) return false;
    this.pending.splice(0, at + 1);
    this.dropped++;
    return true;
  }
}
