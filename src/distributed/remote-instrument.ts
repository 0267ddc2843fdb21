import type { ActorState } from '../core/actor-state.ts';
import { Completion, type DeviceDescription, type InstrumentDriver, type SignalDef } from '../core/device.ts';
import { BenchtopError, ErrorCodes } from '../core/errors.ts';
import type { InstrumentActor } from '../core/instrument.ts';
import type { InstrumentMessage, InstrumentReply } from '../core/instrument-behavior.ts';
import type { Reading } from '../core/reading.ts';
import { schemaFromJson } from '../core/schema-from-json.ts';
import type { CommandReply } from './messages.ts';

/** Sends one command to the owning agent; rejects with INSTRUMENT_UNAVAILABLE (offline) or INSTRUMENT_TIMEOUT (hung). */
export type SendCommand = (
  verb: string,
  args: Record<string, unknown>,
  timeoutMs: number,
) => Promise<CommandReply>;

const remoteOnly = async (): Promise<never> => {
  throw new BenchtopError('INTERNAL', 'a remote instrument is driven through its agent, not a local driver');
};

/**
 * A driver made from the description an agent published: the same signals, limits and actions,
 * so the hub's Instrument checks every value before it crosses the network. It never touches
 * hardware: the RemoteActor forwards the messages.
 */
export function describedDriver(description: DeviceDescription): InstrumentDriver {
  const signals: Record<string, SignalDef> = {};
  for (const s of description.signals) {
    signals[s.name] = {
      dtype: s.dtype,
      description: s.description,
      ...(s.unit !== undefined ? { unit: s.unit } : {}),
      ...(s.limits ? { limits: s.limits } : {}),
      ...(s.choices ? { choices: s.choices } : {}),
      ...(s.shape ? { shape: s.shape, element: s.element ?? 'number' } : {}),
      ...(s.precision !== undefined ? { precision: s.precision } : {}),
      monitored: s.monitored,
      completes: s.completes,
      ...(s.readable ? { read: remoteOnly } : {}),
      ...(s.writable ? { write: remoteOnly } : {}),
    };
  }
  const actions: InstrumentDriver['actions'] = {};
  for (const a of description.actions)
    (actions as Record<string, unknown>)[a.name] = {
      description: a.description,
      // Its TypeBox form: the description crossed the bus as JSON (schema-from-json.ts says why).
      args: schemaFromJson(a.args),
      completes: a.completes,
      run: remoteOnly,
    };
  return {
    type: description.type,
    signals,
    actions,
    capabilities: description.capabilities,
    connect: remoteOnly,
    disconnect: async () => {},
  };
}

/** The agent-side id of a long operation, kept beside the Completion the hub's Instrument polls. */
const remoteIds = new WeakMap<Completion, string>();

/**
 * The hub's stand-in for an actor on another host: the Instrument facade talks to it exactly as
 * to a local actor; each message becomes one NATS request. Its state is the agent's, or
 * `failed` while the agent is stale or dead.
 */
export class RemoteActor implements InstrumentActor {
  state: ActorState = 'starting';
  lastError: BenchtopError | null = null;
  private inFlight = 0;
  private readonly send: SendCommand;
  private readonly completionTimeoutMs: number;

  constructor(send: SendCommand, completionTimeoutMs: number) {
    this.send = send;
    this.completionTimeoutMs = completionTimeoutMs;
  }

  get mailboxDepth(): number {
    return this.inFlight;
  }

  async ask(message: InstrumentMessage, options: { timeoutMs: number }): Promise<InstrumentReply> {
    if (this.state !== 'ready') {
      throw new BenchtopError(
        'ACTOR_UNAVAILABLE',
        this.lastError?.message ?? `the instrument is ${this.state}`,
        {
          state: this.state,
        },
      );
    }
    this.inFlight++;
    try {
      return await this.forward(message, options.timeoutMs);
    } finally {
      this.inFlight--;
    }
  }

  private async forward(message: InstrumentMessage, timeoutMs: number): Promise<InstrumentReply> {
    switch (message.op) {
      case 'read': {
        const r = await this.result(this.send('read', { signal: message.signal }, timeoutMs));
        return { reading: (r as { reading: Reading }).reading };
      }
      case 'write':
        return this.reply(
          await this.send(
            'write',
            { signal: message.signal, value: message.value, ...(message.readBack ? { readBack: true } : {}) },
            timeoutMs,
          ),
        );
      case 'call':
        return this.reply(await this.send('call', { action: message.action, args: message.args }, timeoutMs));
      case 'check': {
        const id = remoteIds.get(message.completion);
        if (!id) throw new BenchtopError('INTERNAL', 'a completion that did not come from this agent');
        const r = await this.result(this.send('check', { completion: id }, timeoutMs));
        return { done: (r as { done: boolean }).done };
      }
      case 'poll':
        return {};
    }
  }

  private reply(reply: CommandReply): InstrumentReply {
    if (reply.status === 'accepted') {
      const { id, what } = (reply.result as { completion: { id: string; what: string } }).completion;
      // The agent enforces the operation's own timeout and reports it through `check`.
      const completion = new Completion({
        what,
        isDone: remoteOnly,
        pollMs: 50,
        timeoutMs: this.completionTimeoutMs,
      });
      remoteIds.set(completion, id);
      return { completion };
    }
    const result = unwrap(reply) as { reading?: Reading; result?: unknown };
    return {
      ...(result.reading ? { reading: result.reading } : {}),
      ...('result' in result ? { result: result.result } : {}),
    };
  }

  private async result(reply: Promise<CommandReply>): Promise<unknown> {
    return unwrap(await reply);
  }
}

/** The agent's answer, or its error re-thrown here with the same code (INSTRUMENT_ERROR stays that). */
export function unwrap(reply: CommandReply): unknown {
  if (reply.status === 'done' || reply.status === 'accepted') return reply.result ?? {};
  const error = reply.error ?? { code: 'INTERNAL', message: 'the agent refused without saying why' };
  const code = (error.code in ErrorCodes ? error.code : 'INTERNAL') as keyof typeof ErrorCodes;
  throw new BenchtopError(code, error.message, error.details ?? {});
}
