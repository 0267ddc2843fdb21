import type { LineProtocol } from '../../sim/line-simulator-server.ts';
import type { VirtualLab } from '../../sim/virtual-lab.ts';
import {
  FILTER_AVERAGES,
  FILTER_CODES,
  formatReading,
  type MeterFilter,
  type MeterUnits,
  UNIT_CODES,
  WAVELENGTH_MAX_NM,
  WAVELENGTH_MIN_NM,
} from './newport1830c-protocol.ts';

/** Lowest power the log units are taken of, so a noisy zero reads as a very low dBm, not NaN. */
const LOG_FLOOR_W = 1e-15;

export interface Newport1830cSimState {
  echo: boolean;
  wavelengthNm: number;
  units: MeterUnits;
  /** 0 auto, 1..8 fixed. */
  range: number;
  attenuator: boolean;
  filter: MeterFilter;
  zeroed: boolean;
  /** Reference for dB and REL, W (`S` stores the present reading). */
  referenceW: number;
  running: boolean;
}

/**
 * The 1830-C as seen from its RS-232 port: one-letter commands, LF both ways, silent setters,
 * echo mode, and `D?` readings taken from the virtual lab's beam at the meter, in the
 * present units. Commands it does not know get no reply, as on the real meter (the driver's
 * timeout is how a bad command shows).
 */
export class Newport1830cSimProtocol implements LineProtocol {
  readonly state: Newport1830cSimState;
  private readonly lab: VirtualLab;
  private held: number | null = null;

  /**
   * @param options.echo start with echo on, as a meter left in `E1` by a terminal session
   *   would be; the driver must switch it off.
   */
  constructor(lab: VirtualLab, options: { echo?: boolean } = {}) {
    this.lab = lab;
    this.state = {
      echo: options.echo ?? true,
      wavelengthNm: 800,
      units: 'W',
      range: 0,
      attenuator: false,
      filter: 'medium',
      zeroed: false,
      referenceW: 1e-3,
      running: true,
    };
  }

  handle(line: string): string[] | undefined {
    const command = line.trim().toUpperCase();
    if (command === '') return undefined;
    // The meter echoes the line before acting on it, so `E0` is still echoed.
    const echo = this.state.echo ? [line.trim()] : [];
    const reply = this.execute(command);
    const lines = reply === undefined ? echo : [...echo, reply];
    return lines.length > 0 ? lines : undefined;
  }

  /** What `D?` shows now, in the present units. */
  reading(): number {
    const watts = this.readingW();
    const s = this.state;
    switch (s.units) {
      case 'W':
        return watts;
      case 'dBm':
        return 10 * Math.log10(Math.max(watts, LOG_FLOOR_W) / 1e-3);
      case 'dB':
        return 10 * Math.log10(Math.max(watts, LOG_FLOOR_W) / s.referenceW);
      case 'REL':
        return watts / s.referenceW;
    }
  }

  private readingW(): number {
    const s = this.state;
    // `G0` holds the display: D? repeats the last reading until `G1`.
    if (!s.running && this.held !== null) return this.held;
    const value = this.lab.meterReadingW(s.wavelengthNm, FILTER_AVERAGES[s.filter], s.zeroed);
    this.held = value;
    return value;
  }

  private execute(command: string): string | undefined {
    const s = this.state;
    const letter = command[0]!;
    const arg = command.slice(1);
    if (command === 'D?') return formatReading(this.reading());
    if (command === 'S') {
      s.referenceW = Math.max(this.readingW(), LOG_FLOOR_W);
      return undefined;
    }
    if (arg === '?') return this.query(letter);
    if (!/^\d+$/.test(arg)) return undefined;
    const n = Number(arg);
    switch (letter) {
      case 'W':
        if (n >= WAVELENGTH_MIN_NM && n <= WAVELENGTH_MAX_NM) s.wavelengthNm = n;
        return undefined;
      case 'U': {
        const units = codeName(UNIT_CODES, n);
        if (units) s.units = units;
        return undefined;
      }
      case 'R':
        if (n <= 8) s.range = n;
        return undefined;
      case 'F': {
        const filter = codeName(FILTER_CODES, n);
        if (filter) s.filter = filter;
        return undefined;
      }
      case 'A':
        if (n <= 1) s.attenuator = n === 1;
        return undefined;
      case 'Z':
        if (n <= 1) s.zeroed = n === 1;
        return undefined;
      case 'E':
        if (n <= 1) s.echo = n === 1;
        return undefined;
      case 'G':
        if (n <= 1) s.running = n === 1;
        return undefined;
      default:
        return undefined;
    }
  }

  private query(letter: string): string | undefined {
    const s = this.state;
    switch (letter) {
      case 'W':
        return String(s.wavelengthNm).padStart(4, '0');
      case 'U':
        return String(UNIT_CODES[s.units]);
      case 'R':
        return String(s.range);
      case 'F':
        return String(FILTER_CODES[s.filter]);
      case 'A':
        return s.attenuator ? '1' : '0';
      case 'Z':
        return s.zeroed ? '1' : '0';
      case 'E':
        return s.echo ? '1' : '0';
      case 'G':
        return s.running ? '1' : '0';
      default:
        return undefined;
    }
  }
}

function codeName<K extends string>(table: Record<K, number>, code: number): K | undefined {
  return (Object.keys(table) as K[]).find((k) => table[k] === code);
}
