import { Type } from '@sinclair/typebox';
import type {
  DriverContext,
  DriverIdentity,
  InstrumentDriver,
  SignalDef,
  SignalValue,
} from '../../core/device.ts';
import { action, type DriverActions } from '../../core/device-builder.ts';
import { BenchtopError, isBenchtopError } from '../../core/errors.ts';
import { instrumentEndpoint } from '../../transports/endpoint.ts';
import type { DriverDeps } from '../kind.ts';
import type { ScpiConfig } from './config.ts';
import type { MessageLink } from './message-link.ts';
import {
  buildSetCommand,
  isOpcReply,
  parseBoolean,
  parseErrorReply,
  parseIdentity,
  parseInteger,
  parseNumber,
  parseString,
  type ScpiErrorReply,
} from './scpi-codec.ts';
import { type OpenMessageLink, serialLine } from './scpi-link.ts';
import { Vxi11Link } from './vxi11/vxi11-link.ts';

type SignalConfig = ScpiConfig['signals'][number];

/** Reads of `SYST:ERR?` per drain; a queue that never empties is a broken instrument. */
const maxErrorReads = 32;

const commandArgs = Type.Object(
  {
    command: Type.String({
      minLength: 1,
      maxLength: 4096,
      pattern: '^[^\\r\\n]+$',
      description: 'One SCPI program message, without terminator',
    }),
  },
  { additionalProperties: false },
);

/**
 * Any SCPI instrument: IEEE 488.2 identity and housekeeping, signals declared in the
 * configuration, and generic `query`/`write`. After every write the error queue is drained
 * with `SYST:ERR?`, so a command the instrument rejected is reported as INSTRUMENT_ERROR
 * with its SCPI code instead of being lost.
 */
export class ScpiDriver implements InstrumentDriver {
  readonly type = 'ScpiInstrument';
  readonly signals: Record<string, SignalDef>;
  readonly actions: DriverActions;
  private readonly id: string;
  private readonly config: ScpiConfig;
  private readonly deps: DriverDeps;
  private readonly openLink: OpenMessageLink;
  private link: MessageLink | null = null;

  /** `openLink` comes from the kind (scpi-link.ts): a fresh link to the resource for each connect. */
  constructor(id: string, config: ScpiConfig, deps: DriverDeps, openLink: OpenMessageLink) {
    this.id = id;
    this.config = config;
    this.deps = deps;
    this.openLink = openLink;
    if (
      config.lock &&
      instrumentEndpoint({ resource: config.resource }, serialLine(config)).kind !== 'vxi11'
    ) {
      throw new BenchtopError(
        'CONFIG_INVALID',
        `${id}: lock = true needs a VXI-11 resource (TCPIP::host::INSTR); ${config.resource} has no device lock`,
        { instrument: id, resource: config.resource },
      );
    }
    this.signals = {
      idn: {
        dtype: 'string',
        description: 'Identification (*IDN?): manufacturer, model, serial number, firmware',
        read: async () => (await this.query('*IDN?')).trim(),
      },
      ...this.declaredSignals(),
    };
    this.actions = {
      reset: action({
        description: 'Reset to the power-on settings (*RST) and wait until done (*OPC?)',
        args: Type.Object({}, { additionalProperties: false }),
        run: async () => {
          await this.command('*RST');
          await this.opc();
          return undefined;
        },
      }),
      clear: action({
        description: 'Clear the status registers and the error queue (*CLS)',
        args: Type.Object({}, { additionalProperties: false }),
        run: async () => {
          await this.command('*CLS');
          return undefined;
        },
      }),
      device_clear: action({
        description:
          'Device clear (VISA viClear): the instrument drops unread input and output and stops what it was doing. VXI-11 (TCPIP::INSTR) only; raw socket and serial refuse it with TRANSPORT_UNSUPPORTED',
        args: Type.Object({}, { additionalProperties: false }),
        run: async () => {
          await this.connected().clear();
          return undefined;
        },
      }),
      opc: action({
        description: 'Wait until pending operations are complete (*OPC?); returns 1',
        args: Type.Object({}, { additionalProperties: false }),
        run: () => this.opc(),
      }),
      query: action({
        description: 'Send a query and return the reply text',
        args: commandArgs,
        run: async (args) => this.query(args.command),
      }),
      write: action({
        description: 'Send a command (no reply); the error queue is checked afterwards',
        args: commandArgs,
        run: async (args) => {
          await this.command(args.command);
          return undefined;
        },
      }),
    };
  }

