import { BenchtopError } from '../../core/errors.ts';
import type { CvxOutputConfig, CvxOutputKind, CvxTrigger } from './config.ts';

/**
 * The Keyence CV-X non-procedural command protocol as pure functions, no I/O. Commands are
 * ASCII, comma-separated, ending in CR; a success reply echoes the command header (`R0`,
 * `RM,1`, `PR,1,005`); a refusal is `ER,<header>,<nn>`. After a trigger's echo the controller
 * sends the inspection's result line (numbers, comma-separated) as a separate message.
 */

/** Framing: CR after a command; replies end in CR (an LF from a CR LF sender is dropped too). */
export const cvxFraming = { writeTermination: '\r', readTermination: '\r|\n' } as const;

export type CvxMode = 'run' | 'setup';
export type CvxSdCard = 1 | 2;

export const CvxCommand = {
  readMode: () => 'RM',
  toRunMode: () => 'R0',
  toSetupMode: () => 'S0',
  readProgram: () => 'PR',
  writeProgram: (sd: CvxSdCard, program: number) => `PW,${sd},${formatProgram(program)}`,
  trigger: (which: CvxTrigger) => which,
  reset: () => 'RS',
  clearError: () => 'CE',
} as const;

/** A program number as the controller writes it: three digits, 000–999. */
export function formatProgram(program: number): string {
  if (!Number.isInteger(program) || program < 0 || program > 999)
    throw new RangeError(`program must be an integer 0..999, got ${program}`);
  return String(program).padStart(3, '0');
}

/** The header of a command line: the part before the first comma (`PW,1,005` → `PW`). */
export function commandHeader(command: string): string {
  const at = command.indexOf(',');
  return (at < 0 ? command : command.slice(0, at)).trim();
}

/** The controller's error numbers, as its manual names them. */
export const cvxErrorMeanings: Record<number, string> = {
  2: 'command error (unknown command)',
  3: 'not possible in this mode or state',
  22: 'parameter error (missing, malformed or out of range)',
};

export function cvxErrorMeaning(code: number): string {
  return cvxErrorMeanings[code] ?? `unknown error ${String(code).padStart(2, '0')}`;
}

/** What one received line is. */
export type CvxLine =
  | { kind: 'reply'; header: string; fields: string[] }
  | { kind: 'error'; command: string; code: number }
  | { kind: 'result'; fields: string[] }
  | { kind: 'garbage'; line: string };

const headerPattern = /^[A-Z][A-Z0-9]{0,3}$/;
const numberPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Classifies a line by its shape alone: `ER,<cmd>,<nn>` is a refusal, a line whose first field
 * is a command header is a reply, a line of numbers is a result line, anything else is garbage
 * (the stream cannot be trusted after it).
 */
export function classifyLine(line: string): CvxLine {
  const fields = line.split(',').map((f) => f.trim());
  const head = fields[0] ?? '';
  if (head === 'ER') {
    const code = fields[2];
    if (fields.length === 3 && headerPattern.test(fields[1] ?? '') && code && /^\d{1,3}$/.test(code))
      return { kind: 'error', command: fields[1]!, code: Number(code) };
    return { kind: 'garbage', line };
  }
  if (headerPattern.test(head)) {
    if (fields.slice(1).every((f) => /^[\x20-\x7e]*$/.test(f)))
      return { kind: 'reply', header: head, fields };
    return { kind: 'garbage', line };
  }
  if (line.trim() !== '' && fields.every((f) => numberPattern.test(f))) return { kind: 'result', fields };
  return { kind: 'garbage', line };
}

/** The error a refusal becomes: names the command, its number and what the number means. */
export function cvxRefusal(instrument: string, command: string, code: number): BenchtopError {
  const nn = String(code).padStart(2, '0');
  return new BenchtopError(
    'INSTRUMENT_ERROR',
    `${instrument}: the CV-X refused "${command}": error ${nn}, ${cvxErrorMeaning(code)}`,
    { instrument, command, instrumentCode: code, meaning: cvxErrorMeaning(code) },
  );
}

export function cvxProtocolError(instrument: string, command: string, reply: string, expected: string) {
  return new BenchtopError(
    'PROTOCOL_ERROR',
    `${instrument}: CV-X reply ${JSON.stringify(reply)} to "${command}" is not ${expected}`,
    { instrument, command, reply },
  );
}

/** `RM,0` setup / `RM,1` run. */
export function parseMode(instrument: string, reply: string): CvxMode {
  const fields = reply.split(',');
  if (fields.length === 2 && fields[0] === 'RM') {
    if (fields[1] === '1') return 'run';
    if (fields[1] === '0') return 'setup';
  }
  throw cvxProtocolError(instrument, 'RM', reply, '"RM,0" or "RM,1"');
}

/** `PR,d,nnn`: SD card 1 or 2 and program 000–999. */
export function parseProgram(instrument: string, reply: string): { sd: CvxSdCard; program: number } {
  const match = /^PR,([12]),(\d{3})$/.exec(reply);
  if (!match) throw cvxProtocolError(instrument, 'PR', reply, '"PR,d,nnn" (d 1|2, nnn 000-999)');
  return { sd: Number(match[1]) as CvxSdCard, program: Number(match[2]) };
}

/** One field of a result line, named and typed by the `outputs` map. */
export interface CvxField {
  name: string;
  kind: CvxOutputKind;
  tool?: string;
  value: number;
}

/**
 * Reads a result line through the configured outputs map: each mapped field by its index,
 * as a number. A judgement stays the number the controller sent (0 = OK); no OK/NG text is
 * assumed. Fields beyond the map are kept in the raw line only. A line shorter than the map
 * is a configuration mismatch (the controller's output settings differ from `outputs`).
 */
export function parseResult(instrument: string, fields: string[], outputs: CvxOutputConfig[]): CvxField[] {
  return outputs.map((output) => {
    const text = fields[output.index];
    if (text === undefined) {
      throw new BenchtopError(
        'CONFIG_INVALID',
        `${instrument}: outputs "${output.name}" is field ${output.index}, but the result line has ${fields.length} field(s); match outputs to the CV-X's non-procedural output settings (or the program's)`,
        { instrument, output: output.name, index: output.index, fields: fields.length },
      );
    }
    const value = Number(text);
    if (!numberPattern.test(text.trim()) || !Number.isFinite(value))
      throw cvxProtocolError(instrument, 'result', fields.join(','), `a number in field ${output.index}`);
    return { name: output.name, kind: output.kind, ...(output.tool ? { tool: output.tool } : {}), value };
  });
}
