import type { LineProtocol } from '../../sim/line-simulator-server.ts';
import type { VirtualLab } from '../../sim/virtual-lab.ts';
import { formatNr3 } from './scpi-codec.ts';
import { formatErrorEntry, ScpiErrorQueue } from './scpi-error-queue.ts';
import { ScpiKeywordMatcher } from './scpi-keyword-matcher.ts';
import { splitProgramMessage } from './scpi-program-message.ts';

/** DC voltage ranges, V; a reading up to 120 % of the range is shown, beyond it overload. */
export const dmmRanges = [0.1, 1, 10, 100, 1000] as const;
const overRange = 1.2;
/** What a SCPI DMM returns for an overload. */
export const overloadValue = 9.9e37;
/** Resolution limits relative to the range (7½ … 3½ digits). */
const finestResolution = 1e-7;
const coarsestResolution = 1e-3;
const defaultResolution = 3e-7;

/** An error raised while executing a unit; goes on the queue as `code,"text;detail"`. */
class ScpiFault extends Error {
  readonly code: number;
  readonly detail: string;
  constructor(code: number, detail: string) {
    super(detail);
    this.code = code;
    this.detail = detail;
  }
}

interface DmmCommand {
  matcher: ScpiKeywordMatcher;
  params: [min: number, max: number];
  run: (params: string[]) => string | undefined;
}

/**
 * A 6½-digit SCPI DMM measuring DC volts from the lab's photodiode: IEEE 488.2 common
 * commands, long/short keywords, `;` and `;:` chaining, an error queue with standard codes,
 * and the MEASure / CONFigure / INITiate / FETCh? / READ? trigger model. Replies to several
 * queries in one message are joined with `;` on one line, as 488.2 requires.
 */
export class ScpiDmmSimProtocol implements LineProtocol {
  readonly errors = new ScpiErrorQueue(20);
  private readonly lab: VirtualLab;
  private readonly identity: string;
  private readonly commands: DmmCommand[];
  private esr = 0;
  private ese = 0;
  private autoRange = true;
  private range = 10;
  private resolution = 10 * defaultResolution;
  private lastReading: number | null = null;

  constructor(lab: VirtualLab, options: { serial?: string } = {}) {
    this.lab = lab;
    this.identity = `Benchtop,SIM-DMM6500,${options.serial ?? '04000001'},1.2.0`;
    this.commands = this.commandTable();
  }

  handle(line: string): string | undefined {
    const replies: string[] = [];
    for (const unit of splitProgramMessage(line)) {
      if ('error' in unit) {
        this.raise(unit.error.code, unit.error.detail);
        break;
      }
      const found = this.find(unit.header);
      if (typeof found === 'number') {
        this.raise(found, unit.header);
        break;
      }
      const [min, max] = found.params;
      if (unit.params.length > max || unit.params.length < min) {
        this.raise(unit.params.length > max ? -108 : -109, `${unit.header} ${unit.params.join(',')}`.trim());
        break;
      }
      try {
        const reply = found.run(unit.params);
        if (reply !== undefined) replies.push(reply);
      } catch (error) {
        if (!(error instanceof ScpiFault)) throw error;
        this.raise(error.code, error.detail);
        if (error.code > -200) break;
      }
    }
    return replies.length > 0 ? replies.join(';') : undefined;
  }

  /** The command for a header, or the SCPI error number if there is none. */
  private find(header: string): DmmCommand | number {
    let error = -113;
    for (const command of this.commands) {
      const result = command.matcher.match(header);
      if (result.kind === 'match') return command;
      if (result.kind === 'suffix-out-of-range') error = -114;
    }
    return error;
  }

  private raise(code: number, detail: string): void {
    this.errors.push(code, detail);
    // Standard event status bits: 2 query, 3 device-dependent, 4 execution, 5 command error.
    if (code <= -100 && code > -200) this.esr |= 0x20;
    else if (code <= -200 && code > -300) this.esr |= 0x10;
    else if (code <= -300 && code > -400) this.esr |= 0x08;
    else if (code <= -400) this.esr |= 0x04;
  }

  private reset(): void {
    this.autoRange = true;
    this.range = 10;
    this.resolution = this.range * defaultResolution;
    this.lastReading = null;
  }