  async connect(ctx: DriverContext): Promise<DriverIdentity> {
    const link = this.openLink(ctx.clock);
    this.link = link;
    if (this.config.lock && !(link instanceof Vxi11Link))
      ctx.log.warn(`${this.id}: lock = true has no effect: the simulator serves a raw socket, not VXI-11`);
    link.onLost((error) => ctx.linkLost(error));
    try {
      await link.open(ctx.lifetime);
      const reply = await link.query('*IDN?');
      const identity = parseIdentity(reply);
      if (!identity) throw this.unreadable('*IDN?', reply);
      if (this.config.check_errors) {
        // Errors left from before we connected must not be blamed on our first command.
        const stale = await this.readErrorQueue('*IDN?').catch((error: unknown) => {
          if (!isBenchtopError(error, 'INSTRUMENT_TIMEOUT')) throw error;
          throw new BenchtopError(
            'INSTRUMENT_TIMEOUT',
            `${this.id}: no reply to SYST:ERR?; if this instrument has no SCPI error queue, set check_errors = false`,
            { ...error.details, instrument: this.id },
            { cause: error },
          );
        });
        if (stale.length > 0)
          ctx.log.warn({ errors: stale }, `${this.id}: ${stale.length} error(s) were queued before connect`);
      }
      return identity;
    } catch (error) {
      this.link = null;
      await link.close().catch(() => {});
      throw error;
    }
  }

  async disconnect(): Promise<void> {
    const link = this.link;
    this.link = null;
    await link?.close().catch(() => {});
  }

  private connected(): MessageLink {
    if (!this.link)
      throw new BenchtopError('LINK_LOST', `${this.id} is not connected`, { instrument: this.id });
    return this.link;
  }

  /** Sends a command, then drains the error queue: anything in it is this command's fault. */
  private async command(command: string): Promise<void> {
    await this.connected().write(command);
    if (!this.config.check_errors) return;
    const errors = await this.readErrorQueue(command);
    if (errors.length > 0) throw this.instrumentError(command, errors);
  }

  /**
   * A query. An instrument that rejects a query sends no reply, so a timeout is followed by a
   * look at the error queue: a queued error explains the silence and is reported instead.
   */
  private query(command: string): Promise<string> {
    let link: MessageLink;
    try {
      link = this.connected();
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.config.check_errors) return link.query(command);
    return link.query(command).catch((error: unknown) => this.explainSilence(command, error));
  }

  /** A query that timed out: a queued SCPI error explains the silence and is reported instead. */
  private async explainSilence(command: string, error: unknown): Promise<never> {
    if (!isBenchtopError(error, 'INSTRUMENT_TIMEOUT')) throw error;
    const errors = await this.readErrorQueue(command).catch(() => []);
    if (errors.length > 0) throw this.instrumentError(command, errors, error);
    throw error;
  }

  /**
   * A signal's read: one promise chain from the link's reply to the parsed value. Its two
   * handlers are made once per signal, not at every read.
   */
  private signalReader(decl: SignalConfig, command: string): () => Promise<SignalValue> {
    const parsed = (reply: string) => this.parseReply(decl, command, reply);
    const failed = (error: unknown) =>
      this.config.check_errors ? this.explainSilence(command, error) : Promise.reject(error);
    return () => {
      let link: MessageLink;
      try {
        link = this.connected();
      } catch (error) {
        return Promise.reject(error);
      }
      return link.query(command).then(parsed, failed);
    };
  }

  private async opc(): Promise<number> {
    const reply = await this.query('*OPC?');
    if (!isOpcReply(reply)) throw this.unreadable('*OPC?', reply);
    return 1;
  }

  /** Reads `SYST:ERR?` until `0,"No error"` (bounded); returns the entries, oldest first. */
  private async readErrorQueue(after: string): Promise<ScpiErrorReply[]> {
    const link = this.connected();
    const errors: ScpiErrorReply[] = [];
    for (let i = 0; i < maxErrorReads; i++) {
      const reply = await link.query('SYST:ERR?');
      const entry = parseErrorReply(reply);
      if (!entry) throw this.unreadable('SYST:ERR?', reply, after);
      if (entry.code === 0) return errors;
      errors.push(entry);
    }
    this.deps.log.warn(`${this.id}: error queue still not empty after ${maxErrorReads} reads`);
    return errors;
  }

