import type { LineProtocol } from '../../sim/line-simulator-server.ts';
import type { LaserModel, VirtualLab } from '../../sim/virtual-lab.ts';
import { STATUS_EMISSION, STATUS_MODE_LOCKED } from './maitai-protocol.ts';

/**
 * A header keyword as the manual writes it: upper case is the short form, the whole word the
 * long form; either is accepted, in any case (`WAVelength` matches `WAV`, `wavelength`).
 */
function keywordMatches(spec: string, token: string): boolean {
  const short = spec.replace(/[a-z]/g, '');
  const t = token.toUpperCase();
  return t === short.toUpperCase() || t === spec.toUpperCase();
}

interface Command {
  /** Keywords, e.g. `['READ', 'WAVelength']`. */
  header: string[];
  query: boolean;
  run: (arg: string) => string | undefined;
}

export interface MaiTaiSimOptions {
  serial?: string;
  firmware?: string;
}

/**
 * The Mai Tai's RS-232 side: SCPI-like headers, silent setters, replies with units and LF,
 * refusals as "Error" lines. All physics lives in the virtual lab's laser (warm-up over time,
 * tuning at a finite rate, shutter travel, the gain curve), so what this reports is what the
 * power meter simulator measures.
 */
export class MaiTaiSimProtocol implements LineProtocol {
  private readonly laser: LaserModel;
  private readonly commands: Command[];
  private readonly identity: string;
  watchdogS = 0;

  constructor(lab: VirtualLab, options: MaiTaiSimOptions = {}) {
    this.laser = lab.laser;
    this.identity = `Spectra Physics,MaiTai,${options.serial ?? '3417'},${options.firmware ?? '0245-2.00.34'}`;
    const laser = this.laser;
    const query = (header: string, value: () => string): Command => ({
      header: header.split(':'),
      query: true,
      run: () => value(),
    });
    const set = (header: string, run: (arg: string) => string | undefined): Command => ({
      header: header.split(':'),
      query: false,
      run,
    });
    this.commands = [
      query('*IDN', () => this.identity),
      query('*STB', () => String(this.status())),
      query('WAVelength', () => `${laser.wavelengthSetpoint}nm`),
      set('WAVelength', (arg) => this.tune(arg)),
      query('WAVelength:MINimum', () => `${laser.minNm}nm`),
      query('WAVelength:MAXimum', () => `${laser.maxNm}nm`),
      query('READ:WAVelength', () => `${round(laser.wavelengthActual(), 1)}nm`),
      query('READ:POWer', () => `${laser.internalPowerW().toFixed(3)}W`),
      query('READ:PCTWarmedup', () => `${laser.warmupPercent()}%`),
      query('READ:HUMidity', () => `${laser.humidity.toFixed(1)}%`),
      query('SHUTter', () => (laser.shutterCommanded ? '1' : '0')),
      set('SHUTter', (arg) => this.shutter(arg)),
      set('ON', () => this.emissionOn()),
      set('OFF', () => {
        laser.emission = false;
        return undefined;
      }),
      query('TIMER:WATCHdog', () => `${this.watchdogS}s`),
      set('TIMER:WATCHdog', (arg) => this.watchdog(arg)),
    ];
  }

  handle(line: string): string | undefined {
    const text = line.trim();
    if (text === '') return undefined;
    const space = text.search(/\s/);
    const rawHeader = space < 0 ? text : text.slice(0, space);
    const arg = space < 0 ? '' : text.slice(space + 1).trim();
    const isQuery = rawHeader.endsWith('?');
    const tokens = (isQuery ? rawHeader.slice(0, -1) : rawHeader).split(':');
    const command = this.commands.find(
      (c) =>
        c.query === isQuery &&
        c.header.length === tokens.length &&
        c.header.every((spec, i) => keywordMatches(spec, tokens[i]!)),
    );
    if (!command) return `Error: unknown command "${text}"`;
    return command.run(arg);
  }

  private status(): number {
    return (this.laser.emission ? STATUS_EMISSION : 0) | (this.laser.modeLocked() ? STATUS_MODE_LOCKED : 0);
  }

  private tune(arg: string): string | undefined {
    const nm = Number(arg.replace(/nm$/i, ''));
    if (arg === '' || !Number.isFinite(nm)) return `Error: wavelength "${arg}" is not a number`;
    if (nm < this.laser.minNm || nm > this.laser.maxNm) {
      return `Error: wavelength ${nm} nm is outside ${this.laser.minNm}-${this.laser.maxNm} nm`;
    }
    this.laser.setWavelength(nm);
    return undefined;
  }

  private shutter(arg: string): string | undefined {
    if (arg !== '0' && arg !== '1') return `Error: shutter takes 0 or 1, not "${arg}"`;
    this.laser.setShutter(arg === '1');
    return undefined;
  }

  private emissionOn(): string | undefined {
    const warm = this.laser.warmupPercent();
    if (warm < 100) return `Error: not warmed up (${warm}%), ON refused`;
    this.laser.emission = true;
    return undefined;
  }

  private watchdog(arg: string): string | undefined {
    const seconds = Number(arg);
    if (arg === '' || !Number.isInteger(seconds) || seconds < 0)
      return `Error: watchdog "${arg}" is not seconds`;
    this.watchdogS = seconds;
    return undefined;
  }
}

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
