import { Type } from '@sinclair/typebox';
import type { CapabilityDescription } from '../../core/capabilities.ts';
import type { DriverContext, DriverIdentity, InstrumentDriver, SignalDef } from '../../core/device.ts';
import { action, type DriverActions, signal } from '../../core/device-builder.ts';
import { BenchtopError } from '../../core/errors.ts';
import { LineLink } from '../../transports/line-link.ts';
import type { OpenTransport } from '../link-endpoint.ts';
import type { Newport1830cConfig } from './config.ts';
import {
  meterCommands as cmd,
  EchoFilter,
  FILTER_CODES,
  METER_FILTERS,
  METER_RANGES,
  METER_UNITS,
  type MeterFilter,
  type MeterRange,
  type MeterUnits,
  parseCode,
  parseFlag,
  parseInteger,
  parseRange,
  parseReading,
  parseStatusByte,
  readingCondition,
  UNIT_CODES,
  WAVELENGTH_MAX_NM,
  WAVELENGTH_MIN_NM,
} from './newport1830c-protocol.ts';

/** `power` is reported in whatever units the meter is set to; REL is a plain ratio. */
const POWER_UNIT: Record<MeterUnits, string> = { W: 'W', dB: 'dB', dBm: 'dBm', REL: 'REL' };

/**
 * Newport 1830-C optical power meter over RS-232 (or a serial device server / the simulator).
 *
 * Echo: the meter may echo every command line (`E1`). The driver sends `E0` at connect and,
 * because echo can come back (the meter power-cycled behind a device server), drops any line
 * that repeats a command it sent. Setters get no reply and there is no error queue, so every
 * write is read back: a setting the meter did not take is an INSTRUMENT_ERROR, and a meter
 * that stopped answering is noticed on the write rather than on the next read.
 */
export class Newport1830cDriver implements InstrumentDriver {
  readonly type = 'Newport1830C';
  readonly signals: Record<string, SignalDef>;
  readonly actions: DriverActions;
  readonly capabilities: readonly CapabilityDescription[] = [
    { kind: 'detector', signals: { value: 'power' } },
  ];
  private readonly id: string;
  private readonly config: Newport1830cConfig;
  private readonly openTransport: OpenTransport;
  private link: LineLink | null = null;
  private echo = new EchoFilter();