  private instrumentError(command: string, errors: ScpiErrorReply[], cause?: unknown): BenchtopError {
    const list = errors.map((e) => `${e.code} ${e.text}`).join('; ');
    return new BenchtopError(
      'INSTRUMENT_ERROR',
      `${this.id}: ${list} (after "${command}")`,
      { instrument: this.id, instrumentCode: errors[0]!.code, command, errors },
      cause ? { cause } : undefined,
    );
  }

  private unreadable(command: string, reply: string, after?: string): BenchtopError {
    return new BenchtopError(
      'PROTOCOL_ERROR',
      `${this.id}: cannot understand the reply ${JSON.stringify(reply)} to "${command}"${after ? ` (after "${after}")` : ''}`,
      { instrument: this.id, command, reply },
    );
  }

  private declaredSignals(): Record<string, SignalDef> {
    const out: Record<string, SignalDef> = {};
    for (const decl of this.config.signals) {
      const problem = (why: string) =>
        new BenchtopError('CONFIG_INVALID', `${this.id}: signal "${decl.name}" ${why}`, {
          instrument: this.id,
          signal: decl.name,
        });
      if (decl.name === 'idn' || decl.name in out) throw problem('is declared twice (idn is built in)');
      if (!decl.query && !decl.set) throw problem('needs query, set or both');
      if (decl.min !== undefined && decl.max !== undefined && decl.min > decl.max)
        throw problem(`has min ${decl.min} > max ${decl.max}`);
      if (decl.choices && decl.dtype !== 'string') throw problem('has choices, which need dtype "string"');
      const { query, set } = decl;
      const limits =
        decl.min !== undefined || decl.max !== undefined
          ? {
              ...(decl.min !== undefined ? { min: decl.min } : {}),
              ...(decl.max !== undefined ? { max: decl.max } : {}),
            }
          : undefined;
      out[decl.name] = {
        dtype: decl.choices ? 'enum' : decl.dtype,
        description: decl.description ?? [query, set].filter(Boolean).join(' / '),
        ...(decl.unit !== undefined ? { unit: decl.unit } : {}),
        ...(limits ? { limits } : {}),
        ...(decl.choices ? { choices: decl.choices } : {}),
        monitored: decl.poll && query !== undefined,
        ...(query ? { read: this.signalReader(decl, query) } : {}),
        ...(set ? { write: (value: SignalValue) => this.writeSignal(decl, set, value) } : {}),
      };
    }
    return out;
  }

  private async writeSignal(decl: SignalConfig, template: string, value: SignalValue): Promise<undefined> {
    if (typeof value === 'string' && /[\r\n]/.test(value)) {
      throw new BenchtopError(
        'VALUE_INVALID',
        `${this.id}.${decl.name}: a value cannot contain line breaks`,
        {
          instrument: this.id,
          signal: decl.name,
          value,
        },
      );
    }
    if (typeof value === 'object') {
      throw new BenchtopError(
        'VALUE_INVALID',
        `${this.id}.${decl.name}: expected a ${decl.dtype}, got an array`,
        {
          instrument: this.id,
          signal: decl.name,
        },
      );
    }
    await this.command(buildSetCommand(template, value));
    return undefined;
  }

  private parseReply(decl: SignalConfig, command: string, reply: string): SignalValue {
    let value: SignalValue | null;
    if (decl.choices) {
      const text = parseString(reply).toUpperCase();
      // Instruments answer with the short form: `IMM` for a choice written `IMMediate`.
      value =
        decl.choices.find((c) => c.toUpperCase() === text || c.replace(/[^A-Z0-9]/g, '') === text) ?? null;
    } else if (decl.dtype === 'number') value = parseNumber(reply);
    else if (decl.dtype === 'integer') value = parseInteger(reply);
    else if (decl.dtype === 'boolean') value = parseBoolean(reply);
    else value = parseString(reply);
    if (value === null) throw this.unreadable(command, reply);
    return value;
  }
}
