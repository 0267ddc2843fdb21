import type { BenchtopConfig, InstrumentEntry } from '../config/schema.ts';
import type { EventBus } from '../core/bus.ts';
import type { Clock } from '../core/clock.ts';
import { BenchtopError } from '../core/errors.ts';
import type { BenchtopEvents } from '../core/events.ts';
import { type Instrument, splitSignalPath } from '../core/instrument.ts';
import { instrumentLogger, type Logger } from '../core/logger.ts';
import { spawnInstrumentActor } from '../core/spawn-instrument.ts';
import type { Supervisor } from '../core/supervisor.ts';
import { instrumentCatalog } from '../instruments/catalog.ts';
import type { DriverDeps, InstrumentCatalog } from '../instruments/kind.ts';
import type { SimulatorServer } from '../sim/simulator.ts';
import type { VirtualLab } from '../sim/virtual-lab.ts';

export interface InstrumentManagerDeps {
  config: BenchtopConfig;
  bus: EventBus<BenchtopEvents>;
  supervisor: Supervisor;
  clock: Clock;
  logger: Logger;
  /** Present in simulation mode. */
  lab?: VirtualLab;
  /** The kinds to build instruments from; default: src/instruments/catalog.ts. */
  catalog?: InstrumentCatalog;
}

/** Instruments whose start begins in one turn of the event loop. */
export const START_BATCH = 20;

/**
 * Instruments polled at the same interval, spread evenly over it in configuration order: 100
 * PLCs polled each second then poll 10 ms apart rather than all in the same millisecond, so
 * their replies, readings and stream messages come as a steady flow instead of one burst that
 * makes the last PLC of every second late. An instrument alone at its interval keeps polling
 * from its connect.
 */
export function pollPhases(entries: readonly InstrumentEntry[]): Map<string, number> {
  const byInterval = new Map<number, string[]>();
  for (const e of entries) {
    if (e.poll_interval_ms <= 0) continue;
    const ids = byInterval.get(e.poll_interval_ms) ?? [];
    ids.push(e.id);
    byInterval.set(e.poll_interval_ms, ids);
  }
  const phases = new Map<string, number>();
  for (const [interval, ids] of byInterval) {
    if (ids.length < 2) continue;
    ids.forEach((id, i) => {
      phases.set(id, Math.floor((i * interval) / ids.length));
    });
  }
  return phases;
}

/** Builds every enabled instrument from the configuration: its simulator (if simulating), driver and actor. */
export class InstrumentManager {
  private readonly deps: InstrumentManagerDeps;
  private readonly instruments = new Map<string, Instrument>();
  private readonly simulators = new Map<string, SimulatorServer>();
  private readonly offs: (() => void)[];
  /** Poll phase of each instrument that shares its poll interval with others (see pollPhases). */
  private phases = new Map<string, number>();

  constructor(deps: InstrumentManagerDeps) {
    this.deps = deps;
    this.offs = [
      deps.bus.on('instrument.reading', (r) => this.instruments.get(r.instrument)?.remember(r)),
      // When the link is lost, the last values are no longer true: republish them marked invalid
      // so displays grey them out and alarms ignore them (the communication alarm speaks instead).
      deps.bus.on('actor.state', (c) => {
        if (c.state !== 'failed') return;
        const instrument = this.instruments.get(c.id);
        for (const r of instrument?.lastReadings() ?? []) {
          if (r.quality === 'good')
            deps.bus.emit('instrument.reading', { ...r, quality: 'invalid', timestamp: c.at });
        }
      }),
    ];
  }

  /** Starts every enabled instrument in parallel; one that cannot connect keeps retrying without holding up the rest. */
  async startAll(): Promise<void> {
    const enabled = this.deps.config.instruments.filter((e) => e.enabled);
    this.phases = pollPhases(enabled);
    const started: Promise<void>[] = [];
    // In batches, a turn of the event loop apart: thousands started in one go would hold the
    // loop for seconds (timers, the server's start-up and polls all wait behind them).
    for (let i = 0; i < enabled.length; i += START_BATCH) {
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      for (const entry of enabled.slice(i, i + START_BATCH)) started.push(this.startOne(entry));
    }
    await Promise.all(started);
  }

  private async startOne(entry: InstrumentEntry): Promise<void> {
    const { config, clock, logger, lab, supervisor, bus } = this.deps;
    const kind = (this.deps.catalog ?? instrumentCatalog).kinds[entry.type];
    const log = instrumentLogger(logger, entry.id, entry.type);
    if (!kind) {
      log.error(`no driver for instrument type ${entry.type}; ${entry.id} is not started`);
      return;
    }
    const driverDeps: DriverDeps = { clock, log, bus };
    if (config.simulation.enabled) {
      driverDeps.lab = lab;
      if (kind.createSimulator && lab) {
        const simulator = kind.createSimulator(entry.id, entry.config, lab);
        const { host, port } = await simulator.listen(
          config.simulation.ports[entry.id] ?? 0,
          config.simulation.bind_address,
        );
        this.simulators.set(entry.id, simulator);
        driverDeps.simulatorEndpoint = { kind: 'tcp', host, port };
        log.info(
          { endpoint: `tcp://${host}:${port}` },
          `${entry.type} simulator listening on ${host}:${port}`,
        );
      }
    }
    const driver = kind.createDriver(entry.id, entry.config, driverDeps);
    const timeoutMs = kind.replyTimeoutMs(entry.config);
    const { instrument } = await spawnInstrumentActor({
      id: entry.id,
      driver,
      bus,
      supervisor,
      clock,
      log,
      pollIntervalMs: entry.poll_interval_ms,
      ...(this.phases.has(entry.id) ? { pollPhaseMs: this.phases.get(entry.id)! } : {}),
      askTimeoutMs: timeoutMs * 2 + 1000,
      onSpawned: () => log.info(`${entry.type} actor spawned: ${entry.id}`),
    });
    this.instruments.set(entry.id, instrument);
  }

  get(id: string): Instrument {
    const instrument = this.instruments.get(id);
    if (!instrument) {
      throw new BenchtopError('INSTRUMENT_NOT_FOUND', `no instrument "${id}"`, {
        instrument: id,
        known: [...this.instruments.keys()],
      });
    }
    return instrument;
  }

  /**
   * The operator's restart (API, CLI, dashboard): disconnects the instrument if it is up and
   * connects it afresh with its restart count cleared, so a faulted instrument is retried now.
   * Resolves after the first attempt; a failing one goes on retrying with the usual backoff.
   */
  async restart(id: string): Promise<void> {
    this.get(id);
    await this.deps.supervisor.restart(id);
  }

  /** `stage.axis1.position` → the instrument and the signal name within it. */
  resolve(path: string): { instrument: Instrument; signal: string } {
    const { instrument, signal } = splitSignalPath(path);
    return { instrument: this.get(instrument), signal };
  }

  list(): Instrument[] {
    return [...this.instruments.values()];
  }

  /** The in-process simulator of an instrument, in simulation mode (fault drills, tests). */
  simulator(id: string): SimulatorServer | undefined {
    return this.simulators.get(id);
  }

  /** Simulators close after the actors (the supervisor stops those). */
  async closeSimulators(): Promise<void> {
    for (const off of this.offs) off();
    await Promise.all([...this.simulators.values()].map((s) => s.close()));
  }
}
