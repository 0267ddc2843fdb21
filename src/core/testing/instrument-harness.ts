import type { Actor } from '../actor.ts';
import type { EventBus } from '../bus.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { InstrumentDriver } from '../device.ts';
import type { BenchtopEvents } from '../events.ts';
import type { Instrument } from '../instrument.ts';
import type { InstrumentMessage, InstrumentReply } from '../instrument-behavior.ts';
import { silentLogger } from '../logger.ts';
import { spawnInstrumentActor } from '../spawn-instrument.ts';
import { type RestartPolicy, Supervisor } from '../supervisor.ts';

/**
 * Reconnects within a fraction of a second and exactly (no jitter), and allows enough restarts
 * that a test's fault drills never leave the actor faulted.
 */
export const testRestartPolicy: RestartPolicy = {
  maxRestarts: 100,
  windowMs: 60_000,
  initialBackoffMs: 50,
  maxBackoffMs: 200,
  jitter: 0,
};

export interface TestSupervisorOptions {
  bus: EventBus<BenchtopEvents>;
  /** Default: the system clock. */
  clock?: Clock;
  /** How long a (re)connect may take; on a ManualClock, more than the test advances meanwhile. */
  spawnTimeoutMs?: number;
}

/** A supervisor that reports every actor state change on `bus`, as Benchtop's does. */
export function testSupervisor(options: TestSupervisorOptions): Supervisor {
  return new Supervisor({
    clock: options.clock ?? systemClock,
    mailboxCapacity: 32,
    spawnTimeoutMs: options.spawnTimeoutMs ?? 5_000,
    shutdownTimeoutMs: 5_000,
    policy: testRestartPolicy,
    onStateChange: (change) => options.bus.emit('actor.state', change),
  });
}

export interface SpawnInstrumentOptions extends TestSupervisorOptions {
  id: string;
  driver: InstrumentDriver;
  /** Default 0: monitored signals are not polled. */
  pollIntervalMs?: number;
  /** Where in the interval the polls fall (see InstrumentBehaviorOptions.pollPhaseMs). */
  pollPhaseMs?: number;
  /** Default: testRestartPolicy. */
  policy?: RestartPolicy;
  /** How long the facade waits for the actor's reply (default 5 s). */
  askTimeoutMs?: number;
  /** Spawn into this supervisor (a lab of several instruments); default: one of its own. */
  supervisor?: Supervisor;
  /**
   * False leaves the facade's last readings empty, for tests of the facade itself; by default
   * the harness remembers every reading the instrument publishes, as InstrumentManager does.
   */
  rememberReadings?: boolean;
}

export interface SpawnedInstrument {
  supervisor: Supervisor;
  actor: Actor<InstrumentMessage, InstrumentReply>;
  instrument: Instrument;
  /** Stops the instrument's actor (the whole supervisor when it is the harness's own). */
  stop(): Promise<void>;
}

/**
 * A driver running the way Benchtop runs it, for tests: in a supervised actor behind the
 * Instrument facade, with readings, identity, commands and state changes on `bus`, wired the
 * way InstrumentManager wires them. Resolves after the first connect attempt, like the
 * manager: check `instrument.state` if the test needs it ready.
 */
export async function spawnInstrument(options: SpawnInstrumentOptions): Promise<SpawnedInstrument> {
  const { id, driver, bus } = options;
  const clock = options.clock ?? systemClock;
  const supervisor = options.supervisor ?? testSupervisor(options);
  const { actor, instrument: facade } = await spawnInstrumentActor({
    id,
    driver,
    bus,
    supervisor,
    clock,
    log: silentLogger(),
    pollIntervalMs: options.pollIntervalMs ?? 0,
    ...(options.pollPhaseMs !== undefined ? { pollPhaseMs: options.pollPhaseMs } : {}),
    askTimeoutMs: options.askTimeoutMs ?? 5_000,
    policy: options.policy ?? testRestartPolicy,
  });
  const forget =
    options.rememberReadings === false
      ? () => {}
      : bus.on('instrument.reading', (reading) => {
          if (reading.instrument === id) facade.remember(reading);
        });
  return {
    supervisor,
    actor,
    instrument: facade,
    async stop() {
      forget();
      if (options.supervisor) await supervisor.stop(id);
      else await supervisor.stopAll();
    },
  };
}
