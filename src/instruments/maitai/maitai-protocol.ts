import type { DriverIdentity } from '../../core/device.ts';
import { BenchtopError } from '../../core/errors.ts';

/**
 * The Mai Tai's SCPI-like serial language, without I/O. Queries answer one line ending in LF,
 * values carry their unit (`820nm`, `1.234W`, `100%`); setters answer nothing; a refused
 * command answers a line containing "Error" and there is no error queue.
 */

export const DEFAULT_WAVELENGTH_MIN_NM = 690;
export const DEFAULT_WAVELENGTH_MAX_NM = 1040;

export const maiTaiCommands = {
  identity: '*IDN?',
  status: '*STB?',
  wavelengthQuery: 'WAV?',
  wavelength: (nm: number) => `WAV ${Math.round(nm)}`,
  wavelengthActual: 'READ:WAV?',
  wavelengthMin: 'WAV:MIN?',
  wavelengthMax: 'WAV:MAX?',
  power: 'READ:POW?',
  shutterQuery: 'SHUT?',
  shutter: (open: boolean) => `SHUT ${open ? 1 : 0}`,
  on: 'ON',
  off: 'OFF',
  warmup: 'READ:PCTW?',
  humidity: 'READ:HUM?',
  watchdog: (seconds: number) => `TIMER:WATCHDOG ${Math.round(seconds)}`,
  watchdogQuery: 'TIMER:WATCHDOG?',
} as const;

/** `*STB?` bits. */
export const STATUS_EMISSION = 0x01;
export const STATUS_MODE_LOCKED = 0x02;

/** XON and XOFF, which a device server may pass through: flow control, never data. */
const XON = '\u0011';
const XOFF = '\u0013';

/** The reply text without flow-control bytes and surrounding blanks. */
export function cleanReply(reply: string): string {
  return reply.replaceAll(XON, '').replaceAll(XOFF, '').trim();
}

/** Refusals are replies that contain "Error" (any case). */
export function isErrorReply(reply: string): boolean {
  return /error/i.test(reply);
}

function protocolError(command: string, reply: string, expected: string): BenchtopError {
  return new BenchtopError(
    'PROTOCOL_ERROR',
    `reply ${JSON.stringify(reply)} to "${command}" is not ${expected}`,
    { command, reply, expected },
  );
}

const quantityPattern = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-z%]*)$/i;

/**
 * A number with an optional unit suffix (`820nm`, `819.6 nm`, `1.234W`, `100%`, `3`). A suffix
 * other than `unit` is a protocol error: `1.2mW` read as watts would be off a thousandfold.
 */
export function parseQuantity(reply: string, command: string, unit: string): number {
  const text = cleanReply(reply);
  const m = quantityPattern.exec(text);
  if (!m || (m[2] !== '' && m[2]!.toLowerCase() !== unit.toLowerCase())) {
    throw protocolError(command, reply, `a number in ${unit}`);
  }
  return Number(m[1]);
}

export interface MaiTaiStatus {
  emission: boolean;
  modeLocked: boolean;
}

/** `*STB?`: a decimal status byte. */
export function parseStatus(reply: string, command: string = maiTaiCommands.status): MaiTaiStatus {
  const text = cleanReply(reply);
  if (!/^\d{1,3}$/.test(text) || Number(text) > 255) throw protocolError(command, reply, 'a status byte');
  const byte = Number(text);
  return { emission: (byte & STATUS_EMISSION) !== 0, modeLocked: (byte & STATUS_MODE_LOCKED) !== 0 };
}

/** `SHUT?`: `0` closed, `1` open. */
export function parseShutter(reply: string, command: string = maiTaiCommands.shutterQuery): boolean {
  const text = cleanReply(reply);
  if (text !== '0' && text !== '1') throw protocolError(command, reply, '0 or 1');
  return text === '1';
}

/** `*IDN?`: `Spectra Physics,MaiTai,<serial>,<firmware>`. */
export function parseIdentity(reply: string, command: string = maiTaiCommands.identity): DriverIdentity {
  const text = cleanReply(reply);
  const fields = text.split(',').map((f) => f.trim());
  if (fields.length < 2 || !fields[1]) throw protocolError(command, reply, 'maker,model,serial,firmware');
  return {
    model: `${fields[0]} ${fields[1]}`.trim(),
    ...(fields[2] ? { serial: fields[2] } : {}),
    ...(fields.length > 3 ? { firmware: fields.slice(3).join(',') } : {}),
    raw: text,
  };
}
