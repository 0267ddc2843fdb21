import type { ActorStateChange } from '../../core/actor-state.ts';
import { EventBus } from '../../core/bus.ts';
import { systemClock } from '../../core/clock.ts';
import type { DriverIdentity } from '../../core/device.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import { Instrument } from '../../core/instrument.ts';
import {
  InstrumentBehavior,
  type InstrumentMessage,
  type InstrumentReply,
} from '../../core/instrument-behavior.ts';
import { silentLogger } from '../../core/logger.ts';
import type { Reading } from '../../core/reading.ts';
import { Supervisor } from '../../core/supervisor.ts';
import type { LineSimulatorServer } from '../../sim/line-simulator-server.ts';
import type { VirtualLab } from '../../sim/virtual-lab.ts';
import type { InstrumentKind } from '../kind.ts';

/**
 * Test support: one instrument driven the way Benchtop drives it (real supervisor, actor,
 * facade, TCP) against its wire-level simulator on an ephemeral port, reached through
 * `serial_port = "tcp://…"` like a serial device server.
 */
export interface SimRig {
  instrument: Instrument;
  bus: EventBus<BenchtopEvents>;
  /** The simulator now listening (replaced by `restartSimulator`). */
  server: LineSimulatorServer;
  port: number;
  states: ActorStateChange[];
  readings: Reading[];
  /** Resolves at the next actor state change matching `state`. */
  nextState(state: ActorStateChange['state']): Promise<ActorStateChange>;
  /** Closes the simulator (the instrument switched off): its clients see the link drop. */
  stopSimulator(): Promise<void>;
  /** Starts a fresh simulator on the same port (the instrument switched back on). */
  startSimulator(): Promise<void>;
  close(): Promise<void>;
}

export async function startSimRig(options: {
  kind: InstrumentKind;
  id: string;
  lab: VirtualLab;
  config?: Record<string, unknown>;
  pollIntervalMs?: number;
  /** Builds the simulator (e.g. around a wrapped protocol); default: the kind's own. */
  makeServer?: () => LineSimulatorServer;
  /** Where the driver finds the simulator listening on `port`; default `tcp://127.0.0.1:port`. */
  serialPortFor?: (port: number) => Promise<string>;
}): Promise<SimRig> {
  const { kind, id, lab } = options;
  const makeServer = options.makeServer ?? (() => kind.createSimulator!(id, {}, lab) as LineSimulatorServer);
  let server = makeServer();
  const { port } = await server.listen(0, '127.0.0.1');
  const serialPort = options.serialPortFor ? await options.serialPortFor(port) : `tcp://127.0.0.1:${port}`;
  const config = { serial_port: serialPort, timeout_ms: 1000, ...options.config };
  const bus = new EventBus<BenchtopEvents>();
  const states: ActorStateChange[] = [];
  const readings: Reading[] = [];
  bus.on('actor.state', (c) => states.push(c));
  bus.on('instrument.reading', (r) => readings.push(r));
  const supervisor = new Supervisor({
    clock: systemClock,
    mailboxCapacity: 16,
    spawnTimeoutMs: 5_000,
    shutdownTimeoutMs: 2_000,
    policy: { maxRestarts: 100, windowMs: 60_000, initialBackoffMs: 50, maxBackoffMs: 200, jitter: 0 },
    onStateChange: (c) => bus.emit('actor.state', c),
  });
  const driver = kind.createDriver(id, config, { clock: systemClock, log: silentLogger() });
  let instrument: Instrument | null = null;
  let identity: DriverIdentity | null = null;
  const actor = await supervisor.spawn<InstrumentMessage, InstrumentReply>(
    id,
    () =>
      new InstrumentBehavior({
        id,
        driver,
        log: silentLogger(),
        pollIntervalMs: options.pollIntervalMs ?? 0,
        publish: (reading) => {
          instrument?.remember(reading);
          bus.emit('instrument.reading', reading);
        },
        onIdentity: (reported) => {
          identity = reported;
          if (instrument) instrument.identity = reported;
        },
      }),
    { kind: kind.type },
  );
  instrument = new Instrument({ id, driver, actor, clock: systemClock, askTimeoutMs: 5_000 });
  instrument.identity = identity;
  const rig: SimRig = {
    instrument,
    bus,
    server,
    port,
    states,
    readings,
    nextState: (state) => bus.once('actor.state', (c) => c.state === state),
    async stopSimulator() {
      await rig.server.close();
    },
    async startSimulator() {
      server = makeServer();
      rig.server = server;
      await server.listen(port, '127.0.0.1');
    },
    async close() {
      await supervisor.stopAll();
      await rig.server.close();
    },
  };
  return rig;
}

/** Waits (without a fixed delay) until `condition` holds, checking at most `tries` times. */
export async function eventually(condition: () => boolean, what: string, tries = 500): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}
