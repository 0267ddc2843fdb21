import type { ActorBehavior, ActorContext, MessageContext } from './actor.ts';
import type { Clock, TimerHandle } from './clock.ts';
import {
  type CallContext,
  Completion,
  type DriverContext,
  type DriverIdentity,
  type InstrumentDriver,
  type SignalValue,
} from './device.ts';
import { BenchtopError, isBenchtopError, toBenchtopError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { Reading } from './reading.ts';

export type InstrumentMessage =
  | { op: 'read'; signal: string }
  | {
      op: 'write';
      signal: string;
      value: SignalValue;
      /**
       * The caller reads the value back right after (a PUT reporting it): an actor across a
       * network reads it in the same exchange; a local one ignores it (its read is cheap).
       */
      readBack?: boolean;
    }
  | { op: 'call'; action: string; args: Record<string, unknown> }
  | { op: 'check'; completion: Completion }
  | { op: 'poll' };

export interface InstrumentReply {
  reading?: Reading;
  completion?: Completion;
  result?: unknown;
  done?: boolean;
}

/**
 * A command's context: the driver's, plus the message's abort signal, read from the actor
 * only when the driver uses it (making it costs more than a fast command). A class: an
 * object literal with a getter would get a hidden class of its own at every command.
 */
class CallScope implements CallContext {
  readonly id: string;
  readonly clock: DriverContext['clock'];
  readonly log: Logger;
  readonly lifetime: AbortSignal;
  readonly linkLost: DriverContext['linkLost'];
  readonly publish: DriverContext['publish'];
  readonly descriptionChanged: DriverContext['descriptionChanged'];
  private readonly message: MessageContext;

  constructor(driver: DriverContext, message: MessageContext) {
    this.id = driver.id;
    this.clock = driver.clock;
    this.log = driver.log;
    this.lifetime = driver.lifetime;
    this.linkLost = driver.linkLost;
    this.publish = driver.publish;
    this.descriptionChanged = driver.descriptionChanged;
    this.message = message;
  }

  get signal(): AbortSignal {
    return this.message.signal;
  }
}

/** Failures that mean the link can no longer be trusted: reconnect. */
const LINK_FAULTS = new Set(['LINK_LOST', 'INSTRUMENT_TIMEOUT', 'PROTOCOL_ERROR']);

export function isLinkFault(error: unknown): boolean {
  return isBenchtopError(error) && LINK_FAULTS.has(error.code);
}

export interface InstrumentBehaviorOptions {
  id: string;
  driver: InstrumentDriver;
  log: Logger;
  pollIntervalMs: number;
  /**
   * Where in the interval this instrument's polls fall (ms, monotonic clock modulo the interval).
   * Instruments polled at the same rate are given different phases so that their polls spread
   * over the interval instead of all coming due at once; the first poll after a connect still
   * runs at once. Absent: every interval from the connect.
   */
  pollPhaseMs?: number;
  publish: (reading: Reading) => void;
  onIdentity: (identity: DriverIdentity) => void;
  /** After connect, and whenever the driver says it changed a unit or limit. */
  onDescriptionChanged?: () => void;
}

/**
 * One connection's worth of an instrument actor: connects the driver on start, runs one
 * command at a time, polls monitored signals, and declares the incarnation dead on a link
 * fault (timeout, garbage, disconnect) so the supervisor reconnects with backoff.
 */
export class InstrumentBehavior implements ActorBehavior<InstrumentMessage, InstrumentReply> {
  private readonly options: InstrumentBehaviorOptions;
  private pollTimer: TimerHandle | null = null;
  private pollQueued = false;
  /** When the current poll was due (monotonic ms): the next one is due one interval later. */
  private pollDue = 0;
  /** The next poll is the first after a connect: it moves the deadline grid onto the phase. */
  private firstPoll = true;
  private driverCtx: DriverContext | null = null;
  private failedHandler: { fail: MessageContext['fail']; handler: (error: unknown) => never } | null = null;
  private readonly readReplies = new Map<
    string,
    { clock: Clock; reply: (value: SignalValue) => InstrumentReply }
  >();

  constructor(options: InstrumentBehaviorOptions) {
    this.options = options;
  }

  async start(ctx: ActorContext): Promise<void> {
    const { driver, id, log } = this.options;
    const driverCtx: DriverContext = {
      id,
      clock: ctx.clock,
      log,
      lifetime: ctx.lifetime,
      linkLost: (error) => ctx.fail(toBenchtopError(error, 'LINK_LOST')),
      publish: (signal, value) => this.publish(ctx.clock, signal, value),
      descriptionChanged: () => this.options.onDescriptionChanged?.(),
    };
    this.driverCtx = driverCtx;
    const identity = await driver.connect(driverCtx);
    // Connect may refine units and limits from what the instrument reports.
    this.options.onDescriptionChanged?.();
    this.options.onIdentity(identity);
    log.info({ identity }, `connected: ${identity.model}`);
    this.pollDue = ctx.clock.monotonic();
    this.firstPoll = true;
    this.schedulePoll(ctx, 0);
  }

  handle(message: InstrumentMessage, ctx: MessageContext): Promise<InstrumentReply> {
    const call = new CallScope(this.driverCtx!, ctx);
    const failed = this.failedFor(ctx);
    // Reads are the hot path (pollers, the parameter log, scripted loops): one `.then` from the
    // driver's promise to the reply, where the async dispatch below costs three more microtask
    // hops (its await, its return, this function's await) per read.
    if (message.op === 'read') {
      const def = this.options.driver.signals[message.signal];
      if (!def?.read) {
        return Promise.reject(
          new BenchtopError('SIGNAL_WRITE_ONLY', `${this.options.id}.${message.signal} cannot be read`),
        );
      }
      let value: Promise<SignalValue>;
      try {
        value = def.read(call);
      } catch (error) {
        return Promise.reject(error).catch(failed);
      }
      return value.then(this.replyFor(ctx, message.signal), failed);
    }
    return this.dispatch(message, call, ctx).catch(failed);
  }

  /**
   * A failed command's handler: a link fault fails the incarnation, and the error goes on to
   * the asker. Every message of an incarnation has the same `fail`: one handler, not one per message.
   */
  private failedFor(ctx: MessageContext): (error: unknown) => never {
    if (this.failedHandler?.fail !== ctx.fail) {
      const fail = ctx.fail;
      const handler = (error: unknown): never => {
        if (isLinkFault(error)) fail(error);
        throw error;
      };
      this.failedHandler = { fail, handler };
    }
    return this.failedHandler.handler;
  }

  /** What turns a read's value into its reply (publishing the reading), kept per signal. */
  private replyFor(ctx: MessageContext, signal: string): (value: SignalValue) => InstrumentReply {
    const clock = ctx.clock;
    let kept = this.readReplies.get(signal);
    if (kept?.clock !== clock) {
      const reply = (value: SignalValue): InstrumentReply => ({
        reading: this.publish(clock, signal, value),
      });
      kept = { clock, reply };
      this.readReplies.set(signal, kept);
    }
    return kept.reply;
  }

  async stop(): Promise<void> {
    this.pollTimer?.cancel();
    this.pollTimer = null;
    await this.options.driver.disconnect();
  }

  /** Everything but reads (handle() answers those itself). */
  private async dispatch(
    message: Exclude<InstrumentMessage, { op: 'read' }>,
    call: CallContext,
    ctx: MessageContext,
  ): Promise<InstrumentReply> {
    const { driver } = this.options;
    switch (message.op) {
      case 'write': {
        // The Instrument facade checked the value and that the signal is writable.
        const def = driver.signals[message.signal]!;
        const completion = await def.write!(message.value, call);
        // A verified write read the value back before it returned: that is the reading, also
        // for a write that completes later (a setpoint taken at once, the motion after).
        const reading = def.verifies ? this.publish(ctx.clock, message.signal, message.value) : undefined;
        if (completion instanceof Completion) return reading ? { completion, reading } : { completion };
        return reading ? { reading } : {};
      }
      case 'call': {
        const def = driver.actions[message.action] as unknown as
          | { run: (a: unknown, c: CallContext) => Promise<unknown> }
          | undefined;
        if (!def)
          throw new BenchtopError('ACTION_NOT_FOUND', `${this.options.id} has no action "${message.action}"`);
        const result = await def.run(message.args, call);
        return result instanceof Completion ? { completion: result } : { result };
      }
      case 'check':
        return { done: await message.completion.isDone(call) };
      case 'poll':
        this.pollQueued = false;
        try {
          await this.pollOnce(call, ctx);
        } finally {
          // Deadlines, not "interval after the last poll ended": the poll's own duration does not
          // stretch the period. A poll that overran its period is followed at once, never doubled up.
          const interval = this.options.pollIntervalMs;
          const now = ctx.clock.monotonic();
          this.pollDue = Math.max(this.pollDue + interval, now - interval);
          if (this.firstPoll) this.pollDue = this.onPhase(this.pollDue);
          this.firstPoll = false;
          this.schedulePoll(ctx, Math.max(0, this.pollDue - now));
        }
        return {};
    }
  }

  private async pollOnce(call: CallContext, ctx: MessageContext): Promise<void> {
    for (const [name, def] of Object.entries(this.options.driver.signals)) {
      if (!def.monitored || !def.read || ctx.lifetime.aborted) continue;
      try {
        this.publish(ctx.clock, name, await def.read(call));
      } catch (error) {
        if (isLinkFault(error)) throw error;
        this.options.log.warn({ err: error, signal: name }, `poll of ${name} failed`);
      }
    }
  }

  /** The deadline on the phase's grid nearest `due` (within half an interval of it). */
  private onPhase(due: number): number {
    const phase = this.options.pollPhaseMs;
    const interval = this.options.pollIntervalMs;
    if (phase === undefined || interval <= 0) return due;
    const offset = (((phase - due) % interval) + interval) % interval;
    return offset <= interval / 2 ? due + offset : due + offset - interval;
  }

  private schedulePoll(ctx: ActorContext, delayMs: number): void {
    const interval = this.options.pollIntervalMs;
    const hasMonitored = Object.values(this.options.driver.signals).some((d) => d.monitored && d.read);
    if (interval <= 0 || !hasMonitored || ctx.lifetime.aborted) return;
    this.pollTimer?.cancel();
    this.pollTimer = ctx.clock.setTimeout(() => {
      this.pollTimer = null;
      // One poll in the mailbox at most: a slow instrument is never buried under its own polls.
      if (this.pollQueued || ctx.lifetime.aborted) return;
      this.pollQueued = ctx.post({ op: 'poll' } satisfies InstrumentMessage);
      if (!this.pollQueued) this.schedulePoll(ctx, interval);
    }, delayMs);
  }

  private publish(clock: Clock, signal: string, value: SignalValue): Reading {
    const def = this.options.driver.signals[signal];
    // Two literals rather than a spread: no temporary object per reading.
    const timestamp = clock.now();
    const id = this.options.id;
    const reading: Reading = def?.unit
      ? { instrument: id, signal, value, timestamp, unit: def.unit, quality: 'good' }
      : { instrument: id, signal, value, timestamp, quality: 'good' };
    this.options.publish(reading);
    return reading;
  }
}
