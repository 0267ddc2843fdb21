import {
  type CallContext,
  Completion,
  type DriverContext,
  type DriverIdentity,
  type InstrumentDriver,
  type SignalDef,
} from '../../core/device.ts';
import { type DriverActions, signal } from '../../core/device-builder.ts';
import { BenchtopError, isBenchtopError } from '../../core/errors.ts';
import { LineLink } from '../../transports/line-link.ts';
import type { OpenTransport } from '../link-endpoint.ts';
import type { MaiTaiConfig } from './config.ts';
import {
  cleanReply,
  maiTaiCommands as cmd,
  DEFAULT_WAVELENGTH_MAX_NM,
  DEFAULT_WAVELENGTH_MIN_NM,
  isErrorReply,
  parseIdentity,
  parseQuantity,
  parseShutter,
  parseStatus,
} from './maitai-protocol.ts';

type Parse<T> = (reply: string, command: string) => T;
const nm: Parse<number> = (r, c) => parseQuantity(r, c, 'nm');
const watts: Parse<number> = (r, c) => parseQuantity(r, c, 'W');
const percent: Parse<number> = (r, c) => parseQuantity(r, c, '%');

/**
 * Spectra-Physics Mai Tai Ti:sapphire laser over RS-232 (XON/XOFF) or a serial device server.
 *
 * Setters answer nothing unless refused, so each one is followed by the query that reads it
 * back: a refusal ("…Error…") arrives before that reply and becomes INSTRUMENT_ERROR naming
 * the setter. Emission has a safety interlock: `ON` is sent only after the laser itself has
 * just reported 100 % warm-up and a closed shutter.
 */
export class MaiTaiDriver implements InstrumentDriver {
  readonly type = 'MaiTai';
  readonly signals: Record<string, SignalDef>;
  readonly actions: DriverActions = {};
  private readonly id: string;
  private readonly config: MaiTaiConfig;
  private readonly openTransport: OpenTransport;
  private link: LineLink | null = null;

  /** `openTransport` gives the link at each connect (the kind decides where it goes). */
  constructor(id: string, config: MaiTaiConfig, openTransport: OpenTransport) {
    this.openTransport = openTransport;
    this.id = id;
    this.config = config;

    const wavelength = signal<number>({
      dtype: 'integer',
      unit: 'nm',
      limits: { min: DEFAULT_WAVELENGTH_MIN_NM, max: DEFAULT_WAVELENGTH_MAX_NM },
      precision: 0,
      description:
        'Wavelength setpoint; a write completes when the actual wavelength is within the tuning tolerance',
      completes: true,
      // The setter and its read-back go out together (setAndReadBack): the write is verified.
      verifies: true,
      read: (ctx) => this.ask(cmd.wavelengthQuery, ctx, nm),
      write: (target, ctx) => this.tune(target, ctx),
    });
    const wavelengthActual = signal<number>({
      dtype: 'number',
      unit: 'nm',
      precision: 1,
      monitored: true,
      description: 'Wavelength the laser is at now (lags the setpoint while tuning)',
      read: (ctx) => this.ask(cmd.wavelengthActual, ctx, nm),
    });
    const power = signal<number>({
      dtype: 'number',
      unit: 'W',
      precision: 3,
      monitored: true,
      description: 'Output power measured inside the laser head',
      read: (ctx) => this.ask(cmd.power, ctx, watts),
    });
    const shutter = signal<boolean>({
      dtype: 'boolean',
      description: 'Shutter open (true) or closed; a write completes once the shutter has travelled',
      completes: true,
      read: (ctx) => this.ask(cmd.shutterQuery, ctx, parseShutter),
      write: (open, ctx) => this.moveShutter(open, ctx),
    });
    const emission = signal<boolean>({
      dtype: 'boolean',
      monitored: true,
      completes: true,
      description:
        'Laser emission (ON/OFF). Switching on is refused (INTERLOCK) unless warm-up is 100 % and the shutter is closed',
      read: async (ctx) => (await this.ask(cmd.status, ctx, parseStatus)).emission,
      write: (on, ctx) => this.setEmission(on, ctx),
    });
    const modeLocked = signal<boolean>({
      dtype: 'boolean',
      monitored: true,
      description: 'Mode-locked (pulsing); lost while tuning',
      read: async (ctx) => (await this.ask(cmd.status, ctx, parseStatus)).modeLocked,
    });
    const warmup = signal<number>({
      dtype: 'number',
      unit: '%',
      limits: { min: 0, max: 100 },
      precision: 0,
      monitored: true,
      description: 'Warm-up progress; emission can be switched on at 100 %',
      read: (ctx) => this.ask(cmd.warmup, ctx, percent),
    });
    const humidity = signal<number>({
      dtype: 'number',
      unit: '%',
      precision: 1,
      description: 'Relative humidity inside the cavity (should stay below 10 %)',
      read: (ctx) => this.ask(cmd.humidity, ctx, percent),
    });
    this.signals = {
      wavelength,
      wavelength_actual: wavelengthActual,
      power,
      shutter,
      emission,
      mode_locked: modeLocked,
      warmup,
      humidity,
    };
  }

