import type { ActorStateChange } from '../../core/actor-state.ts';
import { EventBus } from '../../core/bus.ts';
import { ManualClock, systemClock } from '../../core/clock.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import type { Instrument } from '../../core/instrument.ts';
import { silentLogger } from '../../core/logger.ts';
import type { Reading } from '../../core/reading.ts';
import { spawnInstrument } from '../../core/testing/instrument-harness.ts';
import { LineSimulatorServer, type SimulatorFault } from '../../sim/line-simulator-server.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { scpiKind } from './kind.ts';
import { ScpiDmmSimProtocol } from './scpi-dmm-sim-protocol.ts';
import { Vxi11SimulatorServer } from './vxi11/vxi11-sim-server.ts';

export type ScpiTransport = 'socket' | 'vxi11';

type ScpiSimulator = (LineSimulatorServer | Vxi11SimulatorServer) & {
  readonly received: string[];
  setFault(fault: SimulatorFault): void;
  dropConnections(): void;
};

/**
 * Test support: a ScpiInstrument driven the way Benchtop drives it (real supervisor, actor,
 * facade, sockets) against the simulated DMM on an ephemeral port, either as a raw socket
 * (`TCPIP0::127.0.0.1::<port>::SOCKET`) or over VXI-11 (`TCPIP0::127.0.0.1::inst0::INSTR`
 * with the portmapper on an ephemeral port).
 */
export interface ScpiRig {
  instrument: Instrument;
  bus: EventBus<BenchtopEvents>;
  lab: VirtualLab;
  labClock: ManualClock;
  /** Where the simulator listens: the raw socket, or the VXI-11 portmapper. */
  port: number;
  /** The simulator now listening (replaced by `startSimulator`). */
  server: ScpiSimulator;
  protocol: ScpiDmmSimProtocol;
  states: ActorStateChange[];
  readings: Reading[];
  nextState(state: ActorStateChange['state']): Promise<ActorStateChange>;
  /** Lines the instrument received since the last call. */
  takeReceived(): string[];
  stopSimulator(): Promise<void>;
  startSimulator(): Promise<void>;
  close(): Promise<void>;
}

export async function startScpiRig(options: {
  transport: ScpiTransport;
  config?: Record<string, unknown>;
  pollIntervalMs?: number;
}): Promise<ScpiRig> {
  const labClock = new ManualClock();
  const lab = new VirtualLab({ clock: labClock, seed: 3, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 0 });
  const protocol = new ScpiDmmSimProtocol(lab);
  const makeServer = (): ScpiSimulator =>
    options.transport === 'socket'
      ? new LineSimulatorServer('ScpiInstrument', protocol, { readTerminator: '\n', replyTerminator: '\n' })
      : new Vxi11SimulatorServer('ScpiInstrument', protocol, { maxRecvSize: 1024 });
  let server = makeServer();
  const { port } = await server.listen(0, '127.0.0.1');
  const config =
    options.transport === 'socket'
      ? { resource: `TCPIP0::127.0.0.1::${port}::SOCKET` }
      : { resource: 'TCPIP0::127.0.0.1::inst0::INSTR', portmapper_port: port };
  const bus = new EventBus<BenchtopEvents>();
  const states: ActorStateChange[] = [];
  const readings: Reading[] = [];
  bus.on('actor.state', (c) => states.push(c));
  bus.on('instrument.reading', (r) => readings.push(r));
  const driver = scpiKind.createDriver(
    'dmm',
    { timeout_ms: 300, ...config, ...options.config },
    {
      clock: systemClock,
      log: silentLogger(),
    },
  );
  const { instrument, stop } = await spawnInstrument({
    id: 'dmm',
    driver,
    bus,
    spawnTimeoutMs: 5_000,
    pollIntervalMs: options.pollIntervalMs ?? 0,
  });
  let seen = 0;
  const rig: ScpiRig = {
    instrument,
    bus,
    lab,
    labClock,
    port,
    server,
    protocol,
    states,
    readings,
    nextState: (state) => bus.once('actor.state', (c) => c.state === state),
    takeReceived: () => {
      const lines = rig.server.received.slice(seen);
      seen = rig.server.received.length;
      return lines;
    },
    stopSimulator: () => server.close(),
    startSimulator: async () => {
      server = makeServer();
      rig.server = server;
      seen = 0;
      await server.listen(port, '127.0.0.1');
    },
    close: async () => {
      await stop();
      await server.close();
    },
  };
  return rig;
}