  /** `openTransport` gives the link at each connect (the kind decides where it goes). */
  constructor(id: string, config: Newport1830cConfig, openTransport: OpenTransport) {
    this.openTransport = openTransport;
    this.id = id;
    this.config = config;

    const power = signal<number>({
      dtype: 'number',
      unit: 'W',
      description:
        'Optical power in the units the meter is set to (W, dB, dBm or REL); each reading carries its unit. A reading over the range (status byte) is an INSTRUMENT_ERROR naming the range',
      monitored: true,
      read: async (ctx) => this.readPower(ctx),
    });
    const wavelength = signal<number>({
      dtype: 'integer',
      unit: 'nm',
      limits: { min: WAVELENGTH_MIN_NM, max: WAVELENGTH_MAX_NM },
      precision: 0,
      verifies: true,
      description: 'Calibration wavelength: the detector responsivity used to convert current to power',
      read: async (ctx) => this.ask(cmd.wavelengthQuery, ctx, parseInteger),
      write: async (nm, ctx) => {
        await this.setAndCheck(cmd.wavelength(nm), cmd.wavelengthQuery, ctx, (reply) => {
          const now = parseInteger(reply, cmd.wavelengthQuery);
          return now === nm ? null : `${now} nm`;
        });
        return undefined;
      },
    });
    const units = signal<string>({
      dtype: 'enum',
      choices: METER_UNITS,
      verifies: true,
      description: 'Display units: W, dB or REL (relative to the stored reference), dBm (relative to 1 mW)',
      read: async (ctx) => this.readUnits(ctx),
      write: async (value, ctx) => {
        const wanted = value as MeterUnits;
        await this.setAndCheck(cmd.units(wanted), cmd.unitsQuery, ctx, (reply) => {
          const now = this.noteUnits(parseCode(reply, cmd.unitsQuery, UNIT_CODES), ctx);
          return now === wanted ? null : now;
        });
        return undefined;
      },
    });
    const range = signal<string>({
      dtype: 'enum',
      choices: METER_RANGES,
      verifies: true,
      description: 'Signal range: auto, or a fixed range 1 (most sensitive) to 8',
      read: async (ctx) => this.ask(cmd.rangeQuery, ctx, parseRange),
      write: async (value, ctx) => {
        await this.setAndCheck(cmd.range(value as MeterRange), cmd.rangeQuery, ctx, (reply) => {
          const now = parseRange(reply);
          return now === value ? null : now;
        });
        return undefined;
      },
    });
    const attenuator = this.flagSignal(
      'Attenuator fitted on the detector (the meter corrects the reading for it)',
      cmd.attenuatorQuery,
      cmd.attenuator,
    );
    const filter = signal<string>({
      dtype: 'enum',
      choices: METER_FILTERS,
      verifies: true,
      description: 'Averaging: slow (16 readings), medium (4), fast (1); slower is quieter',
      read: async (ctx) => this.ask(cmd.filterQuery, ctx, (r, c) => parseCode(r, c, FILTER_CODES)),
      write: async (value, ctx) => {
        await this.setAndCheck(cmd.filter(value as MeterFilter), cmd.filterQuery, ctx, (reply) => {
          const now = parseCode(reply, cmd.filterQuery, FILTER_CODES);
          return now === value ? null : now;
        });
        return undefined;
      },
    });
    const zeroEnabled = this.flagSignal(
      'Background subtraction: true subtracts the zero stored by the zero action, false shows the raw reading',
      cmd.zeroQuery,
      cmd.zero,
    );
    this.signals = {
      power,
      wavelength,
      units,
      range,
      attenuator,
      filter,
      zero_enabled: zeroEnabled,
    };

    const zero = action({
      description:
        'Zero: store the present reading as background and subtract it from then on (Z1). Block the beam first.',
      args: Type.Object({}, { additionalProperties: false }),
      run: async (_args, ctx) => {
        await this.setAndCheck(cmd.zero(true), cmd.zeroQuery, ctx, (reply) =>
          parseFlag(reply, cmd.zeroQuery) ? null : 'zero off',
        );
        return { zeroed: true };
      },
    });
    const storeReference = action({
      description: 'Store the present reading as the reference that dB and REL readings are relative to (S)',
      args: Type.Object({}, { additionalProperties: false }),
      run: async (_args, ctx) => {
        // `S` has nothing to read back; asking for the units proves the meter is still there.
        await this.send(cmd.storeReference, ctx);
        await this.readUnits(ctx);
        return { stored: true };
      },
    });
    this.actions = { zero, store_reference: storeReference };
  }

  async connect(ctx: DriverContext): Promise<DriverIdentity> {
    this.echo = new EchoFilter();
    const link = new LineLink(this.openTransport(), {
      readTermination: '\n',
      writeTermination: '\n',
      timeoutMs: this.config.timeout_ms,
      clock: ctx.clock,
      isUnsolicited: (line) => this.echo.isEcho(line),
    });
    this.link = link;
    link.onLost((error) => ctx.linkLost(error));
    await link.open(ctx.lifetime);
    await this.send(cmd.echoOff, ctx);
    // The meter has no identity command: a sensible answer to U? is what proves it is a 1830-C.
    const units = await this.readUnits(ctx);
    const wavelength = await this.ask(cmd.wavelengthQuery, ctx, parseInteger);
    return {
      model: 'Newport 1830-C',
      raw: `${link.address}: units ${units}, wavelength ${wavelength} nm`,
    };
  }

  async disconnect(): Promise<void> {
    const link = this.link;
    this.link = null;
    await link?.close().catch(() => {});
  }

  private flagSignal(description: string, query: string, set: (on: boolean) => string): SignalDef {
    return signal<boolean>({
      dtype: 'boolean',
      verifies: true,
      description,
      read: async (ctx) => this.ask(query, ctx, parseFlag),
      write: async (on, ctx) => {
        await this.setAndCheck(set(on), query, ctx, (reply) => {
          const now = parseFlag(reply, query);
          return now === on ? null : String(now);
        });
        return undefined;
      },
    });
  }