  async connect(ctx: DriverContext): Promise<DriverIdentity> {
    const link = new LineLink(this.openTransport(), {
      readTermination: '\n',
      writeTermination: this.config.write_termination,
      timeoutMs: this.config.timeout_ms,
      clock: ctx.clock,
    });
    this.link = link;
    link.onLost((error) => ctx.linkLost(error));
    await link.open(ctx.lifetime);
    const identity = await this.ask(cmd.identity, ctx, parseIdentity);
    if (this.config.watchdog_s !== undefined) {
      // The watchdog switches the laser off when the host goes quiet. Whether that is wanted
      // (safety if Benchtop dies) or not (a laser left running between polls) is the lab's
      // call, so it is only touched when configured.
      const seconds = this.config.watchdog_s;
      const now = await this.setAndReadBack(cmd.watchdog(seconds), cmd.watchdogQuery, ctx, (r, c) =>
        parseQuantity(r, c, 's'),
      );
      if (now !== seconds) this.notTaken(cmd.watchdog(seconds), `${now} s`);
    }
    await this.readTuningRange(ctx);
    return identity;
  }

  async disconnect(): Promise<void> {
    const link = this.link;
    this.link = null;
    await link?.close().catch(() => {});
  }

  /** The wavelength limits are the model's (690–1020, 690–1040, 700–1100 exist): ask it. */
  private async readTuningRange(ctx: DriverContext): Promise<void> {
    let min: number;
    let max: number;
    try {
      min = await this.ask(cmd.wavelengthMin, ctx, nm);
      max = await this.ask(cmd.wavelengthMax, ctx, nm);
    } catch (error) {
      if (!isBenchtopError(error, 'INSTRUMENT_ERROR')) throw error;
      ctx.log.warn({ err: error }, 'the laser does not report its tuning range; keeping the defaults');
      return;
    }
    if (!(min < max)) {
      throw new BenchtopError('PROTOCOL_ERROR', `${this.id}: tuning range ${min}..${max} nm makes no sense`, {
        instrument: this.id,
        min,
        max,
      });
    }
    this.signals.wavelength!.limits = { min: Math.ceil(min), max: Math.floor(max) };
  }

  private async tune(target: number, ctx: CallContext): Promise<Completion> {
    const command = cmd.wavelength(target);
    const setpoint = await this.setAndReadBack(command, cmd.wavelengthQuery, ctx, nm);
    if (Math.abs(setpoint - target) > this.config.tuning_tolerance_nm)
      this.notTaken(command, `${setpoint} nm`);
    return new Completion({
      what: `tuning to ${target} nm`,
      pollMs: 200,
      timeoutMs: this.config.tuning_timeout_ms,
      isDone: async (c) =>
        Math.abs((await this.ask(cmd.wavelengthActual, c, nm)) - target) <= this.config.tuning_tolerance_nm,
    });
  }

  /**
   * `SHUT?` may report the commanded state at once, so arrival is judged by time as well: done
   * when the laser reports the new state and the configured travel time has passed.
   */
  private async moveShutter(open: boolean, ctx: CallContext): Promise<Completion | undefined> {
    if ((await this.ask(cmd.shutterQuery, ctx, parseShutter)) === open) return undefined;
    const sentAt = ctx.clock.monotonic();
    await this.setAndReadBack(cmd.shutter(open), cmd.shutterQuery, ctx, parseShutter);
    const settleMs = this.config.shutter_settle_ms;
    return new Completion({
      what: `shutter ${open ? 'opening' : 'closing'}`,
      pollMs: 100,
      timeoutMs: settleMs + 5_000,
      isDone: async (c) =>
        (await this.ask(cmd.shutterQuery, c, parseShutter)) === open &&
        c.clock.monotonic() - sentAt >= settleMs,
    });
  }

