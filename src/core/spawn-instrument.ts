import type { Actor } from './actor.ts';
import type { EventBus } from './bus.ts';
import type { Clock } from './clock.ts';
import type { DriverIdentity, InstrumentDriver } from './device.ts';
import type { BenchtopEvents } from './events.ts';
import { Instrument } from './instrument.ts';
import { InstrumentBehavior, type InstrumentMessage, type InstrumentReply } from './instrument-behavior.ts';
import type { Logger } from './logger.ts';
import type { RestartPolicy, Supervisor } from './supervisor.ts';

export interface SpawnInstrumentActorOptions {
  id: string;
  driver: InstrumentDriver;
  bus: EventBus<BenchtopEvents>;
  supervisor: Supervisor;
  clock: Clock;
  log: Logger;
  pollIntervalMs: number;
  /** See InstrumentBehaviorOptions.pollPhaseMs. */
  pollPhaseMs?: number;
  /** How long the facade waits for the actor's reply. */
  askTimeoutMs: number;
  policy?: RestartPolicy;
  /** Called once the actor exists, before its first connect attempt is over (start-up logging). */
  onSpawned?: () => void;
}

/**
 * Runs a driver in its own supervised actor behind the Instrument facade, with readings,
 * identity, command timings and state changes on the bus. Resolves after the first connect
 * attempt, whether the instrument came up or is retrying in the background.
 */
export async function spawnInstrumentActor(
  options: SpawnInstrumentActorOptions,
): Promise<{ actor: Actor<InstrumentMessage, InstrumentReply>; instrument: Instrument }> {
  const { id, driver, bus } = options;
  let instrument: Instrument | null = null;
  let identity: DriverIdentity | null = null;
  const spawning = options.supervisor.spawn<InstrumentMessage, InstrumentReply>(
    id,
    () =>
      new InstrumentBehavior({
        id,
        driver,
        log: options.log,
        pollIntervalMs: options.pollIntervalMs,
        ...(options.pollPhaseMs !== undefined ? { pollPhaseMs: options.pollPhaseMs } : {}),
        publish: (reading) => bus.emit('instrument.reading', reading),
        onDescriptionChanged: () => instrument?.descriptionChanged(),
        onIdentity: (found) => {
          identity = found;
          if (instrument) instrument.identity = found;
          bus.emit('instrument.identity', { instrument: id, identity: found });
        },
      }),
    { kind: driver.type, ...(options.policy ? { policy: options.policy } : {}) },
  );
  options.onSpawned?.();
  const actor = await spawning;
  instrument = new Instrument({
    id,
    driver,
    actor,
    clock: options.clock,
    askTimeoutMs: options.askTimeoutMs,
    // Every command's timing (the latency histogram's): no payload when nobody listens.
    onCommand: (op, seconds, outcome) => {
      if (bus.hasSubscribers('instrument.command'))
        bus.emit('instrument.command', { instrument: id, op, seconds, outcome });
    },
    onWritten: (signal, value) =>
      bus.emit('instrument.written', { instrument: id, signal, value, at: options.clock.now() }),
  });
  instrument.identity = identity;
  return { actor, instrument };
}
