import type { Actor } from './actor.ts';
import type { ActorState } from './actor-state.ts';
import { type Clock, sleep } from './clock.ts';
import {
  type Completion,
  type DeviceDescription,
  type DriverIdentity,
  describeDriver,
  describeSignal,
  type InstrumentDriver,
} from './device.ts';
import { BenchtopError } from './errors.ts';
import type { InstrumentMessage, InstrumentReply } from './instrument-behavior.ts';
import type { Reading } from './reading.ts';
import { checkActionArgs, checkWrite } from './signal-validation.ts';

export { splitSignalPath } from './signal-text.ts';

export interface WriteOptions {
  /** Wait until the instrument has done it (motion done, tuned). Default true. */
  wait?: boolean;
}

export interface InstrumentStatus extends DeviceDescription {
  state: ActorState;
  lastError: { code: string; message: string } | null;
  identity: DriverIdentity | null;
}

/** The control lease of a remote instrument as the hub last saw it: a hub, or an operator at the agent host. */
export interface InstrumentControl {
  holder: string;
  /** An operator at the instrument's host holds it: no hub may write, call or restart. */
  local: boolean;
  note?: string;
  /** Holder's clock, epoch ms. */
  renewedAt: number;
  lapsesAt: number;
}

/**
 * What an Instrument needs of its actor: the local supervised actor, or a proxy that forwards
 * the same messages to the agent that owns the instrument on another host.
 */
export type InstrumentActor = Pick<
  Actor<InstrumentMessage, InstrumentReply>,
  'state' | 'lastError' | 'mailboxDepth' | 'ask'
>;

/**
 * What the rest of Benchtop (API, plans, CLI, parameter log) holds to use an instrument.
 * Every value is checked against the device description before the actor is asked, so a bad
 * write never reaches the wire; long operations are awaited by polling through the actor.
 */
export class Instrument {
  readonly id: string;
  readonly type: string;
  readonly driver: InstrumentDriver;
  /** The machine it is attached to, for an instrument on another host's agent (several machines). */
  readonly host: string | undefined;
  private readonly actor: InstrumentActor;
  private readonly clock: Clock;
  private readonly askTimeoutMs: number;
  /** The same options for every ask (never modified by the actor): no object per command. */
  private readonly askOptions: { readonly timeoutMs: number };
  private readonly latest = new Map<string, Reading>();
  identity: DriverIdentity | null = null;
  /** Who holds its control lease, for an instrument on another host's agent (several machines); null when nobody does. */
  control: InstrumentControl | null = null;
  private readonly onCommand:
    | ((op: 'read' | 'write' | 'call', seconds: number, outcome: 'ok' | 'error') => void)
    | undefined;
  private readonly onWritten: ((signal: string, value: unknown) => void) | undefined;

  constructor(options: {
    id: string;
    driver: InstrumentDriver;
    actor: InstrumentActor;
    clock: Clock;
    host?: string;
    askTimeoutMs: number;
    /** Told about every command's duration and outcome (the latency histogram). */
    onCommand?: (op: 'read' | 'write' | 'call', seconds: number, outcome: 'ok' | 'error') => void;
    /** Told about every write Benchtop made that succeeded (setpoint watching). */
    onWritten?: (signal: string, value: unknown) => void;
  }) {
    this.id = options.id;
    this.type = options.driver.type;
    this.driver = options.driver;
    this.actor = options.actor;
    this.host = options.host;
    this.clock = options.clock;
    this.askTimeoutMs = options.askTimeoutMs;
    this.askOptions = { timeoutMs: options.askTimeoutMs };
    this.onCommand = options.onCommand;
    this.onWritten = options.onWritten;
  }

  private description: DeviceDescription | null = null;

  get state(): ActorState {
    return this.actor.state;
  }

  get mailboxDepth(): number {
    return this.actor.mailboxDepth;
  }

  /**
   * The device as clients see it. Built once and kept (the engine asks at every lookup) until
   * the driver changes a unit or limit (at connect, or `descriptionChanged`); do not modify it.
   */
  describe(): DeviceDescription {
    this.description ??= describeDriver(this.id, this.driver);
    return this.description;
  }

  /** Drops the kept description: the next `describe` reads the driver's declarations again. */
  descriptionChanged(): void {
    this.description = null;
  }

  status(): InstrumentStatus {
    const error = this.actor.lastError;
    return {
      ...this.describe(),
      state: this.actor.state,
      lastError: error ? { code: error.code, message: error.message } : null,
      identity: this.identity,
    };
  }

  /** The last value read or published, if any (no instrument traffic). */
  lastReading(signal: string): Reading | undefined {
    return this.latest.get(signal);
  }

  /** Every signal's last reading. */
  lastReadings(): Reading[] {
    return [...this.latest.values()];
  }

  /** Called by the owner for every reading this instrument publishes. */
  remember(reading: Reading): void {
    this.latest.set(reading.signal, reading);
  }