  private async setEmission(on: boolean, ctx: CallContext): Promise<Completion | undefined> {
    if (on) await this.checkEmissionInterlock(ctx);
    const status = await this.setAndReadBack(on ? cmd.on : cmd.off, cmd.status, ctx, parseStatus);
    if (status.emission === on) return undefined;
    return new Completion({
      what: `emission ${on ? 'on' : 'off'}`,
      pollMs: 200,
      timeoutMs: 30_000,
      isDone: async (c) => (await this.ask(cmd.status, c, parseStatus)).emission === on,
    });
  }

  /**
   * Asked of the laser right before `ON`, never taken from a cached reading: a cold laser or an
   * open shutter (or one whose state cannot be read) means nothing is sent.
   */
  private async checkEmissionInterlock(ctx: CallContext): Promise<void> {
    const warm = await this.ask(cmd.warmup, ctx, percent);
    if (warm < 100) {
      throw new BenchtopError(
        'INTERLOCK',
        `${this.id}: emission not switched on: warm-up is at ${warm} %, it must reach 100 % first`,
        { instrument: this.id, signal: 'emission', warmupPercent: warm },
      );
    }
    if (await this.ask(cmd.shutterQuery, ctx, parseShutter)) {
      throw new BenchtopError(
        'INTERLOCK',
        `${this.id}: emission not switched on: the shutter is open; close it first`,
        { instrument: this.id, signal: 'emission', shutterOpen: true },
      );
    }
  }

  private notTaken(command: string, shown: string): never {
    throw new BenchtopError(
      'INSTRUMENT_ERROR',
      `${this.id}: the laser did not take "${command}": it reports ${shown}`,
      { instrument: this.id, command, readBack: shown },
    );
  }

  private connected(): LineLink {
    if (!this.link) throw new BenchtopError('LINK_LOST', `${this.id}: not connected`);
    return this.link;
  }

  private instrumentError(reply: string, command: string): BenchtopError {
    const text = cleanReply(reply);
    return new BenchtopError('INSTRUMENT_ERROR', `${this.id}: ${text} (after "${command}")`, {
      instrument: this.id,
      instrumentCode: text,
      command,
    });
  }

  /** Parses a reply; a parse failure names the instrument, the command and the reply. */
  private parse<T>(reply: string, command: string, parse: Parse<T>): T {
    try {
      return parse(reply, command);
    } catch (error) {
      if (!isBenchtopError(error, 'PROTOCOL_ERROR')) throw error;
      throw new BenchtopError(
        'PROTOCOL_ERROR',
        `${this.id}: ${error.message}`,
        { instrument: this.id, ...error.details },
        { cause: error },
      );
    }
  }

  private async ask<T>(command: string, ctx: DriverContext, parse: Parse<T>): Promise<T> {
    const reply = await this.connected().query(command);
    ctx.log.trace({ command, reply }, 'query');
    if (isErrorReply(reply)) throw this.instrumentError(reply, command);
    return this.parse(reply, command, parse);
  }

  /**
   * Sends a setter and reads back with `query`, both in one write: a reply that arrived
   * earlier is stale and dropped, but a refusal of the setter must not be, and it can come
   * back before a separately written query. A refusal comes first; the query's own reply
   * still follows and is read too, so the next command's reply is not mistaken for it.
   */
  private async setAndReadBack<T>(
    setter: string,
    query: string,
    ctx: DriverContext,
    parse: Parse<T>,
  ): Promise<T> {
    const link = this.connected();
    ctx.log.debug({ command: setter }, 'send');
    const reply = await link.query(`${setter}${this.config.write_termination}${query}`);
    if (isErrorReply(reply)) {
      await link.readLine(undefined, query);
      throw this.instrumentError(reply, setter);
    }
    return this.parse(reply, query, parse);
  }
}
