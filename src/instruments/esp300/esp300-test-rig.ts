import type { ActorStateChange } from '../../core/actor-state.ts';
import { EventBus } from '../../core/bus.ts';
import { systemClock } from '../../core/clock.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import { silentLogger } from '../../core/logger.ts';
import { spawnInstrument } from '../../core/testing/instrument-harness.ts';
import type { LineProtocol, LineSimulatorServer } from '../../sim/line-simulator-server.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { Esp300SimProtocol } from './esp300-sim-protocol.ts';
import { esp300Kind, esp300SimulatorServer } from './kind.ts';

export interface Esp300RigOptions {
  /** Extra `config` keys (units, travel, timeout_ms, axes). */
  config?: Record<string, unknown>;
  /**
   * Talk to the simulator through a serial device instead of its TCP port: given where the
   * simulator listens, returns the device path (e.g. a socat pty bridged to that port).
   */
  serialPortFor?: (host: string, port: number) => Promise<string>;
  pollIntervalMs?: number;
  /**
   * Leave units and travel out of the config, so the driver takes the controller's own (by
   * default the rig's config names them, as config/benchtop.example.toml does).
   */
  controllerSetup?: boolean;
  /** Runs before the driver connects: set the controller up as a lab would have it. */
  prepare?: (protocol: Esp300SimProtocol, lab: VirtualLab) => void;
}

/**
 * The ESP300 as Benchtop runs it, for tests: simulator on an ephemeral TCP port over a
 * VirtualLab on the system clock, driver, instrument actor under a Supervisor with a short
 * backoff, and the Instrument facade, wired the way InstrumentManager wires them.
 */
export async function startEsp300Rig(options: Esp300RigOptions = {}) {
  const clock = systemClock;
  const lab = new VirtualLab({ clock, seed: 1, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 0 });
  const protocol = new Esp300SimProtocol(lab);
  options.prepare?.(protocol, lab);
  // Every line the simulator handled, unbounded (the server's own log drops old lines).
  const wire: string[] = [];
  const recording: LineProtocol = {
    handle: (line) => {
      wire.push(line);
      return protocol.handle(line);
    },
  };
  let server: LineSimulatorServer = esp300SimulatorServer(recording);
  const { host, port } = await server.listen(0, '127.0.0.1');
  const bus = new EventBus<BenchtopEvents>();
  const states: ActorStateChange[] = [];
  bus.on('actor.state', (change) => states.push(change));
  const named = options.controllerSetup ? {} : { units: 'mm', travel_min: -25, travel_max: 25 };
  const config = { axes: 3, timeout_ms: 1000, ...named, ...options.config };
  const log = silentLogger();
  const serialPort = await options.serialPortFor?.(host, port).catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  const driver = esp300Kind.createDriver(
    'stage',
    { ...config, serial_port: serialPort ?? `tcp://${host}:${port}` },
    serialPort ? { clock, log } : { clock, log, simulatorEndpoint: { kind: 'tcp', host, port } },
  );
  const { actor, instrument, stop } = await spawnInstrument({
    id: 'stage',
    driver,
    bus,
    clock,
    pollIntervalMs: options.pollIntervalMs ?? 0,
    // As InstrumentManager sets it: room for a command's own timeout, twice, plus a margin.
    askTimeoutMs: (config.timeout_ms as number) * 2 + 1000,
  });
  if (actor.state !== 'ready') {
    await stop();
    await server.close();
    throw new Error(`stage did not start: ${actor.lastError?.code} ${actor.lastError?.message}`);
  }

  return {
    lab,
    protocol,
    bus,
    states,
    actor,
    instrument,
    host,
    port,
    get server() {
      return server;
    },
    /** Every line the simulator handled, in order. */
    wire,
    /** Closes the simulator (the instrument "dies"); `restartSimulator` brings it back on the same port. */
    async stopSimulator(): Promise<void> {
      await server.close();
    },
    async restartSimulator(): Promise<void> {
      server = esp300SimulatorServer(recording);
      await server.listen(port, host);
    },
    /** Resolves on the next state change of the actor that satisfies `state`. */
    nextState(state: ActorStateChange['state']): Promise<ActorStateChange> {
      return bus.once('actor.state', (c) => c.id === 'stage' && c.state === state);
    },
    async close(): Promise<void> {
      await stop();
      await server.close();
    },
  };
}

export type Esp300Rig = Awaited<ReturnType<typeof startEsp300Rig>>;
