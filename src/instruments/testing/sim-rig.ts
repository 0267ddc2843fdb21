import type { ActorStateChange } from '../../core/actor-state.ts';
import { EventBus } from '../../core/bus.ts';
import { systemClock } from '../../core/clock.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import type { Instrument } from '../../core/instrument.ts';
import { silentLogger } from '../../core/logger.ts';
import type { Reading } from '../../core/reading.ts';
import { spawnInstrument } from '../../core/testing/instrument-harness.ts';
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
  /** The simulator now listening (replaced by `startSimulator`). */
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
  const driver = kind.createDriver(id, config, { clock: systemClock, log: silentLogger() });
  const { instrument, stop } = await spawnInstrument({
    id,
    driver,
    bus,
    pollIntervalMs: options.pollIntervalMs ?? 0,
  });
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
      await stop();
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