  /**
   * `D?`, then `Q?`: the meter still prints a number when the signal is over range (the
   * simulator prints the range's full scale, its display shows OL), so the status byte is what
   * says the reading is not a measurement. Such a reading is an INSTRUMENT_ERROR naming the
   * range, like any other reading the driver cannot vouch for: the caller gets the error, a poll
   * publishes nothing (the log says why), and the actor stays connected (it is the light, not
   * the link). The latched bits are then cleared with `C`, so a later reading in range is good;
   * an over-range between two polls therefore also flags the next one (the safe side).
   */
  private async readPower(ctx: DriverContext): Promise<number> {
    const value = await this.ask(cmd.reading, ctx, parseReading);
    const status = await this.ask(cmd.statusQuery, ctx, parseStatusByte);
    const condition = readingCondition(status);
    if (condition === null) return value;
    await this.send(cmd.clearStatus, ctx);
    const range = await this.ask(cmd.rangeQuery, ctx, parseRange);
    const unit = this.signals.power!.unit;
    const where = range === 'auto' ? 'even on the top range (auto range)' : `on range ${range} (R${range})`;
    const what =
      condition === 'over-range'
        ? `the light exceeds the full scale ${where}; choose a higher range or auto`
        : 'the light saturates the detector; fit its attenuator (and set attenuator on)';
    throw new BenchtopError(
      'INSTRUMENT_ERROR',
      `${this.id}: power reading is ${condition}: ${what} (the meter shows ${value} ${unit}, status byte ${status})`,
      { instrument: this.id, condition, range, reading: value, unit, statusByte: status },
    );
  }

  private async readUnits(ctx: DriverContext): Promise<MeterUnits> {
    return this.noteUnits(await this.ask(cmd.unitsQuery, ctx, (r, c) => parseCode(r, c, UNIT_CODES)), ctx);
  }

  /** Keeps `power`'s unit in step with the meter, so published readings say what they are. */
  private noteUnits(units: MeterUnits, ctx: DriverContext): MeterUnits {
    const power = this.signals.power!;
    if (power.unit !== POWER_UNIT[units]) {
      power.unit = POWER_UNIT[units];
      ctx.descriptionChanged?.();
    }
    return units;
  }

  /**
   * Sends a setter, then the query that reads it back; `mismatch` returns what the meter shows
   * instead (or null when it took the setting).
   */
  private async setAndCheck(
    command: string,
    query: string,
    ctx: DriverContext,
    mismatch: (reply: string) => string | null,
  ): Promise<void> {
    await this.send(command, ctx);
    const shown = await this.ask(query, ctx, mismatch);
    if (shown !== null) {
      throw new BenchtopError(
        'INSTRUMENT_ERROR',
        `${this.id}: the meter did not take "${command}": ${query} reads ${shown}`,
        { instrument: this.id, command, readBack: shown },
      );
    }
  }

  private connected(): LineLink {
    if (!this.link) throw new BenchtopError('LINK_LOST', `${this.id}: not connected`);
    return this.link;
  }

  private async send(command: string, ctx: DriverContext): Promise<void> {
    const link = this.connected();
    ctx.log.debug({ command }, 'send');
    this.echo.sent(command);
    await link.write(command);
  }

  /**
   * Sends a query and parses its reply. An empty or unparsable reply means the link is not
   * in a state we understand: PROTOCOL_ERROR, which makes the actor reconnect.
   */
  private async ask<T>(
    command: string,
    ctx: DriverContext,
    parse: (reply: string, command: string) => T,
  ): Promise<T> {
    const link = this.connected();
    this.echo.sent(command);
    const reply = await link.query(command);
    ctx.log.trace({ command, reply }, 'query');
    try {
      if (reply.trim() === '') {
        throw new BenchtopError('PROTOCOL_ERROR', `empty reply to "${command}"`, { command, reply });
      }
      return parse(reply, command);
    } catch (error) {
      if (error instanceof BenchtopError && error.code === 'PROTOCOL_ERROR') {
        throw new BenchtopError(
          'PROTOCOL_ERROR',
          `${this.id}: ${error.message}`,
          { instrument: this.id, ...error.details },
          { cause: error },
        );
      }
      throw error;
    }
  }
}
