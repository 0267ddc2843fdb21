import type { LineProtocol } from '../../sim/line-simulator-server.ts';
import { siliconResponsivity } from '../../sim/physics.ts';
import type { VirtualLab } from '../../sim/virtual-lab.ts';
import {
  ATTENUATOR_FACTOR,
  FILTER_AVERAGES,
  FILTER_CODES,
  formatReading,
  type MeterFilter,
  type MeterUnits,
  STATUS_BITS,
  UNIT_CODES,
  WAVELENGTH_MAX_NM,
  WAVELENGTH_MIN_NM,
} from './newport1830c-protocol.ts';

/** Lowest power the log units are taken of, so a noisy zero reads as a very low dBm, not NaN. */
const LOG_FLOOR_W = 1e-15;

/**
 * Signal ranges. The 1830-C ranges its amplifier gain, so a range is a full-scale detector
 * current: R1 is the most sensitive, and "as each range is incremented by one, the signal gain
 * decreases by a decade" (manual, `Rn`). In watts a range is that current over the detector's
 * responsivity at the W setting (times 1000 under `A1`), so it depends on detector and
 * wavelength: see `rangeFullScaleW`.
 *
 * The real 818-SL head is meant for milliwatts without its attenuator; the virtual lab puts the
 * whole Mai Tai beam (up to 2.9 W) on the head, so the simulated ranges sit where R8 holds that
 * beam without the attenuator (2 A full scale; 3.97 W at 800 nm) and R1 still resolves the
 * ambient light (2e-7 A; 0.4 µW at 800 nm).
 */
export const RANGE_1_FULL_SCALE_A = 2e-7;
export const TOP_RANGE = 8;
/** Readings are quantised to 1/10000 of the range's full scale (the display's four digits). */
export const RANGE_COUNTS = 10_000;

/** Full-scale detector current of range 1..8, A. */
export function rangeFullScaleA(range: number): number {
  return RANGE_1_FULL_SCALE_A * 10 ** (range - 1);
}

/** Full scale of range 1..8 in displayed watts, for a W setting and the A setting. */
export function rangeFullScaleW(range: number, calibrationNm: number, attenuator: boolean): number {
  return (rangeFullScaleA(range) / siliconResponsivity(calibrationNm)) * (attenuator ? ATTENUATOR_FACTOR : 1);
}

/** The range auto-ranging settles on: the most sensitive one that holds `currentA`. */
export function autoRange(currentA: number): number {
  for (let range = 1; range < TOP_RANGE; range++) {
    if (Math.abs(currentA) <= rangeFullScaleA(range)) return range;
  }
  return TOP_RANGE;
}

/** One reading as the meter takes it. */
export interface MeterMeasurement {
  /** Displayed power, W (clamped to the range's full scale when over range). */
  watts: number;
  /** The range it was taken on, 1..8 (the one auto-ranging chose under `R0`). */
  range: number;
  overRange: boolean;
}

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
  /** The `Q?` status byte: bits latch when they happen, `C` clears them. */
  status: number;
}

/**
 * The 1830-C as seen from its RS-232 port: one-letter commands, LF both ways, silent setters,
 * echo mode, and `D?` readings taken from the virtual lab's beam at the meter, in the
 * present units. Commands it does not know get no reply, as on the real meter (the driver's
 * timeout is how a bad command shows).
 *
 * Ranges and the attenuator act on the reading as on the meter: the detector current is
 * quantised to the range's resolution and clamped at its full scale, where the over-range bit
 * of `Q?` latches (the display shows OL); `R0` picks the most sensitive range that holds the
 * signal; `A1` multiplies the detector signal by the OD3 factor. Whether the attenuator is
 * really on the head is the virtual lab's (`lab.meterAttenuatorFitted`), so `A1` without it
 * reads 1000x high, and with it reads right while 1000x more light fits in the ranges.
 */
export class Newport1830cSimProtocol implements LineProtocol {
  readonly state: Newport1830cSimState;
  private readonly lab: VirtualLab;
  private held: MeterMeasurement | null = null;

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
      status: 0,
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
    const watts = this.measure().watts;
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

  /**
   * Takes a reading (or repeats the held one under `G0`): the detector current from the lab,
   * on the chosen range, quantised and clamped to it, in watts at the W and A settings.
   */
  measure(): MeterMeasurement {
    const s = this.state;
    // `G0` holds the display: D? repeats the last reading until `G1`.
    const taken = !s.running && this.held !== null ? this.held : this.take();
    this.held = taken;
    if (taken.overRange) s.status |= STATUS_BITS.overRange;
    return taken;
  }

  private take(): MeterMeasurement {
    const s = this.state;
    const responsivity = siliconResponsivity(s.wavelengthNm);
    const currentA =
      this.lab.meterReadingW(s.wavelengthNm, FILTER_AVERAGES[s.filter], s.zeroed) * responsivity;
    const range = s.range === 0 ? autoRange(currentA) : s.range;
    const fullScale = rangeFullScaleA(range);
    const overRange = Math.abs(currentA) > fullScale;
    const step = fullScale / RANGE_COUNTS;
    const shownA = overRange ? Math.sign(currentA) * fullScale : Math.round(currentA / step) * step;
    const watts = (shownA / responsivity) * (s.attenuator ? ATTENUATOR_FACTOR : 1);
    return { watts, range, overRange };
  }

  private execute(command: string): string | undefined {
    const s = this.state;
    const letter = command[0]!;
    const arg = command.slice(1);
    if (command === 'D?') return formatReading(this.reading());
    if (command === 'S') {
      s.referenceW = Math.max(this.measure().watts, LOG_FLOOR_W);
      return undefined;
    }
    if (command === 'C') {
      s.status = 0;
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
      case 'Q':
        return String(s.status);
      default:
        return undefined;
    }
  }
}

function codeName<K extends string>(table: Record<K, number>, code: number): K | undefined {
  return (Object.keys(table) as K[]).find((k) => table[k] === code);
}