  private commandTable(): DmmCommand[] {
    const cmd = (pattern: string, params: [number, number], run: DmmCommand['run']): DmmCommand => ({
      matcher: new ScpiKeywordMatcher(pattern),
      params,
      run,
    });
    return [
      cmd('*IDN?', [0, 0], () => this.identity),
      cmd('*RST', [0, 0], () => void this.reset()),
      cmd('*CLS', [0, 0], () => {
        this.errors.clear();
        this.esr = 0;
        return undefined;
      }),
      cmd('*OPC?', [0, 0], () => '1'),
      cmd('*OPC', [0, 0], () => {
        this.esr |= 0x01;
        return undefined;
      }),
      cmd('*WAI', [0, 0], () => undefined),
      cmd('*TST?', [0, 0], () => '0'),
      cmd('*ESR?', [0, 0], () => {
        const value = this.esr;
        this.esr = 0;
        return String(value);
      }),
      cmd('*ESE', [1, 1], ([p]) => {
        this.ese = parseRegister(p!);
        return undefined;
      }),
      cmd('*ESE?', [0, 0], () => String(this.ese)),
      cmd('*STB?', [0, 0], () =>
        String((this.errors.length > 0 ? 0x04 : 0) | ((this.esr & this.ese) !== 0 ? 0x20 : 0)),
      ),
      cmd('SYSTem:ERRor[:NEXT]?', [0, 0], () => formatErrorEntry(this.errors.next())),
      cmd('SYSTem:ERRor:COUNt?', [0, 0], () => String(this.errors.length)),
      cmd('SYSTem:VERSion?', [0, 0], () => '1999.0'),
      cmd('MEASure:VOLTage[:DC]?', [0, 2], (p) => {
        this.configure(p);
        return this.trigger();
      }),
      cmd('CONFigure:VOLTage[:DC]', [0, 2], (p) => void this.configure(p)),
      cmd('CONFigure?', [0, 0], () => `"VOLT ${formatNr3(this.range)},${formatNr3(this.resolution)}"`),
      cmd('INITiate[:IMMediate]', [0, 0], () => {
        this.lastReading = this.measure();
        return undefined;
      }),
      cmd('FETCh?', [0, 0], () => {
        if (this.lastReading === null) throw new ScpiFault(-200, 'no reading; send INIT or READ?');
        return formatNr3(this.lastReading);
      }),
      cmd('READ?', [0, 0], () => this.trigger()),
      cmd('[SENSe:]VOLTage[:DC]:RANGe[:UPPer]', [1, 1], ([p]) => {
        this.range = selectRange(p!);
        this.autoRange = false;
        this.resolution = Math.max(this.resolution, this.range * finestResolution);
        return undefined;
      }),
      cmd('[SENSe:]VOLTage[:DC]:RANGe[:UPPer]?', [0, 1], ([p]) =>
        formatNr3(p === undefined ? this.range : selectRange(p)),
      ),
      cmd('[SENSe:]VOLTage[:DC]:RANGe:AUTO', [1, 1], ([p]) => {
        this.autoRange = parseBooleanParam(p!);
        return undefined;
      }),
      cmd('[SENSe:]VOLTage[:DC]:RANGe:AUTO?', [0, 0], () => (this.autoRange ? '1' : '0')),
      cmd('[SENSe:]VOLTage[:DC]:RESolution', [1, 1], ([p]) => {
        this.resolution = selectResolution(p!, this.range);
        return undefined;
      }),
      cmd('[SENSe:]VOLTage[:DC]:RESolution?', [0, 0], () => formatNr3(this.resolution)),
    ];
  }

  /** CONFigure / MEASure parameters: `[range|AUTO|MIN|MAX|DEF[,resolution|MIN|MAX|DEF]]`. */
  private configure(params: string[]): void {
    const [rangeParam, resolutionParam] = params;
    const auto = rangeParam === undefined || /^(AUTO|DEF|DEFAULT)$/i.test(rangeParam);
    const range = auto ? this.range : selectRange(rangeParam);
    const resolution =
      resolutionParam === undefined ? range * defaultResolution : selectResolution(resolutionParam, range);
    this.autoRange = auto;
    this.range = range;
    this.resolution = resolution;
    this.lastReading = null;
  }

  /** INIT then FETC?: one reading now. */
  private trigger(): string {
    this.lastReading = this.measure();
    return formatNr3(this.lastReading);
  }

  private measure(): number {
    const volts = this.lab.photodiodeVoltage();
    if (this.autoRange) this.range = dmmRanges.find((r) => Math.abs(volts) <= r * overRange) ?? 1000;
    if (Math.abs(volts) > this.range * overRange) return volts < 0 ? -overloadValue : overloadValue;
    const step = Math.max(this.resolution, this.range * finestResolution);
    return Math.round(volts / step) * step;
  }
}

const nrf = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseNumericParam(text: string, what: string): number {
  if (!nrf.test(text)) throw new ScpiFault(-224, `${what} ${text}`);
  return Number(text);
}

/** A range value picks the smallest range that holds it, as real DMMs do. */
function selectRange(text: string): number {
  if (/^MIN(IMUM)?$/i.test(text)) return dmmRanges[0];
  if (/^MAX(IMUM)?$/i.test(text)) return dmmRanges.at(-1)!;
  if (/^DEF(AULT)?$/i.test(text)) return 10;
  const volts = parseNumericParam(text, 'range');
  const range = dmmRanges.find((r) => Math.abs(volts) <= r);
  if (range === undefined) throw new ScpiFault(-222, `range ${text} V (max 1000 V)`);
  return range;
}

function selectResolution(text: string, range: number): number {
  if (/^MIN(IMUM)?$/i.test(text)) return range * finestResolution;
  if (/^MAX(IMUM)?$/i.test(text)) return range * coarsestResolution;
  if (/^DEF(AULT)?$/i.test(text)) return range * defaultResolution;
  const value = parseNumericParam(text, 'resolution');
  const finest = range * finestResolution;
  const coarsest = range * coarsestResolution;
  if (value < finest * (1 - 1e-9) || value > coarsest * (1 + 1e-9)) {
    throw new ScpiFault(-221, `resolution ${text} V on the ${range} V range (${finest}..${coarsest})`);
  }
  return value;
}

function parseBooleanParam(text: string): boolean {
  if (/^(1|ON)$/i.test(text)) return true;
  if (/^(0|OFF)$/i.test(text)) return false;
  throw new ScpiFault(-224, `expected ON|OFF|1|0, got ${text}`);
}

function parseRegister(text: string): number {
  const value = parseNumericParam(text, 'register');
  if (!Number.isInteger(value) || value < 0 || value > 255) throw new ScpiFault(-222, `register ${text}`);
  return value;
}