  /**
   * The hot path (pollers, the parameter log, scripted loops): one promise chain from the
   * mailbox to the caller, no async wrappers (each would add a promise and a microtask hop).
   */
  read(signal: string): Promise<Reading> {
    const started = this.clock.monotonic();
    try {
      if (!this.signalDef(signal).read) {
        throw new BenchtopError('SIGNAL_WRITE_ONLY', `${this.id}.${signal} cannot be read`, {
          instrument: this.id,
          signal,
        });
      }
    } catch (error) {
      this.readDone(started, 'error');
      return Promise.reject(error);
    }
    return this.actor.ask({ op: 'read', signal }, this.askOptions).then(
      (reply) => {
        this.readDone(started, 'ok');
        return reply.reading!;
      },
      (error: unknown) => {
        this.readDone(started, 'error');
        throw this.askError(error);
      },
    );
  }

  private readDone(started: number, outcome: 'ok' | 'error'): void {
    this.onCommand?.('read', (this.clock.monotonic() - started) / 1000, outcome);
  }

  /** Writes a signal; with `wait` (default) resolves when the instrument has finished. */
  async write(signal: string, value: unknown, options: WriteOptions = {}): Promise<void> {
    await this.timed('write', () => this.doWrite(signal, value, options, false));
  }

  /**
   * `write`, resolving with the reading when the signal's write read the value back
   * (`verifies`): the caller needs no second exchange to report the value.
   */
  writeAndRead(signal: string, value: unknown, options: WriteOptions = {}): Promise<Reading | undefined> {
    return this.timed('write', () => this.doWrite(signal, value, options, options.wait !== false));
  }

  call(action: string, args: unknown = {}, options: WriteOptions = {}): Promise<unknown> {
    return this.timed('call', () => this.doCall(action, args, options));
  }

  private async timed<T>(op: 'read' | 'write' | 'call', run: () => Promise<T>): Promise<T> {
    const started = this.clock.monotonic();
    try {
      const result = await run();
      this.onCommand?.(op, (this.clock.monotonic() - started) / 1000, 'ok');
      return result;
    } catch (error) {
      this.onCommand?.(op, (this.clock.monotonic() - started) / 1000, 'error');
      throw error;
    }
  }

  private async doWrite(
    signal: string,
    value: unknown,
    options: WriteOptions,
    readBack: boolean,
  ): Promise<Reading | undefined> {
    const desc = this.signal(signal);
    const checked = checkWrite(this.id, desc, value);
    const reply = await this.ask({ op: 'write', signal, value: checked, ...(readBack ? { readBack } : {}) });
    this.onWritten?.(signal, checked);
    if (reply.completion && options.wait !== false) await this.await(reply.completion);
    return reply.reading;
  }

  private async doCall(action: string, args: unknown, options: WriteOptions): Promise<unknown> {
    const desc = this.describe().actions.find((a) => a.name === action);
    if (!desc) {
      throw new BenchtopError('ACTION_NOT_FOUND', `${this.id} has no action "${action}"`, {
        instrument: this.id,
        action,
        known: this.describe().actions.map((a) => a.name),
      });
    }
    const checked = checkActionArgs(this.id, desc, args);
    const reply = await this.ask({ op: 'call', action, args: checked });
    if (reply.completion && options.wait !== false) await this.await(reply.completion);
    return reply.result;
  }

  /** The one signal's description (on every command: not the whole device's). */
  private signal(name: string) {
    return describeSignal(name, this.signalDef(name));
  }

  private signalDef(name: string) {
    const def = Object.hasOwn(this.driver.signals, name) ? this.driver.signals[name] : undefined;
    if (!def) {
      throw new BenchtopError('SIGNAL_NOT_FOUND', `${this.id} has no signal "${name}"`, {
        instrument: this.id,
        signal: name,
        known: Object.keys(this.driver.signals),
      });
    }
    return def;
  }

  private async await(completion: Completion): Promise<void> {
    const deadline = this.clock.monotonic() + completion.timeoutMs;
    for (;;) {
      const { done } = await this.ask({ op: 'check', completion });
      if (done) return;
      if (this.clock.monotonic() >= deadline) {
        throw new BenchtopError(
          'INSTRUMENT_TIMEOUT',
          `${this.id}: ${completion.what} not done within ${completion.timeoutMs} ms`,
          {
            instrument: this.id,
            timeoutMs: completion.timeoutMs,
          },
        );
      }
      await sleep(this.clock, completion.pollMs);
    }
  }

  private async ask(message: InstrumentMessage): Promise<InstrumentReply> {
    try {
      return await this.actor.ask(message, this.askOptions);
    } catch (error) {
      throw this.askError(error);
    }
  }

  /** What a failed ask means to the caller of this instrument. */
  private askError(error: unknown): unknown {
    if (
      error instanceof BenchtopError &&
      (error.code === 'ACTOR_UNAVAILABLE' || error.code === 'ACTOR_STOPPED')
    ) {
      return new BenchtopError(
        'INSTRUMENT_UNAVAILABLE',
        `${this.id} is unavailable (${this.actor.state}): ${error.message}`,
        {
          instrument: this.id,
          state: this.actor.state,
          ...error.details,
        },
        { cause: error },
      );
    }
    if (error instanceof BenchtopError && error.code === 'ASK_TIMEOUT') {
      return new BenchtopError(
        'INSTRUMENT_TIMEOUT',
        `${this.id}: no answer within ${this.askTimeoutMs} ms`,
        { instrument: this.id },
        { cause: error },
      );
    }
    return error;
  }
}
