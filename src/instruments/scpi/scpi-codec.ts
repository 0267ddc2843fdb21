/**
 * SCPI / IEEE 488.2 command builders and reply parsers. Pure functions: no I/O, so every
 * rule is tested on strings. Parsers return `null` for a reply they cannot read and the
 * driver turns that into PROTOCOL_ERROR naming the command and the reply.
 */
import type { DriverIdentity } from '../../core/device.ts';

/** NR1 (`+5`), NR2 (`-0.25`) and NR3 (`+1.23456789E+00`) numeric response data. */
const numericReply = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function parseNumber(reply: string): number | null {
  const text = reply.trim();
  if (!numericReply.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

export function parseInteger(reply: string): number | null {
  const value = parseNumber(reply);
  return value !== null && Number.isInteger(value) ? value : null;
}

/** Boolean response data: `1`/`0`, also `ON`/`OFF` which some instruments send. */
export function parseBoolean(reply: string): boolean | null {
  const text = reply.trim().toUpperCase();
  if (text === '1' || text === '+1' || text === 'ON') return true;
  if (text === '0' || text === '+0' || text === 'OFF') return false;
  return null;
}

/** String response data: `"a ""quoted"" word"` → `a "quoted" word`; unquoted text as is. */
export function parseString(reply: string): string {
  const text = reply.trim();
  const quote = text[0];
  if (text.length >= 2 && (quote === '"' || quote === "'") && text.endsWith(quote)) {
    return text.slice(1, -1).replaceAll(quote + quote, quote);
  }
  return text;
}

/** `*IDN?` → manufacturer, model, serial, firmware (IEEE 488.2 §10.14). */
export function parseIdentity(reply: string): (DriverIdentity & { manufacturer: string }) | null {
  const text = reply.trim();
  if (!/^[\x20-\x7e]+$/.test(text)) return null;
  const fields = text.split(',').map((f) => f.trim());
  if (fields.length < 2 || !fields[0] || !fields[1]) return null;
  const [manufacturer, model, serial, ...firmware] = fields;
  return {
    manufacturer,
    model,
    ...(serial && serial !== '0' ? { serial } : {}),
    ...(firmware.length > 0 && firmware.join(',') ? { firmware: firmware.join(',') } : {}),
    raw: text,
  };
}

export interface ScpiErrorReply {
  code: number;
  text: string;
}

/**
 * `SYST:ERR?` → `-113,"Undefined header"`; `0,"No error"` and `+0,…` have code 0. The text
 * is required: a bare number is a late reply to an earlier query, not an error entry.
 */
export function parseErrorReply(reply: string): ScpiErrorReply | null {
  const m = /^\s*([+-]?\d+)\s*,\s*(.*?)\s*$/.exec(reply);
  if (!m) return null;
  return { code: Number(m[1]), text: parseString(m[2]!) };
}

/** The reply to `*OPC?`: `1`. */
export function isOpcReply(reply: string): boolean {
  return parseNumber(reply) === 1;
}

/** A value as SCPI program data: booleans as 1/0, numbers in plain decimal or NR3 form. */
export function formatValue(value: number | boolean | string): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') return String(value).toUpperCase();
  return value;
}

/** Fills a `set` template: `VOLT:DC:RANG {value}` with 10 → `VOLT:DC:RANG 10`. */
export function buildSetCommand(template: string, value: number | boolean | string): string {
  return template.replaceAll('{value}', formatValue(value));
}

/** NR3 as DMMs send it: `+1.23456789E+00`, `-4.50000000E-03`, `+9.90000000E+37`. */
export function formatNr3(value: number, digits = 8): string {
  const [mantissa, exponent] = Math.abs(value).toExponential(digits).split('e') as [string, string];
  const exp = Number(exponent);
  const sign = value < 0 ? '-' : '+';
  return `${sign}${mantissa}E${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}
