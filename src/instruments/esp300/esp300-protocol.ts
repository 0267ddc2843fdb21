import type { DriverIdentity } from '../../core/device.ts';
import { BenchtopError } from '../../core/errors.ts';
import { Esp300Units } from './config.ts';

/**
 * The ESP300's wire protocol as pure functions: command builders and reply parsers, no I/O.
 * Syntax is `[axis]MNEMONIC[parameter]`; the driver sends CR after each line and reads
 * CR LF terminated replies. Setters answer nothing; errors wait in a queue read with `TE?`.
 */

export type Esp300Unit = (typeof Esp300Units)[number];

/** Framing for LineLink: write CR, read to LF (the framer strips the CR). */
export const esp300Framing = {
  readTermination: '\n',
  writeTermination: '\r',
} as const;

/**
 * After some commands (notably after a travel limit) the controller emits a line of its own
 * starting with "E" (EPICS drvESP300 skips such lines). The `VE?` reply also starts with "E"
 * ("ESP300 Version …"), so a line starting "ESP" is a reply, never a notice.
 */
export function isEsp300Notice(line: string): boolean {
  return line.startsWith('E') && !line.startsWith('ESP');
}

/** `SN` unit code: the index in the manual's list (0 counts, 2 mm, 7 deg, …). */
export function unitCode(unit: Esp300Unit): number {
  return Esp300Units.indexOf(unit);
}

/**
 * A number as the controller accepts it: fixed point, at most 6 decimals, no exponent
 * (`1e-7` would be read as 1 by a parser that stops at "e").
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  const text = value.toFixed(6).replace(/\.?0+$/, '');
  return text === '-0' ? '0' : text;
}

/** Command builders. Axis numbers are 1-based; the driver only builds commands for configured axes. */
export const Esp300Command = {
  /** Actual position (the manual's form; `nTP?` is accepted too). */
  position: (axis: number) => `${axis}TP`,
  desiredPosition: (axis: number) => `${axis}DP?`,
  motionDone: (axis: number) => `${axis}MD?`,
  moveAbsolute: (axis: number, position: number) => `${axis}PA${formatNumber(position)}`,
  moveRelative: (axis: number, delta: number) => `${axis}PR${formatNumber(delta)}`,
  velocity: (axis: number) => `${axis}VA?`,
  setVelocity: (axis: number, velocity: number) => `${axis}VA${formatNumber(velocity)}`,
  maxVelocity: (axis: number) => `${axis}VU?`,
  motorOn: (axis: number) => `${axis}MO`,
  motorOff: (axis: number) => `${axis}MF`,
  motorState: (axis: number) => `${axis}MO?`,
  /** Home search with the controller's configured search mode. */
  home: (axis: number) => `${axis}OR`,
  stop: (axis: number) => `${axis}ST`,
  stopAll: () => 'ST',
  setUnits: (axis: number, unit: Esp300Unit) => `${axis}SN${unitCode(unit)}`,
  units: (axis: number) => `${axis}SN?`,
  leftLimit: (axis: number) => `${axis}SL?`,
  rightLimit: (axis: number) => `${axis}SR?`,
  setLeftLimit: (axis: number, position: number) => `${axis}SL${formatNumber(position)}`,
  setRightLimit: (axis: number, position: number) => `${axis}SR${formatNumber(position)}`,
  errorCode: () => 'TE?',
  errorMessage: () => 'TB?',
  version: () => 'VE?',
} as const;

/** Several commands on one line (setters only: they answer nothing, so no reply is ambiguous). */
export function commandList(commands: string[]): string {
  return commands.join(';');
}

const numberPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function protocolError(command: string, reply: string, expected: string): BenchtopError {
  return new BenchtopError(
    'PROTOCOL_ERROR',
    `ESP300 reply ${JSON.stringify(reply)} to "${command}" is not ${expected}`,
    { command, reply },
  );
}

/** A position, velocity or limit reply. */
export function parseNumber(command: string, reply: string): number {
  const text = reply.trim();
  if (!numberPattern.test(text)) throw protocolError(command, reply, 'a number');
  return Number(text);
}

/** `SN?`: the unit code, as the unit's name. */
export function parseUnits(command: string, reply: string): Esp300Unit {
  const text = reply.trim();
  const unit = /^\d{1,2}$/.test(text) ? Esp300Units[Number(text)] : undefined;
  if (!unit) throw protocolError(command, reply, `a unit code 0..${Esp300Units.length - 1}`);
  return unit;
}

/** `MD?` and `MO?`: "1" or "0". */
export function parseFlag(command: string, reply: string): boolean {
  const text = reply.trim();
  if (text === '1') return true;
  if (text === '0') return false;
  throw protocolError(command, reply, '0 or 1');
}

/** `TE?`: one error code, 0 when the queue is empty. */
export function parseErrorCode(reply: string): number {
  const text = reply.trim();
  if (!/^\d{1,4}$/.test(text)) throw protocolError('TE?', reply, 'an error code');
  return Number(text);
}

export interface Esp300ErrorRecord {
  code: number;
  /** Controller time stamp, as reported (units are not documented reliably). */
  timestamp: number;
  message: string;
}

/** `TB?`: `code, timestamp, message` (e.g. `108, 451322, MOTOR / STAGE NOT CONNECTED`). */
export function parseErrorRecord(reply: string): Esp300ErrorRecord {
  const match = /^\s*(\d{1,4})\s*,\s*(\d+)\s*,\s*(.*?)\s*$/.exec(reply);
  if (!match) throw protocolError('TB?', reply, '"code, timestamp, message"');
  return { code: Number(match[1]), timestamp: Number(match[2]), message: match[3]! };
}

/**
 * `VE?`, e.g. "ESP300 Version 3.04 07/30/03". Sources disagree on the exact format, so any
 * printable line is accepted; the model and version are taken when present.
 */
export function parseIdentity(reply: string): DriverIdentity {
  const text = reply.trim();
  if (text === '' || !/^[\x20-\x7e]+$/.test(text))
    throw protocolError('VE?', reply, 'a printable version line');
  const model = /\bESP\d+\w*/i.exec(text)?.[0]?.toUpperCase() ?? 'ESP300';
  const firmware = /\bversion\s+([\w.]+)/i.exec(text)?.[1];
  return { model, ...(firmware ? { firmware } : {}), raw: text };
}
